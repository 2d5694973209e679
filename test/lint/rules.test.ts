/**
 * Every rule of the linter against its two fixtures (test/lint/fixtures/rules): `<id>.bad.yaml`
 * must produce the finding, at a line of the file; `<id>.good.yaml`, the same setup done right,
 * must not. A rule without fixtures, or fixtures for no rule, fail the first test.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lint, whereOf } from '../../src/lint/_lint';
import { readManifests } from '../../src/lint/_load';
import { RULES } from '../../src/lint/_rules';

const DIR = path.join(__dirname, 'fixtures', 'rules');
const IDS = Object.values(RULES).map(r => r.id).sort();

test('every rule has a failing and a passing fixture, and every fixture names a rule', () => {
  const files = fs.readdirSync(DIR).filter(f => !f.startsWith('_')).sort();
  const expected = IDS.flatMap(id => [`${id}.bad.yaml`, `${id}.good.yaml`]).sort();
  expect(files).toEqual(expected);
});

test('rule ids are unique and fit an annotation name (suppressions name them)', () => {
  expect(new Set(IDS).size).toBe(IDS.length);
  for (const id of IDS) {
    expect(id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(id.length).toBeLessThanOrEqual(63);
  }
});

describe.each(IDS)('%s', id => {
  test('flags its failing fixture, with the document, the field and a line', async () => {
    const report = await lint(readManifests([path.join(DIR, `${id}.bad.yaml`)]));
    const hits = report.findings.filter(f => f.rule.id === id);
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      expect(whereOf(h).line).toBeGreaterThan(0);
      expect(h.message.length).toBeGreaterThan(10);
      expect(h.rule.fix.length).toBeGreaterThan(10);
    }
  });

  test('passes its passing fixture', async () => {
    const report = await lint(readManifests([path.join(DIR, `${id}.good.yaml`)]));
    expect(report.findings.filter(f => f.rule.id === id).map(f => f.message)).toEqual([]);
  });
});

test('the Envoy fixtures\' base bootstrap is clean, and the attack matrix ran on it', async () => {
  const report = await lint(readManifests([path.join(DIR, '_envoy-good.yaml')]));
  expect(report.findings.map(f => `${f.rule.id}: ${f.message}`)).toEqual([]);
  expect(report.doors).toEqual(['https://any-host.example/ via the Envoy bootstrap in data["envoy.yaml"], listener https']);
});

test('a finding in an Envoy bootstrap points at the line of the ConfigMap key', async () => {
  const report = await lint(readManifests([path.join(DIR, 'envoy-admin-exposed.bad.yaml')]));
  const f = report.findings.find(x => x.rule.id === 'envoy-admin-exposed')!;
  expect(f.field).toBe('data["envoy.yaml"] → admin.address.socket_address.address');
  expect(whereOf(f).line).toBe(5); // `  envoy.yaml: |`
});
