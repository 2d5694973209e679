import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as jose from 'jose';
import * as ts from 'typescript';
import * as YAML from 'yaml';
import { expectValidManifests } from './schema';
import { RULES } from '../src/lint/_rules';

/** The README's TypeScript examples must compile against the library as it is. */
test('README TypeScript examples compile', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  // Inside the repository, so that the examples resolve cdk8s and cdk8s-plus-27 from node_modules.
  const dir = fs.mkdtempSync(path.join(__dirname, '.readme-'));
  const src = path.join(__dirname, '..', 'src');
  const files = blocks.map((code, i) => {
    const file = path.join(dir, `example${i}.ts`);
    fs.writeFileSync(file, code.replace(/from 'cdk8s-secure-serving'/g, `from ${JSON.stringify(src)}`));
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(__dirname, '..', 'node_modules', '@types')],
    ignoreDeprecations: '6.0',
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map(d => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(diagnostics).toEqual([]);
}, 60_000);

/**
 * The README's examples run as copied, in document order, in one fresh folder (as a user's app):
 * each TypeScript block in its own process, writing into `dist/`; the shell blocks' key and
 * token commands too (commands for a cluster, npm or the cdk8s CLI are left out: the blocks
 * run the app directly). Every manifest they write is schema-valid, and the token the README
 * signs verifies against the JWKS its Envoy example wrote.
 */
test('README examples run as copied', async () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(ts|sh)\n([\s\S]*?)```/g)].map(m => ({ lang: m[1], code: m[2] }));
  const dir = fs.mkdtempSync(path.join(__dirname, '.readme-run-'));
  const root = path.join(__dirname, '..');
  const src = path.join(root, 'src');
  const outdir = path.join(dir, 'dist');
  const env = { ...process.env, CDK8S_OUTDIR: outdir };
  const SKIPPED = /^(npm|npx|grpcurl|kubectl|curl|jq|helm) /;
  try {
    let ran = 0;
    blocks.forEach(({ lang, code }, i) => {
      if (lang === 'ts') {
        const file = path.join(dir, `example${i}.ts`);
        fs.writeFileSync(file, code.replace(/from 'cdk8s-secure-serving'/g, `from ${JSON.stringify(src)}`));
        execFileSync(process.execPath, [
          path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--transpile-only', '--project', path.join(root, 'test', 'tsconfig.json'), file,
        ], { cwd: dir, env, stdio: 'pipe' });
        ran++;
      } else {
        // The package's own command runs from the build, as `npx` would run the installed bin.
        const script = code.split('\n').map(l => l.replace(/^npx cdk8s-secure-serving /, `node ${path.join(root, 'lib', 'src', 'lint', 'cli.js')} `))
          .filter(l => !SKIPPED.test(l)).join('\n');
        if (/^(openssl|node) /m.test(script)) {
          execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env, stdio: 'pipe' });
          ran++;
        }
      }
    });
    expect(ran).toBeGreaterThanOrEqual(10);
    const manifests = fs.readdirSync(outdir).filter(f => f.endsWith('.k8s.yaml'));
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    const docs = manifests.flatMap(f => YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map(d => d.toJSON()))
      .filter(d => d !== null);
    expectValidManifests(docs);
    // Every values file the README names is there, as it says.
    const named = [...new Set([...readme.matchAll(/dist\/values\/([a-z0-9.-]+\.(?:yaml|json))/g)].map(m => m[1]))];
    expect(named.length).toBeGreaterThanOrEqual(2);
    expect(named.filter(n => !fs.existsSync(path.join(outdir, 'values', n)))).toEqual([]);
    // The token the README signs verifies against the JWKS the Envoy example wrote.
    const jwksJson = docs.find(d => d.kind === 'ConfigMap' && d.data?.['jwks.json'])!.data['jwks.json'];
    const token = fs.readFileSync(path.join(dir, 'token'), 'utf8').trim();
    const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(JSON.parse(jwksJson)),
      { issuer: 'https://issuer.example.com', audience: 'bookstore', algorithms: ['ES256'] });
    expect(payload.sub).toBe('client');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

test('the README documents every lint rule, and its cdk8s.yaml is the one the example app runs', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const documented = [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (error|warning|note) \|/gm)].map(m => m[1]).sort();
  expect(documented).toEqual(Object.values(RULES).map(r => r.id).sort());
  const block = /```yaml\n(validations:[\s\S]*?)```/.exec(readme)![1];
  const exampleConfig = fs.readFileSync(path.join(__dirname, '..', 'examples', 'cdk8s.yaml'), 'utf8');
  expect(YAML.parse(exampleConfig).validations).toEqual(YAML.parse(block).validations);
});
