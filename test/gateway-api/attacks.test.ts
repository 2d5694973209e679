/**
 * Attacks on GatewayApiGrpcIngress with JWT on Istio, through the Istio gateway model
 * (src/lint/model/istio.ts) at the pods Istio deploys for the Gateway: none reaches the backend
 * without a valid token of the issuer for its audience.
 */
import { ApiObject, Testing } from 'cdk8s';
import { Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiGrpcIngressProps, JwksSource, JwtAudiences, TlsTermination } from '../../src';
import { IstioGatewayModel } from '../../src/lint/model/istio';
import { GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../../src/lint/model/requests';
import { Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const ISSUER = 'https://issuer.example.com';
const GRPC = GRPC_HEADERS;
const PATH = GRPC_INFER_PATH;
let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'ml-api');
});

function build(props: Partial<GatewayApiGrpcIngressProps> = {}) {
  const chart = newChart('ml-services');
  const ingress = new GatewayApiGrpcIngress(chart, 'ml-api', {
    hosts: ['ml.example.com'],
    backend: Backend.fromName('ml-api', 8500, { portName: 'grpc' }),
    gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }),
    jwt: { issuer: ISSUER, jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`), audiences: JwtAudiences.of(['ml-api']) },
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  const name = ApiObject.of(ingress.gateway!).name;
  const m = new IstioGatewayModel(docs, {
    namespace: 'ml-services', labels: { 'gateway.networking.k8s.io/gateway-name': name }, gatewayApiName: name,
  }, { jwksFor: () => issuer.jwks });
  return { docs, m };
}

test('a valid token reaches the backend; plain HTTP is redirected', async () => {
  const { m } = build();
  const req = { scheme: 'https' as const, authority: 'ml.example.com', method: 'POST', path: PATH, headers: { ...GRPC, ...jwt.good.headers }, label: 'good' };
  expect((await m.handle(req)).backend).toBe('ml-services/ml-api:8500');
  expect((await m.handle({ ...req, authority: 'ml.example.com:443' })).backend).toBe('ml-services/ml-api:8500');
  expect((await m.handle({ ...req, scheme: 'http' })).status).toBe(301);
});

test('blocks every variant without a valid token for the audience', async () => {
  const { m } = build();
  expect(await reached(r => m.handle(r), variants({ host: 'ml.example.com', path: PATH, headers: GRPC }), jwt.bad)).toEqual([]);
});

test('the policies attach to the Gateway with targetRefs, in its namespace', () => {
  const { docs } = build();
  const gw = docs.find(d => d.kind === 'Gateway');
  for (const kind of ['RequestAuthentication', 'AuthorizationPolicy']) {
    const p = docs.find(d => d.kind === kind && d.spec.targetRefs);
    expect(p.metadata.namespace).toBe('ml-services');
    expect(p.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.metadata.name }]);
    expect(p.spec.selector).toBeUndefined();
  }
});

test('negative control: without the policies, every variant reaches the backend', async () => {
  const { docs } = build();
  const open = docs.filter(d => d.kind !== 'RequestAuthentication' && !(d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY'));
  const name = docs.find(d => d.kind === 'Gateway').metadata.name;
  const m = new IstioGatewayModel(open, { namespace: 'ml-services', labels: { 'gateway.networking.k8s.io/gateway-name': name }, gatewayApiName: name });
  const r = await m.handle({ scheme: 'https', authority: 'ml.example.com', method: 'POST', path: PATH, headers: GRPC, label: 'no token' });
  expect(r.backend).toBe('ml-services/ml-api:8500');
});
