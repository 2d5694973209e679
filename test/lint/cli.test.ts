/**
 * The command line: exit codes (0 clean, 1 findings, 2 usage or input errors), the one-line
 * report, SARIF 2.1.0 checked against the OASIS schema (test/lint/fixtures/sarif), suppression
 * listing, and the same report for the same input in any order or locale.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { main } from '../../src/lint/cli';

const RULES_DIR = path.join(__dirname, 'fixtures', 'rules');
const BAD = path.join(RULES_DIR, 'wasm-fail-open.bad.yaml');
const GOOD = path.join(RULES_DIR, 'wasm-fail-open.good.yaml');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, s => { out += s; }, s => { err += s; });
  return { code, out, err };
}

test('exit 1 and one line per finding, with file:line, severity, rule, object, field and fix', async () => {
  const r = await run('lint', BAD);
  expect(r.code).toBe(1);
  const lines = r.out.trim().split('\n');
  expect(lines[0]).toBe(`${BAD}:7: error wasm-fail-open: WasmPlugin istio-system/authz spec.failStrategy: ` +
    'failStrategy FAIL_OPEN: a module that cannot be fetched lets every request through. Fix: Remove failStrategy (FAIL_CLOSE is the default).');
  expect(lines[lines.length - 1]).toBe('1 documents, 0 front doors modeled: 1 errors, 0 warnings, 0 notes, 0 suppressed');
});

test('exit 0 on clean input', async () => {
  expect((await run('lint', GOOD)).code).toBe(0);
});

test('--fail-on error: warnings alone exit 0; errors still 1', async () => {
  const warn = path.join(RULES_DIR, 'gateway-hosts-any-namespace.bad.yaml');
  expect((await run('lint', warn)).code).toBe(1);
  expect((await run('lint', '--fail-on', 'error', warn)).code).toBe(0);
  expect((await run('lint', '--fail-on', 'error', BAD)).code).toBe(1);
});

test.each([
  [[], 'no command given'],
  [['check', BAD], 'unknown command "check"'],
  [['lint'], 'no files or folders to lint'],
  [['lint', '--format', 'xml', BAD], '--format "xml": expected text or sarif'],
  [['lint', '--fail-on', 'note', BAD], '--fail-on "note": expected error or warning'],
  [['lint', '--bogus', BAD], 'unknown option "--bogus"'],
  [['lint', '--output'], '--output needs a value'],
])('usage error %j: exit 2 with %s', async (argv, message) => {
  const r = await run(...argv);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
  expect(r.out).toBe('');
});

test('unreadable input: exit 2, naming the file and line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'));
  const broken = path.join(dir, 'broken.yaml');
  fs.writeFileSync(broken, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x\n');
  const r = await run('lint', broken);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not YAML`));
  expect((await run('lint', path.join(dir, 'missing.yaml'))).err).toContain('missing.yaml: no such file or folder');
});

test('folders are read recursively (yaml, yml, json), and references resolve across files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'));
  const src = fs.readFileSync(path.join(RULES_DIR, 'request-authentication-not-required.good.yaml'), 'utf8').split('---\n');
  fs.mkdirSync(path.join(dir, 'a'));
  fs.writeFileSync(path.join(dir, 'a', 'ra.yml'), src[0]);
  fs.writeFileSync(path.join(dir, 'policy.yaml'), src[1]);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
  const together = await run('lint', dir);
  expect(together.out).not.toContain('request-authentication-not-required');
  expect(together.out).toContain('2 documents');
  const alone = await run('lint', path.join(dir, 'a'));
  expect(alone.out).toContain('error request-authentication-not-required');
});

test('a suppression with a reason moves the finding to the suppressed list; without one it does not suppress', async () => {
  const ok = await run('lint', path.join(RULES_DIR, 'suppression-without-reason.good.yaml'));
  expect(ok.code).toBe(0);
  expect(ok.out).toContain('suppressed wasm-fail-open: WasmPlugin istio-system/authz spec.failStrategy');
  expect(ok.out).toContain('(reason: a canary gateway without traffic)');
  const bad = await run('lint', path.join(RULES_DIR, 'suppression-without-reason.bad.yaml'));
  expect(bad.code).toBe(1);
  expect(bad.out).toContain('error wasm-fail-open');
  expect(bad.out).toContain('warning suppression-without-reason');
});

test('SARIF 2.1.0 output is valid against the OASIS schema, with rules, levels, lines and suppressions', async () => {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8'));
  // draft-04 schema: Ajv 8 reads it once `id` is `$id` and the draft marker is gone.
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  const r = await run('lint', '--format', 'sarif', path.join(RULES_DIR, 'suppression-without-reason.good.yaml'), BAD);
  expect(r.code).toBe(1);
  const sarif = JSON.parse(r.out);
  expect(validate(sarif) ? [] : validate.errors).toEqual([]);
  const results = sarif.runs[0].results;
  expect(results.map((x: any) => [x.ruleId, x.level, x.locations[0].physicalLocation.region.startLine, x.suppressions?.[0]?.justification])).toEqual([
    // The two files write one WasmPlugin, istio-system/authz, twice.
    ['duplicate-object', 'error', 3, undefined],
    ['wasm-fail-open', 'error', 7, undefined],
    ['wasm-fail-open', 'error', 11, 'a canary gateway without traffic'],
  ]);
  const rules = sarif.runs[0].tool.driver.rules;
  expect(rules[results[1].ruleIndex].id).toBe('wasm-fail-open');
  expect(rules[results[0].ruleIndex].id).toBe('duplicate-object');

  // negative control: the schema catches a broken log
  expect(validate({ ...sarif, runs: [{ ...sarif.runs[0], results: [{ level: 'fatal', message: {} }] }] })).toBe(false);
});

test('--output writes the report to a file', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lint-')), 'report.sarif');
  const r = await run('lint', '--format', 'sarif', '--output', out, BAD);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(JSON.parse(fs.readFileSync(out, 'utf8')).version).toBe('2.1.0');
});

test('the same report for the same files in any order, and in another process and locale', async () => {
  const files = fs.readdirSync(RULES_DIR).filter(f => f.endsWith('.bad.yaml')).map(f => path.join(RULES_DIR, f));
  const a = await run('lint', ...files);
  const b = await run('lint', ...[...files].reverse());
  expect(b.out).toBe(a.out);
  const cli = path.join(__dirname, '..', '..', 'lib', 'src', 'lint', 'cli.js');
  const other = spawnSync(process.execPath, [cli, 'lint', ...files], { encoding: 'utf8', env: { ...process.env, LANG: 'sv_SE.UTF-8', LC_ALL: 'sv_SE.UTF-8' } });
  expect(other.status).toBe(1);
  expect(other.stdout).toBe(a.out);
});

test('the installed command: `cdk8s-secure-serving` is the package\'s bin, runs with node, and prints usage', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ 'cdk8s-secure-serving': 'lib/src/lint/cli.js' });
  const cli = path.join(__dirname, '..', '..', pkg.bin['cdk8s-secure-serving']);
  expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  expect(execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' })).toContain('Usage: cdk8s-secure-serving lint');
  const r = spawnSync(process.execPath, [cli, 'lint', BAD], { encoding: 'utf8' });
  expect(r.status).toBe(1);
});
