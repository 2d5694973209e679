/**
 * The linter on the seeds' own YAML (test/lint/fixtures/seeds, extracted from ../shared/seeds
 * with only the lost indentation restored; their pitfalls are listed in PITFALLS.md there): each
 * seed produces the findings its known pitfalls predict, and no others.
 */
import * as path from 'path';
import { lint } from '../../src/lint/_lint';
import { readManifests } from '../../src/lint/_load';

const DIR = path.join(__dirname, 'fixtures', 'seeds');

async function rules(file: string): Promise<string[]> {
  const report = await lint(readManifests([path.join(DIR, file)]));
  return [...new Set(report.findings.map(f => `${f.severity} ${f.rule.id}`))].sort();
}

test('000 Istio gRPC: host case gets past the basic_auth plugin, plaintext credentials, a gRPC port named port-8500', async () => {
  expect(await rules('000-istio-grpc.yaml')).toEqual([
    'error credentials-in-clear',
    'error front-door-bypass',
    'note duplicate-object',
    'warning gateway-hosts-any-namespace',
    'warning grpc-port-protocol',
  ]);
  const report = await lint(readManifests([path.join(DIR, '000-istio-grpc.yaml')]));
  const bypass = report.findings.find(f => f.rule.id === 'front-door-bypass')!;
  expect(bypass.message).toMatch(/host ML\.EXAMPLE\.COM → ml-services\/ml-api:8500/);
  expect(report.findings.find(f => f.rule.id === 'grpc-port-protocol')!.message).toMatch(/port-8500/);
  // The post prints the Gateway twice, identical: harmless, said as a note.
  expect(report.findings.find(f => f.rule.id === 'duplicate-object')!.message).toMatch(/^an identical copy of the Gateway at .*000-istio-grpc\.yaml:\d+$/);
});

test('001 Traefik: Traefik v1 auth annotations on an extensions/v1beta1 Ingress', async () => {
  expect(await rules('001-traefik-basic-auth.yaml')).toEqual([
    'error removed-api-version',
    'error traefik-v1-annotations',
    'warning pod-security-restricted',
  ]);
});

test('002 Envoy: v2 config, no audiences, no expiry, raw paths, the backend open around the proxy', async () => {
  expect(await rules('002-envoy-jwt.yaml')).toEqual([
    'error backend-reachable-around-door',
    'error envoy-path-normalization',
    'error envoy-v2-config',
    'error jwt-without-audiences',
    'error jwt-without-expiry',
    'note model-unsupported',
    'warning pod-security-restricted',
  ]);
});

test('003 KServe: the activator stays on the path of an isolated model; gateways open to every namespace; two variants under one name', async () => {
  expect(await rules('003-kserve-mesh.yaml')).toEqual([
    'error duplicate-object',
    'error kserve-activator-in-path',
    'warning gateway-hosts-any-namespace',
  ]);
  const report = await lint(readManifests([path.join(DIR, '003-kserve-mesh.yaml')]));
  expect(report.findings.filter(f => f.rule.id === 'duplicate-object').map(f => `${f.manifest.doc.kind} ${f.manifest.doc.metadata.name}`).sort())
    .toEqual(['Gateway kserve-local-gateway', 'Service kserve-local-gateway']);
});

test('004 external authorization: inference traffic exempted by path alone', async () => {
  expect(await rules('004-external-auth-bypass.yaml')).toEqual(['error custom-authz-path-only']);
});

test('the seeds\' values files are not manifests: nothing to check, and no error', async () => {
  const report = await lint(readManifests([
    '000-istio-grpc-gateway-annotations.values.yaml', '001-traefik-basic-auth-traefik.values.yaml',
    '003-kserve-mesh-ingress-config.values.yaml', '004-external-auth-bypass-meshconfig.values.yaml',
  ].map(f => path.join(DIR, f))));
  expect(report.documents).toBe(0);
  expect(report.findings).toEqual([]);
});

test('the seeds together: references resolve across files, and each finding keeps its file', async () => {
  const all = await lint(readManifests([DIR]));
  const files = new Set(all.findings.map(f => path.basename(f.manifest.file)));
  expect([...files].sort()).toEqual(['000-istio-grpc.yaml', '001-traefik-basic-auth.yaml', '002-envoy-jwt.yaml', '003-kserve-mesh.yaml', '004-external-auth-bypass.yaml']);
});
