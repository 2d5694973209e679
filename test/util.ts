import { execFileSync } from 'child_process';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';

/** A chart in its own app, in namespace `ml` unless told otherwise (`null`: no namespace). */
export function newChart(namespace: string | null = 'ml'): Chart {
  const app = Testing.app();
  return new Chart(app, 'test', { namespace: namespace ?? undefined });
}

/** The documents of a kind (and apiVersion, when given). */
export function docsOf(docs: any[], kind: string, apiVersion?: string): any[] {
  return docs.filter(d => d.kind === kind && (apiVersion === undefined || d.apiVersion === apiVersion));
}

/** The one document of a kind; fails when there are none or several. */
export function oneOf(docs: any[], kind: string, apiVersion?: string): any {
  const found = docsOf(docs, kind, apiVersion);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}, found ${found.length}`);
  }
  return found[0];
}

/** A locale whose collation differs from en-US and C ("ä" sorts after "z"). */
export const SECOND_LOCALE = 'sv_SE.UTF-8';

/**
 * Synthesizes a chart defined in `test/fixtures/<name>.ts` in a fresh node process and returns
 * its YAML, to check that output does not depend on process state or locale (`LC_ALL`, which
 * Node's ICU reads for its default locale).
 */
export function synthInFreshProcess(fixture: string, locale = 'C.UTF-8'): string {
  return runInFreshProcess(path.join(__dirname, 'fixtures', `${fixture}.ts`), locale);
}

/** Runs a TypeScript file in a fresh node process under `locale` and returns its output. */
export function runInFreshProcess(file: string, locale: string): string {
  const root = path.join(__dirname, '..');
  return execFileSync(process.execPath, [
    path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'),
    '--transpile-only', '--project', path.join(root, 'test', 'tsconfig.json'), file,
  ], { encoding: 'utf8', cwd: root, env: { ...process.env, LC_ALL: locale, LANG: locale } });
}
