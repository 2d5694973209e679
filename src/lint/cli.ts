#!/usr/bin/env node
/**
 * `cdk8s-secure-serving lint [--format text|sarif] [--output FILE] [--fail-on error|warning] <files or folders...>`
 *
 * Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or unreadable input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sarifReport, textReport } from './_format';
import { lint } from './_lint';
import { ManifestReadError, readManifests } from './_load';
import { RULES, Severity } from './_rules';

const USAGE = `Usage: cdk8s-secure-serving lint [options] <files or folders...>

Checks Kubernetes manifests (YAML or JSON; folders are read recursively, - reads stdin) for
front doors that let requests reach a backend without authentication, and for the pitfalls of
Istio, Traefik, Envoy, Envoy Gateway and KServe setups.

Options:
  --format text|sarif     one line per finding (default), or SARIF 2.1.0
  --output FILE           write the report to FILE instead of standard output
  --fail-on error|warning the lowest severity that makes the exit code 1 (default: warning)
  --doors                 also list the front doors the attack matrix ran on
  --rules                 list the rules and exit
  --help                  show this help

Suppress a finding on an object with the annotation
  lint.cdk8s-secure-serving.dev/<rule id>: "<the reason>"
Exit codes: 0 no findings, 1 findings, 2 usage or input errors.
`;

function version(): string {
  for (const p of [path.join(__dirname, '..', '..', 'package.json'), path.join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(p, 'utf8'));
      if (pkg.name === 'cdk8s-secure-serving') {
        return String(pkg.version);
      }
    } catch {
      // try the next
    }
  }
  return '0.0.0';
}

class UsageError extends Error {}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '--help' || command === '-h' || command === 'help') {
      out(USAGE);
      return 0;
    }
    if (command !== 'lint') {
      throw new UsageError(command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`);
    }
    let format = 'text';
    let output: string | undefined;
    let failOn: Severity = 'warning';
    let listDoors = false;
    const inputs: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      const value = () => {
        const v = rest[++i];
        if (v === undefined) {
          throw new UsageError(`${a} needs a value`);
        }
        return v;
      };
      if (a === '--help' || a === '-h') {
        out(USAGE);
        return 0;
      } else if (a === '--rules') {
        for (const r of Object.values(RULES).sort((x, y) => (x.id < y.id ? -1 : 1))) {
          out(`${r.id} (${r.severity}): ${r.title}. Fix: ${r.fix}\n`);
        }
        return 0;
      } else if (a === '--doors') {
        listDoors = true;
      } else if (a === '--format') {
        format = value();
        if (format !== 'text' && format !== 'sarif') {
          throw new UsageError(`--format ${JSON.stringify(format)}: expected text or sarif`);
        }
      } else if (a === '--output' || a === '-o') {
        output = value();
      } else if (a === '--fail-on') {
        const v = value();
        if (v !== 'error' && v !== 'warning') {
          throw new UsageError(`--fail-on ${JSON.stringify(v)}: expected error or warning`);
        }
        failOn = v;
      } else if (a.startsWith('-') && a !== '-') {
        throw new UsageError(`unknown option ${JSON.stringify(a)}`);
      } else {
        inputs.push(a);
      }
    }
    if (inputs.length === 0) {
      throw new UsageError('no files or folders to lint');
    }
    const report = await lint(readManifests(inputs));
    const text = format === 'sarif' ? sarifReport(report, version())
      : `${listDoors ? report.doors.map(d => `door: ${d}\n`).join('') : ''}${textReport(report)}`;
    if (output !== undefined) {
      fs.writeFileSync(output, text);
    } else {
      out(text);
    }
    const failing = report.findings.some(f => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'));
    return failing ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`cdk8s-secure-serving: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ManifestReadError) {
      err(`cdk8s-secure-serving: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), s => process.stdout.write(s), s => process.stderr.write(s)).then(code => {
    process.exitCode = code;
  }, e => {
    process.stderr.write(`cdk8s-secure-serving: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}
