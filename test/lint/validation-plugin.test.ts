/**
 * The validation plugin under the real `cdk8s synth` (cdk8s-cli, `validations:` in cdk8s.yaml
 * with a local package path): a known-bad object fails the synth with the rule named; the same app
 * without it passes; a suppressed finding is reported as such.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');

function synth(objects: object[], properties: object = {}): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-'));
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), [
    'language: typescript',
    'app: node app.js',
    'validations:',
    `  - package: ${ROOT}`,
    '    version: 0.0.0',
    '    class: SecureServingValidation',
    `    properties: ${JSON.stringify(properties)}`,
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'app.js'), [
    `const { App, Chart, ApiObject } = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'cdk8s'))});`,
    'const app = new App();',
    'const chart = new Chart(app, "web", { namespace: "web" });',
    `${JSON.stringify(objects)}.forEach((o, i) => new ApiObject(chart, "o" + i, o));`,
    'app.synth();',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [CLI, 'synth'], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const PUBLIC_INGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'app', annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' } },
  spec: { ingressClassName: 'traefik', rules: [{ host: 'app.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
};
const V1_AUTH = { ...PUBLIC_INGRESS, metadata: { name: 'app', annotations: { 'ingress.kubernetes.io/auth-type': 'basic', 'ingress.kubernetes.io/auth-secret': 'users' } } };
const SUPPRESSED = {
  ...PUBLIC_INGRESS,
  metadata: { ...PUBLIC_INGRESS.metadata, annotations: { ...PUBLIC_INGRESS.metadata.annotations, 'lint.cdk8s-secure-serving.dev/unauthenticated-front-door': 'the public status page' } },
};

test('a known-bad object fails cdk8s synth, naming the rule and the object', () => {
  const r = synth([V1_AUTH]);
  expect(r.status).toBe(2);
  expect(r.out).toContain('traefik-v1-annotations (error)');
  expect(r.out).toContain('auth-not-enforced (error)');
  expect(r.out).toContain('Ingress web/app');
  expect(r.out).toContain('Validation failed');
}, 60_000);

test('a warning fails it too by default, and passes with failOn: error', () => {
  expect(synth([PUBLIC_INGRESS]).status).toBe(2);
  const r = synth([PUBLIC_INGRESS], { failOn: 'error' });
  expect(r.status).toBe(0);
  expect(r.out).toContain('unauthenticated-front-door (warning)');
}, 60_000);

test('a suppressed finding passes, and the report says it was suppressed and why', () => {
  const r = synth([SUPPRESSED]);
  expect(r.status).toBe(0);
  expect(r.out).toContain('suppressed unauthenticated-front-door: Ingress web/app');
  expect(r.out).toContain('the public status page');
}, 60_000);

test('a bad property is refused by name', () => {
  const r = synth([SUPPRESSED], { failOn: 'sometimes' });
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/SecureServingValidation.*failOn/s);
}, 60_000);
