/**
 * Reading manifests from files and folders (YAML or JSON, many documents per file), with the
 * line of each field for findings.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { Manifest, manifestsOf } from './_manifests';

/** A file that could not be read or parsed. */
export class ManifestReadError extends Error {}

const lines = new WeakMap<object, (field: string) => number | undefined>();

/** The 1-based line of `field` (a path such as `spec.ports[0].name`) in the file, where known. */
export function lineOf(m: Manifest, field: string): number | undefined {
  return lines.get(m.doc)?.(field);
}

/** The keys of a field path: `spec.ports[0].name` → spec, ports, 0, name; `data["a.yaml"]` → data, a.yaml. */
export function fieldKeys(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(field)) !== null) {
    out.push(m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? m[3] : m[1]);
  }
  return out;
}

/** Parses YAML text (any number of documents) into manifests of `file`. */
export function parseManifests(text: string, file: string): Manifest[] {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
  if (!Array.isArray(docs)) {
    return [];
  }
  const values: unknown[] = [];
  const nodes: any[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) {
      const e = d.errors[0];
      const at = e.linePos?.[0];
      throw new ManifestReadError(`${file}${at ? `:${at.line}` : ''}: not YAML: ${e.message.split('\n')[0]}`);
    }
    try {
      values.push(d.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      // an unresolved alias (`*/host` written unquoted) or an alias bomb
      throw new ManifestReadError(`${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    nodes.push(d);
  }
  const out = manifestsOf(file, values);
  for (const m of out) {
    const doc = nodes[m.index];
    if (doc.contents && (isMap(doc.contents) || isSeq(doc.contents))) {
      lines.set(m.doc, (field: string) => {
        let keys = fieldKeys(field);
        while (keys.length >= 0) {
          const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
          const start = node?.range?.[0];
          if (typeof start === 'number') {
            return counter.linePos(start).line;
          }
          if (keys.length === 0) {
            return undefined;
          }
          keys = keys.slice(0, -1);
        }
        return undefined;
      });
    }
  }
  return out;
}

/** Every `.yaml`, `.yml` and `.json` file under the given files and folders, in sorted order. */
export function manifestFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, given: boolean) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new ManifestReadError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) {
        if (!e.startsWith('.') && e !== 'node_modules') {
          walk(path.join(p, e), false);
        }
      }
    } else if (given || /\.(ya?ml|json)$/i.test(p)) {
      out.push(p);
    }
  };
  for (const p of paths) {
    walk(p, true);
  }
  return out;
}

/** Reads the manifests of the given files and folders (`-` reads standard input). */
export function readManifests(paths: string[]): Manifest[] {
  const out: Manifest[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(fs.readFileSync(0, 'utf8'), '<stdin>'));
      continue;
    }
    for (const f of manifestFiles([p])) {
      out.push(...parseManifests(fs.readFileSync(f, 'utf8'), f));
    }
  }
  return out;
}
