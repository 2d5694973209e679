/**
 * Core Kubernetes kinds, validated against the Kubernetes OpenAPI schema by
 * `validate-core.mjs` in a child process (the packages it uses are ESM-only).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

/** The errors of each document, in order; `no schema for …` for a kind it does not know. */
export function validateCoreDocuments(docs: any[]): string[][] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-core.mjs')], {
    input: JSON.stringify(docs),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(out);
  if (!Array.isArray(result) || result.length !== docs.length) {
    throw new Error(`validate-core.mjs returned ${out.slice(0, 200)}`);
  }
  return result;
}
