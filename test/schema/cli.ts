/**
 * Validates manifest files (multi-document YAML) from the command line:
 *
 *   ts-node --project test/tsconfig.json test/schema/cli.ts [--summary FILE] a.k8s.yaml|DIR ...
 *
 * A directory stands for the `*.k8s.yaml` files in it (what `cdk8s synth` writes), in name order.
 *
 * Prints one line per document and exits non-zero if any is invalid or nothing was read.
 * With --summary, writes "<valid> <invalid>" to FILE.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { validateDocuments } from './index';

const args = process.argv.slice(2);
let summary: string | undefined;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--summary') {
    summary = args[++i];
  } else if (fs.statSync(args[i]).isDirectory()) {
    files.push(...fs.readdirSync(args[i]).filter(f => f.endsWith('.k8s.yaml')).sort().map(f => path.join(args[i], f)));
  } else {
    files.push(args[i]);
  }
}

let valid = 0;
let invalid = 0;
for (const file of files) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(d => d !== null);
  for (const report of validateDocuments(docs)) {
    const id = `${file}: ${report.apiVersion} ${report.kind} ${report.name}`;
    if (report.errors.length === 0) {
      valid++;
      console.log(`ok      ${id}`);
    } else {
      invalid++;
      console.log(`INVALID ${id}`);
      report.errors.forEach(e => console.log(`        ${e}`));
    }
  }
}
console.log(`${valid} documents valid, ${invalid} invalid, in ${files.length} files`);
if (summary) {
  fs.writeFileSync(summary, `${valid} ${invalid}\n`);
}
process.exit(invalid > 0 || valid === 0 ? 1 : 0);
