import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { CRD_SOURCES } from '../projenrc/crd-sources';

const dir = path.join(__dirname, '..', 'imports', 'crds');
const record = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
const files = fs.readdirSync(dir).filter(d => fs.statSync(path.join(dir, d)).isDirectory()).sort()
  .flatMap(d => fs.readdirSync(path.join(dir, d)).filter(f => f.endsWith('.yaml')).sort().map(f => `${d}/${f}`));

test('the repository holds a CRD file for every imported group', () => {
  expect(files.length).toBeGreaterThan(0);
  for (const src of CRD_SOURCES) {
    expect(files).toContain(src.file);
  }
});

describe.each(files)('%s', file => {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const header = text.split('\n').filter(l => l.startsWith('#')).slice(0, 12).join('\n');

  test('is listed in imports/crds/README.md with every upstream blob its header names', () => {
    expect(record).toContain(`\`${file}\``);
    const blobs = [...header.matchAll(/blob ([0-9a-f]{40})/g)].map(m => m[1]);
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) {
      expect(record).toContain(blob);
    }
    const commit = header.match(/commit ([0-9a-f]{40})/);
    expect(commit).not.toBeNull();
    expect(record).toContain(commit![1]);
  });

  test('holds only CustomResourceDefinitions of the group its name says', () => {
    const group = path.basename(file, '.yaml');
    const docs = YAML.parseAllDocuments(text).map(d => d.toJSON()).filter(d => d !== null);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.kind).toBe('CustomResourceDefinition');
      expect(d.spec.group).toBe(group);
    }
  });
});
