/**
 * Attacks on the Gateway API front doors on Envoy Gateway, through the model of Envoy Gateway
 * v1.9 (src/lint/model/envoy-gateway.ts: policy attachment, listener and route matching, jwt_authn,
 * ext_authz, the authorization filter): no request reaches the backend without the JWT (or the
 * authorizer's yes) the route requires. The REST front door on Istio goes through the Istio
 * gateway model (src/lint/model/istio.ts).
 */
import { ApiObject, Testing } from 'cdk8s';
import {
  Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiGrpcIngressProps, GatewayApiHttpIngress, GatewayApiHttpIngressProps,
  GatewayImplementation, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from '../../src';
import { authorizerAccepting, EnvoyGatewayModel, EnvoyGatewayOptions } from '../../src/lint/model/envoy-gateway';
import { IstioGatewayModel } from '../../src/lint/model/istio';
import { AttackRequest, GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../../src/lint/model/requests';
import { Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const ISSUER = 'https://issuer.example.com';
const JWKS_URI = `${ISSUER}/jwks.json`;
const JWT = { issuer: ISSUER, jwks: JwksSource.fromUri(JWKS_URI), audiences: JwtAudiences.of(['ml-api']) };
const EG = GatewayImplementation.envoyGateway();
const AUTHZ = { name: 'authz', service: 'authz.auth.svc.cluster.local', port: 8080 };
/** What the authorizer admits: a session cookie it issued. */
const SESSION = { cookie: 'session=valid' };
const REST_PATH = '/v2/models/iris/infer';
let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'ml-api');
});

const options = (more: EnvoyGatewayOptions = {}): EnvoyGatewayOptions => ({
  jwksFor: u => (u === JWKS_URI ? issuer.jwks : undefined),
  extAuth: authorizerAccepting(SESSION),
  // The backend and authorizer Services and the TLS Secret live outside these charts.
  presumeExisting: true,
  ...more,
});

function grpcDocs(props: Partial<GatewayApiGrpcIngressProps> = {}): any[] {
  const chart = newChart('ml-services');
  new GatewayApiGrpcIngress(chart, 'ml-api', {
    hosts: ['ml.example.com'],
    backend: Backend.fromName('ml-api', 8500, { portName: 'grpc' }),
    gateway: GatewayApiGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('ml-cert')), implementation: EG }),
    jwt: JWT,
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return docs;
}

function restDocs(props: Partial<GatewayApiHttpIngressProps> = {}): any[] {
  const chart = newChart('ml-services');
  new GatewayApiHttpIngress(chart, 'scoring', {
    hosts: ['scoring.example.com'],
    backend: Backend.fromName('scoring', 8080),
    gateway: GatewayApiGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('scoring-cert')), implementation: EG }),
    externalAuthorization: AUTHZ,
    pathPrefixes: ['/v1/models', '/v2'],
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return docs;
}

const grpcRequest = (headers: { [name: string]: string }): AttackRequest =>
  ({ scheme: 'https', authority: 'ml.example.com', method: 'POST', path: GRPC_INFER_PATH, headers: { ...GRPC_HEADERS, ...headers }, label: 'grpc' });

describe('gRPC with JWT on Envoy Gateway', () => {
  test('a valid token reaches the backend, without the token; plain HTTP is redirected', async () => {
    const m = new EnvoyGatewayModel(grpcDocs(), options());
    const r = await m.handle(grpcRequest(jwt.good.headers));
    expect(r.backend).toBe('ml-services/ml-api:8500');
    expect(r.headers?.authorization).toBeUndefined();
    expect((await m.handle({ ...grpcRequest(jwt.good.headers), authority: 'ML.example.com:443' })).backend).toBe('ml-services/ml-api:8500');
    expect((await m.handle({ ...grpcRequest({}), scheme: 'http' })).status).toBe(301);
  });

  test('blocks every variant without a valid token for the audience with a real expiry', async () => {
    const m = new EnvoyGatewayModel(grpcDocs(), options());
    expect(await reached(r => m.handle(r), variants({ host: 'ml.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }), jwt.bad)).toEqual([]);
  });

  test('blocks a token without an expiry even with a forged expiry header', async () => {
    const m = new EnvoyGatewayModel(grpcDocs(), options());
    const noExp = jwt.bad.find(c => c.label === 'token without an expiry')!;
    const r = await m.handle(grpcRequest({ ...noExp.headers, 'x-secure-serving-jwt-exp': '4102444800' }));
    expect(r.backend).toBeUndefined();
    expect(r.status).toBe(403);
  });

  test('blocks every variant under a wildcard host', async () => {
    const m = new EnvoyGatewayModel(grpcDocs({ hosts: ['*.example.com'] }), options());
    expect(await reached(r => m.handle(r), variants({ host: 'a.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }, { wildcard: '*.example.com' }),
      jwt.bad)).toEqual([]);
    expect((await m.handle({ ...grpcRequest(jwt.good.headers), authority: 'b.example.com' })).backend).toBe('ml-services/ml-api:8500');
  });

  test('negative control: without the authorization rule, a token without an expiry reaches the backend', async () => {
    const docs = grpcDocs().map(d => (d.kind === 'SecurityPolicy' ? { ...d, spec: { ...d.spec, authorization: undefined } } : d));
    const m = new EnvoyGatewayModel(docs, options());
    const noExp = jwt.bad.find(c => c.label === 'token without an expiry')!;
    expect((await m.handle(grpcRequest(noExp.headers))).backend).toBe('ml-services/ml-api:8500');
  });

  test('negative control: without the SecurityPolicy, a request without a token reaches the backend', async () => {
    const docs = grpcDocs().filter(d => d.kind !== 'SecurityPolicy');
    const m = new EnvoyGatewayModel(docs, options());
    expect((await m.handle(grpcRequest({}))).backend).toBe('ml-services/ml-api:8500');
  });

  test('a later SecurityPolicy on the same route conflicts and does not replace it', async () => {
    const docs = grpcDocs();
    const route = docs.find(d => d.kind === 'GRPCRoute');
    const ours = docs.find(d => d.kind === 'SecurityPolicy');
    const at = (d: any, t: string) => ({ ...d, metadata: { ...d.metadata, creationTimestamp: t } });
    const empty = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'aaa-open', namespace: 'ml-services' },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', name: route.metadata.name }] },
    };
    const later = docs.map(d => (d === ours ? at(d, '2026-01-01T00:00:00Z') : d)).concat(at(empty, '2026-02-01T00:00:00Z'));
    const m = new EnvoyGatewayModel(later, options());
    expect((await m.handle(grpcRequest({}))).backend).toBeUndefined();
    expect(m.statuses.some(s => s.policy.endsWith('aaa-open') && s.condition === 'Conflicted')).toBe(true);
    // Control: an older one wins, and the route is open. Who may create SecurityPolicies in the
    // route's namespace decides (README, security model).
    const earlier = docs.map(d => (d === ours ? at(d, '2026-02-01T00:00:00Z') : d)).concat(at(empty, '2026-01-01T00:00:00Z'));
    expect((await new EnvoyGatewayModel(earlier, options()).handle(grpcRequest({}))).backend).toBe('ml-services/ml-api:8500');
  });
});

describe('REST with external authorization on Envoy Gateway', () => {
  test('the authorizer\'s yes reaches the backend; other paths get 404', async () => {
    const m = new EnvoyGatewayModel(restDocs(), options());
    const req: AttackRequest = { scheme: 'https', authority: 'scoring.example.com', method: 'POST', path: REST_PATH, headers: SESSION, label: 'session' };
    expect((await m.handle(req)).backend).toBe('ml-services/scoring:8080');
    expect((await m.handle({ ...req, path: '/v1/models/iris:predict' })).backend).toBe('ml-services/scoring:8080');
    expect((await m.handle({ ...req, path: '/admin' })).status).toBe(404);
    expect((await m.handle({ ...req, path: '/v2-admin' })).status).toBe(404);
  });

  test('blocks every variant the authorizer does not admit', async () => {
    const m = new EnvoyGatewayModel(restDocs(), options());
    const none: Credential[] = [{ label: 'no session', headers: {} }, { label: 'a forged session', headers: { cookie: 'session=forged' } }];
    expect(await reached(r => m.handle(r), variants({ host: 'scoring.example.com', path: REST_PATH, headers: {} }), none)).toEqual([]);
  });

  test('the authorizer down: 403, not open (failOpen is off)', async () => {
    const m = new EnvoyGatewayModel(restDocs(), options({ extAuth: () => 'unreachable' }));
    const r = await m.handle({ scheme: 'https', authority: 'scoring.example.com', method: 'POST', path: REST_PATH, headers: SESSION, label: 'down' });
    expect(r.backend).toBeUndefined();
    expect(r.status).toBe(403);
  });

  test('negative control: without the ReferenceGrant the policy is invalid (the route answers 500, it does not open)', async () => {
    const m = new EnvoyGatewayModel(restDocs().filter(d => d.kind !== 'ReferenceGrant'), options());
    const r = await m.handle({ scheme: 'https', authority: 'scoring.example.com', method: 'POST', path: REST_PATH, headers: SESSION, label: 'session' });
    expect(r.backend).toBeUndefined();
    expect(r.status).toBe(500);
  });

  test('JWT and external authorization together: each alone is not enough', async () => {
    const m = new EnvoyGatewayModel(restDocs({ jwt: JWT }), options());
    const base = { scheme: 'https' as const, authority: 'scoring.example.com', method: 'POST', path: REST_PATH, label: 'both' };
    expect((await m.handle({ ...base, headers: { ...SESSION, ...jwt.good.headers } })).backend).toBe('ml-services/scoring:8080');
    expect((await m.handle({ ...base, headers: SESSION })).backend).toBeUndefined();
    expect((await m.handle({ ...base, headers: jwt.good.headers })).backend).toBeUndefined();
  });
});

describe('REST with JWT on Istio', () => {
  test('blocks every variant without a valid token; a valid one reaches the backend', async () => {
    const chart = newChart('ml-services');
    const door = new GatewayApiHttpIngress(chart, 'scoring', {
      hosts: ['scoring.example.com'],
      backend: Backend.fromName('scoring', 8080),
      gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: JWT,
      pathPrefixes: ['/v2'],
    });
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const name = ApiObject.of(door.gateway!).name;
    const m = new IstioGatewayModel(docs, {
      namespace: 'ml-services', labels: { 'gateway.networking.k8s.io/gateway-name': name }, gatewayApiName: name,
    }, { jwksFor: () => issuer.jwks });
    const req = { scheme: 'https' as const, authority: 'scoring.example.com', method: 'POST', path: REST_PATH, headers: jwt.good.headers, label: 'good' };
    expect((await m.handle(req)).backend).toBe('ml-services/scoring:8080');
    expect(await reached(r => m.handle(r), variants({ host: 'scoring.example.com', path: REST_PATH, headers: {} }), jwt.bad)).toEqual([]);
  });
});
