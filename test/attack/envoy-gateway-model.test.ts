/**
 * Unit tests of the Envoy Gateway v1.9 model (src/lint/model/envoy-gateway.ts) on hand-written
 * manifests: how policies attach (and replace each other), how listeners, hosts and paths are
 * matched, how JWT, ExtAuth and BasicAuth decide, and negative controls showing that the model
 * reports a known-open configuration as open.
 */
import { createHash } from 'crypto';
import { basicCredentials, Credential, jwtCredentials, newIssuer, TestIssuer, token } from './credentials';
import {
  authorizerAccepting, celTrue, EnvoyGatewayModel, EnvoyGatewayOptions, EnvoyGatewayRequest, evaluateEnvoyGateway,
} from '../../src/lint/model/envoy-gateway';
import { GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../../src/lint/model/requests';

const ISSUER = 'https://issuer.example.com';
const JWKS_URI = `${ISSUER}/jwks.json`;
const API = 'apps/api:8080';
let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'ml-api');
});

/** Tokens without a usable `exp`: jwt_authn accepts them (EG sets no `require_expiration`). */
const noExpiry = (c: Credential) => c.label === 'token without an expiry' || c.label.startsWith('token with exp 0');
const expiring = () => jwt.bad.filter(c => !noExpiry(c));

const opts = (more: EnvoyGatewayOptions = {}): EnvoyGatewayOptions => ({ jwksFor: u => (u === JWKS_URI ? issuer.jwks : undefined), ...more });

function gateway(listeners?: any[]): any {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'infra' },
    spec: {
      gatewayClassName: 'eg',
      listeners: listeners ?? [
        { name: 'https', port: 443, protocol: 'HTTPS', hostname: '*.example.com', tls: { certificateRefs: [{ name: 'cert' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      ],
    },
  };
}

const cert = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'cert', namespace: 'infra' }, data: { 'tls.crt': '', 'tls.key': '' } };
const service = (namespace: string, name: string, port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port }] } });

function httpRoute(name: string, spec: any = {}, namespace = 'apps'): any {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ name: 'gw', namespace: 'infra' }],
      hostnames: ['api.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], backendRefs: [{ name: 'api', port: 8080 }] }],
      ...spec,
    },
  };
}

const jwtSpec = (more: any = {}) => ({ providers: [{ name: 'issuer', issuer: ISSUER, audiences: ['ml-api'], remoteJWKS: { uri: JWKS_URI } }], ...more });

function policy(name: string, namespace: string, targetRefs: any[], spec: any, created?: string): any {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) },
    spec: { targetRefs, ...spec },
  };
}

const toGateway = (sectionName?: string) => [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', ...(sectionName ? { sectionName } : {}) }];
const toRoute = (name: string, kind = 'HTTPRoute', sectionName?: string) =>
  [{ group: 'gateway.networking.k8s.io', kind, name, ...(sectionName ? { sectionName } : {}) }];

const base = () => [gateway(), cert, service('apps', 'api', 8080), service('apps', 'other', 8080)];

function request(over: Partial<EnvoyGatewayRequest> = {}): EnvoyGatewayRequest {
  return { scheme: 'https', authority: 'api.example.com', method: 'GET', path: '/v1/models', headers: {}, label: 'test', ...over };
}

const gatewayJwt = () => policy('gateway-jwt', 'infra', toGateway(), { jwt: jwtSpec() });

describe('attachment and precedence (internal/gatewayapi/securitypolicy.go)', () => {
  test('a route with no policy is open: a request without credentials reaches the backend', async () => {
    const r = await evaluateEnvoyGateway([...base(), httpRoute('api')], request(), opts());
    expect(r.status).toBe(200);
    expect(r.backend).toBe(API);
    expect(r.securityPolicy).toBeUndefined();
  });

  test('a Gateway-level JWT policy protects every route of every listener', async () => {
    const docs = [...base(), httpRoute('api'), httpRoute('other', {
      hostnames: ['other.example.com'], rules: [{ backendRefs: [{ name: 'other', port: 8080 }] }],
    }), gatewayJwt()];
    const m = new EnvoyGatewayModel(docs, opts());
    for (const authority of ['api.example.com', 'other.example.com']) {
      expect((await m.handle(request({ authority }))).status).toBe(401);
      expect((await m.handle(request({ authority, scheme: 'http' }))).status).toBe(401);
      expect((await m.handle(request({ authority, headers: jwt.good.headers }))).status).toBe(200);
    }
    expect(await reached(q => m.handle(q), variants({ host: 'api.example.com', path: '/v1/models' }), expiring())).toEqual([]);
    expect(m.statuses).toContainEqual(expect.objectContaining({ policy: 'infra/gateway-jwt', condition: 'Accepted' }));
  });

  test('a route policy with only CORS REPLACES the Gateway JWT policy for that route: the route is open', async () => {
    // securitypolicy.go translateSecurityPolicyForListeners: "if already set - there's a specific level policy, so skip"
    const cors = policy('cors-only', 'apps', toRoute('api'), { cors: { allowOrigins: ['https://app.example.com'] } });
    const other = httpRoute('other', { hostnames: ['other.example.com'], rules: [{ backendRefs: [{ name: 'other', port: 8080 }] }] });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), other, gatewayJwt(), cors], opts());
    const r = await m.handle(request());
    expect(r.backend).toBe(API);
    expect(r.securityPolicy).toBe('apps/cors-only');
    // the route without its own policy keeps the Gateway's
    expect((await m.handle(request({ authority: 'other.example.com' }))).status).toBe(401);
    // every CORS preflight on the CORS route is answered by the cors filter (forward_not_matching_preflights false)
    const preflight = await m.handle(request({ method: 'OPTIONS', headers: { 'origin': 'https://evil.example.net', 'access-control-request-method': 'POST' } }));
    expect(preflight.status).toBe(200);
    expect(preflight.backend).toBeUndefined();
  });

  test('even an empty route policy (targetRefs only, which the CRD admits) removes the Gateway JWT from the route', async () => {
    const empty = policy('empty', 'apps', toRoute('api'), {});
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), gatewayJwt(), empty], opts());
    expect(await m.handle(request())).toMatchObject({ status: 200, backend: API, securityPolicy: 'apps/empty' });
  });

  test('with mergeType the route policy merges into the Gateway policy: CORS and JWT', async () => {
    const cors = policy('cors-merge', 'apps', toRoute('api'), { mergeType: 'JSONMerge', cors: { allowOrigins: ['https://app.example.com'] } });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), gatewayJwt(), cors], opts());
    const r = await m.handle(request());
    expect(r).toMatchObject({ status: 401, securityPolicy: 'apps/cors-merge+infra/gateway-jwt' });
    expect((await m.handle(request({ headers: jwt.good.headers }))).backend).toBe(API);
  });

  test('two policies on one route: the older wins, then namespace/name; the other is Conflicted', async () => {
    const strict = (created?: string, name = 'strict') => policy(name, 'apps', toRoute('api'), { jwt: jwtSpec() }, created);
    const open = (created?: string, name = 'open') => policy(name, 'apps', toRoute('api'), { cors: { allowOrigins: ['*'] } }, created);
    let m = new EnvoyGatewayModel([...base(), httpRoute('api'), strict('2024-01-01T00:00:00Z'), open('2024-02-01T00:00:00Z')], opts());
    expect((await m.handle(request())).status).toBe(401);
    expect(m.statuses).toContainEqual(expect.objectContaining({ policy: 'apps/open', condition: 'Conflicted' }));
    m = new EnvoyGatewayModel([...base(), httpRoute('api'), strict('2024-03-01T00:00:00Z'), open('2024-02-01T00:00:00Z')], opts());
    expect((await m.handle(request())).backend).toBe(API);
    expect(m.statuses).toContainEqual(expect.objectContaining({ policy: 'apps/strict', condition: 'Conflicted' }));
    // same creation time: by name
    m = new EnvoyGatewayModel([...base(), httpRoute('api'), strict(undefined, 'b-strict'), open(undefined, 'a-open')], opts());
    expect((await m.handle(request())).backend).toBe(API);
  });

  test('a route-rule policy (sectionName) wins over the route policy for that rule only', async () => {
    const route = httpRoute('api', {
      rules: [
        { name: 'admin', matches: [{ path: { value: '/v1/admin' } }], backendRefs: [{ name: 'api', port: 8080 }] },
        { name: 'rest', matches: [{ path: { value: '/v1' } }], backendRefs: [{ name: 'api', port: 8080 }] },
      ],
    });
    const routeJwt = policy('route-jwt', 'apps', toRoute('api'), { jwt: jwtSpec() });
    const ruleOpen = policy('rule-open', 'apps', toRoute('api', 'HTTPRoute', 'admin'), { cors: { allowOrigins: ['*'] } }, '2030-01-01T00:00:00Z');
    const m = new EnvoyGatewayModel([...base(), route, routeJwt, ruleOpen], opts());
    expect((await m.handle(request({ path: '/v1/admin/users' }))).backend).toBe(API);
    expect((await m.handle(request({ path: '/v1/models' }))).status).toBe(401);
  });

  test('a policy in another namespace does not attach (targetRefs name objects of its own namespace)', async () => {
    // a Gateway policy in the routes' namespace, and a route policy in the Gateway's namespace: neither attaches
    const wrongGw = policy('gw-jwt', 'apps', toGateway(), { jwt: jwtSpec() });
    const wrongRoute = policy('route-jwt', 'infra', toRoute('api'), { jwt: jwtSpec() });
    const r = await evaluateEnvoyGateway([...base(), httpRoute('api'), wrongGw, wrongRoute], request(), opts());
    expect(r).toMatchObject({ status: 200, backend: API, securityPolicy: undefined });
  });

  test('targetSelectors across namespaces need a ReferenceGrant', async () => {
    const route = { ...httpRoute('api'), metadata: { name: 'api', namespace: 'apps', labels: { protect: 'yes' } } };
    const selector = {
      ...policy('by-label', 'security', [], { jwt: jwtSpec() }),
      spec: { targetSelectors: [{ kind: 'HTTPRoute', matchLabels: { protect: 'yes' }, namespaces: { from: 'All' } }], jwt: jwtSpec() },
    };
    expect((await evaluateEnvoyGateway([...base(), route, selector], request(), opts())).backend).toBe(API);
    const grant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-security', namespace: 'apps' },
      spec: { from: [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: 'security' }], to: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] },
    };
    expect((await evaluateEnvoyGateway([...base(), route, selector, grant], request(), opts())).status).toBe(401);
  });

  test('sectionName targets one listener: the plain HTTP listener of the same route stays open', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('https-jwt', 'infra', toGateway('https'), { jwt: jwtSpec() })], opts());
    expect((await m.handle(request())).status).toBe(401);
    const plain = await m.handle(request({ scheme: 'http' }));
    expect(plain).toMatchObject({ status: 200, backend: API, listener: 'infra/gw/http' });
    // a listener-level policy beats the Gateway-level one on its listener, entirely
    const both = new EnvoyGatewayModel([...base(), httpRoute('api'), gatewayJwt(),
      policy('http-open', 'infra', toGateway('http'), { cors: { allowOrigins: ['*'] } })], opts());
    expect((await both.handle(request())).status).toBe(401);
    expect((await both.handle(request({ scheme: 'http' }))).backend).toBe(API);
  });

  test('an invalid policy makes its routes answer 500 (JWKS ConfigMap missing)', async () => {
    const bad = policy('bad', 'apps', toRoute('api'), {
      jwt: { providers: [{ name: 'issuer', issuer: ISSUER, localJWKS: { type: 'ValueRef', valueRef: { name: 'missing' } } }] },
    });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), bad], opts());
    expect((await m.handle(request({ headers: jwt.good.headers }))).status).toBe(500);
    expect(m.statuses).toContainEqual(expect.objectContaining({ policy: 'apps/bad', condition: 'Invalid' }));
  });
});

describe('listeners, hosts and paths', () => {
  const protectedDocs = () => [...base(), httpRoute('api'), gatewayJwt()];

  test('the Host is matched case-insensitively and its port ignored', async () => {
    const m = new EnvoyGatewayModel(protectedDocs(), opts());
    for (const authority of ['API.EXAMPLE.COM', 'Api.Example.Com:443', 'api.example.com:8443', 'api.example.com:1']) {
      expect((await m.handle(request({ authority }))).status).toBe(401);
      expect((await m.handle(request({ authority, headers: jwt.good.headers }))).backend).toBe(API);
    }
    // the trailing dot is kept (no ClientTrafficPolicy headers.host.stripTrailingHostDot): no virtual host
    expect((await m.handle(request({ authority: 'api.example.com.', headers: jwt.good.headers }))).status).toBe(404);
  });

  test('listener hostname and route hostnames intersect; SNI picks the HTTPS filter chain', async () => {
    const listeners = [
      { name: 'api', port: 443, protocol: 'HTTPS', hostname: 'api.example.com', tls: { certificateRefs: [{ name: 'cert' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'wild', port: 443, protocol: 'HTTPS', hostname: '*.example.com', tls: { certificateRefs: [{ name: 'cert' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
    ];
    const route = httpRoute('api', { hostnames: ['api.example.com', 'www.example.com', 'api.example.net'] });
    const m = new EnvoyGatewayModel([gateway(listeners), cert, service('apps', 'api', 8080), route], opts());
    expect(await m.handle(request())).toMatchObject({ backend: API, listener: 'infra/gw/api' });
    // computeHosts: api.example.com belongs to the other listener, so the wildcard one serves www only
    expect(await m.handle(request({ authority: 'www.example.com' }))).toMatchObject({ backend: API, listener: 'infra/gw/wild' });
    expect((await m.handle(request({ authority: 'api.example.com', sni: 'www.example.com' }))).status).toBe(404);
    expect((await m.handle(request({ authority: 'api.example.net' }))).status).toBe(0);
  });

  test('routes of another namespace attach only where allowedRoutes allows (Same by default)', async () => {
    const listeners = [{ name: 'http', port: 80, protocol: 'HTTP' }];
    const r = await evaluateEnvoyGateway([gateway(listeners), service('apps', 'api', 8080), httpRoute('api')], request({ scheme: 'http' }), opts());
    expect(r.status).toBe(404);
  });

  test('PathPrefix matches whole segments, case-sensitively, after normalization', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api')], opts());
    for (const path of ['/v1', '/v1/', '/v1/models', '/v1?x=1', '/x/../v1/models', '//v1//models', '/v1/./models']) {
      expect((await m.handle(request({ path }))).backend).toBe(API);
    }
    for (const path of ['/v1-admin', '/v10', '/V1/models', '/', '/v']) {
      expect((await m.handle(request({ path }))).status).toBe(404);
    }
    expect((await m.handle(request({ path: '/x/../v1/models' }))).path).toBe('/v1/models');
    // escaped slashes: UnescapeAndRedirect by default (gRPC: 400)
    expect((await m.handle(request({ path: '/v1%2Fmodels' }))).status).toBe(307);
    expect((await m.handle(request({ path: '/v1%2Fmodels', headers: GRPC_HEADERS }))).status).toBe(400);
    // a trailing slash in the prefix is dropped (path_separated_prefix "/v1")
    const slash = new EnvoyGatewayModel([...base(), httpRoute('api', { rules: [{ matches: [{ path: { value: '/v1/' } }], backendRefs: [{ name: 'api', port: 8080 }] }] })]);
    expect((await slash.handle(request({ path: '/v1' }))).backend).toBe(API);
  });

  test('the most specific match wins regardless of rule order; Exact before PathPrefix', async () => {
    const route = httpRoute('api', {
      rules: [
        { matches: [{ path: { value: '/v1' } }], backendRefs: [{ name: 'api', port: 8080 }] },
        { matches: [{ path: { type: 'Exact', value: '/v1/health' } }], backendRefs: [{ name: 'other', port: 8080 }] },
        { matches: [{ path: { value: '/v1/models' }, headers: [{ name: 'X-Tenant', value: 'a' }] }], backendRefs: [{ name: 'other', port: 8080 }] },
      ],
    });
    const m = new EnvoyGatewayModel([...base(), route], opts());
    expect((await m.handle(request({ path: '/v1/health' }))).backend).toBe('apps/other:8080');
    expect((await m.handle(request({ path: '/v1/health/x' }))).backend).toBe(API);
    expect((await m.handle(request({ path: '/v1/models/1', headers: { 'x-tenant': 'a' } }))).backend).toBe('apps/other:8080');
    expect((await m.handle(request({ path: '/v1/models/1', headers: { 'x-tenant': 'A' } }))).backend).toBe(API);
  });

  test('HCM defaults: headers with underscores are refused; x-forwarded-proto comes from the connection', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api')], opts());
    expect((await m.handle(request({ headers: { x_user: 'admin' } }))).status).toBe(400);
    const r = await m.handle(request({ scheme: 'http', headers: { 'x-forwarded-proto': 'https' } }));
    expect(r.headers?.['x-forwarded-proto']).toBe('http');
    const allow = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'ctp', namespace: 'infra' },
      spec: { targetRefs: toGateway(), headers: { withUnderscoresAction: 'DropHeader' } },
    };
    const dropped = await evaluateEnvoyGateway([...base(), httpRoute('api'), allow], request({ headers: { x_user: 'admin' } }), opts());
    expect(dropped.backend).toBe(API);
    expect(dropped.headers?.x_user).toBeUndefined();
  });

  test('an HTTPS listener whose certificate Secret is missing is not programmed', async () => {
    const docs = [gateway(), service('apps', 'api', 8080), httpRoute('api')];
    expect((await evaluateEnvoyGateway(docs, request(), opts())).status).toBe(0);
    expect((await evaluateEnvoyGateway(docs, request(), opts({ presumeExisting: true }))).backend).toBe(API);
  });

  test('route timeout: Envoy default 15s; a BackendTrafficPolicy or the rule timeouts set it', async () => {
    expect((await evaluateEnvoyGateway([...base(), httpRoute('api')], request(), opts())).requestTimeout).toBe('15s');
    const btp = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: { name: 'no-timeout', namespace: 'apps' },
      spec: { targetRefs: toRoute('api'), timeout: { http: { requestTimeout: '0s' } } },
    };
    expect((await evaluateEnvoyGateway([...base(), httpRoute('api'), btp], request(), opts())).requestTimeout).toBe('0s');
    const ruled = httpRoute('api', { rules: [{ timeouts: { request: '30s' }, backendRefs: [{ name: 'api', port: 8080 }] }] });
    expect((await evaluateEnvoyGateway([...base(), ruled, btp], request(), opts())).requestTimeout).toBe('30s');
  });
});

describe('JWT (xds/translator/jwt.go, envoy jwt_authn)', () => {
  const docs = () => [...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: jwtSpec() })];

  test('no token 401, expired 401, another issuer 401, another audience 403, a valid token reaches the backend', async () => {
    const m = new EnvoyGatewayModel(docs(), opts());
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    expect((await m.handle(request())).status).toBe(401);
    expect((await m.handle(request({ headers: bearer(await token(issuer, { audience: 'ml-api', expiresInSeconds: -3600 })) }))).status).toBe(401);
    const other = await newIssuer('https://other.example.net');
    expect((await m.handle(request({ headers: bearer(await token(other, { audience: 'ml-api' })) }))).status).toBe(401);
    expect((await m.handle(request({ headers: bearer(await token(issuer, { audience: 'other' })) }))).status).toBe(403);
    const ok = await m.handle(request({ headers: jwt.good.headers }));
    expect(ok.backend).toBe(API);
    // forward: true: the token reaches the backend
    expect(ok.headers?.authorization).toBe(jwt.good.headers.authorization);
    // without extractFrom the access_token query parameter is read too
    const t = jwt.good.headers.authorization.slice('Bearer '.length);
    expect((await m.handle(request({ path: `/v1/models?access_token=${t}` }))).backend).toBe(API);
    expect(await reached(q => m.handle(q), variants({ host: 'api.example.com', path: '/v1/models' }), jwt.bad, (_q, c) => noExpiry(c))).toEqual([]);
  });

  test('a token without exp (or exp 0) passes jwt_authn: EG sets no require_expiration', async () => {
    const m = new EnvoyGatewayModel(docs(), opts());
    const noExp = jwt.bad.find(c => c.label === 'token without an expiry')!;
    expect((await m.handle(request({ headers: noExp.headers }))).backend).toBe(API);
  });

  test('claimToHeaders: a client copy of the header is removed, the verified claim set', async () => {
    const spec = jwtSpec({ providers: [{ ...jwtSpec().providers[0], claimToHeaders: [{ claim: 'sub', header: 'x-user' }] }] });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: spec })], opts());
    const r = await m.handle(request({ headers: { ...jwt.good.headers, 'x-user': 'admin' } }));
    expect(r.headers?.['x-user']).toBe('client');
  });

  test('optional admits a missing token but not an invalid one; failOpen admits both', async () => {
    const expired = jwt.bad.find(c => c.label === 'expired token')!;
    const optional = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: jwtSpec({ optional: true }) })], opts());
    expect((await optional.handle(request())).backend).toBe(API);
    expect((await optional.handle(request({ headers: expired.headers }))).status).toBe(401);
    const failOpen = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: jwtSpec({ failOpen: true }) })], opts());
    expect((await failOpen.handle(request({ headers: expired.headers }))).backend).toBe(API);
  });

  test('extractFrom replaces the default locations; a local inline JWKS', async () => {
    const provider = { name: 'issuer', issuer: ISSUER, localJWKS: { type: 'Inline', inline: JSON.stringify(issuer.jwks) }, extractFrom: { headers: [{ name: 'x-token' }] } };
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: { providers: [provider] } })], opts());
    const t = jwt.good.headers.authorization.slice('Bearer '.length);
    expect((await m.handle(request({ headers: { 'x-token': t } }))).backend).toBe(API);
    expect((await m.handle(request({ headers: jwt.good.headers }))).status).toBe(401);
  });

  test('authorization with the CEL rule the library generates', async () => {
    const spec = jwtSpec({ providers: [{ ...jwtSpec().providers[0], claimToHeaders: [{ claim: 'exp', header: 'x-jwt-exp' }] }] });
    const cel = 'has(request.headers[\'x-jwt-exp\']) && request.headers[\'x-jwt-exp\'].matches(\'^[1-9][0-9]*$\')';
    const authz = { defaultAction: 'Deny', rules: [{ name: 'token-with-expiry', action: 'Allow', cel }] };
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: spec, authorization: authz })], opts());
    expect((await m.handle(request({ headers: jwt.good.headers }))).backend).toBe(API);
    const noExp = jwt.bad.find(c => c.label === 'token without an expiry')!;
    expect((await m.handle(request({ headers: { ...noExp.headers, 'x-jwt-exp': '1' } }))).status).toBe(403);
    expect(celTrue(cel, { method: 'GET', path: '/', headers: { 'x-jwt-exp': '0' } })).toBe(false);
  });
});

describe('ExtAuth and BasicAuth', () => {
  const extAuth = (more: any = {}) => policy('ext', 'apps', toRoute('api'), {
    extAuth: { http: { backendRefs: [{ name: 'authz', namespace: 'auth', port: 9000 }], headersToBackend: ['x-user'] }, ...more },
  });
  const grant = {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'authz', namespace: 'auth' },
    spec: { from: [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: 'apps' }], to: [{ group: '', kind: 'Service', name: 'authz' }] },
  };
  const docs = (p: any) => [...base(), service('auth', 'authz', 9000), grant, httpRoute('api'), p];
  const goodKey = { authorization: 'Bearer good-key' };
  const authorizer = (check: any) => {
    const allow = authorizerAccepting(goodKey)(check);
    return allow !== 'unreachable' && allow.allow ? { allow: true, headers: { 'x-user': 'alice', 'x-admin': 'yes' } } : allow;
  };

  test('the authorizer decides; only headersToBackend of its answer reach the backend', async () => {
    const m = new EnvoyGatewayModel(docs(extAuth()), opts({ extAuth: authorizer }));
    const ok = await m.handle(request({ headers: goodKey }));
    expect(ok.backend).toBe(API);
    expect(ok.headers?.['x-user']).toBe('alice');
    expect(ok.headers?.['x-admin']).toBeUndefined();
    expect((await m.handle(request({ headers: { authorization: 'Bearer bad' } }))).status).toBe(403);
  });

  test('failOpen: false (the default) denies when the authorizer is unreachable; true lets everything through', async () => {
    expect((await evaluateEnvoyGateway(docs(extAuth()), request(), opts())).status).toBe(403);
    expect((await evaluateEnvoyGateway(docs(extAuth({ statusOnError: 503 })), request(), opts())).status).toBe(503);
    expect((await evaluateEnvoyGateway(docs(extAuth({ failOpen: true })), request(), opts())).backend).toBe(API);
  });

  test('an ExtAuth that cannot be built: 500, but with failOpen the ExtAuth is dropped and the route is open', async () => {
    const noGrant = (p: any) => [...base(), service('auth', 'authz', 9000), httpRoute('api'), p];
    expect((await evaluateEnvoyGateway(noGrant(extAuth()), request(), opts({ extAuth: authorizer }))).status).toBe(500);
    const open = await evaluateEnvoyGateway(noGrant(extAuth({ failOpen: true })), request(), opts({ extAuth: authorizer }));
    expect(open.backend).toBe(API);
  });

  test('basicAuth: users of a Secret .htpasswd ({SHA})', async () => {
    const sha = createHash('sha1').update('s3cret').digest('base64');
    const users = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'apps' }, stringData: { '.htpasswd': `alice:{SHA}${sha}\n` } };
    const p = policy('basic', 'apps', toRoute('api'), { basicAuth: { users: { name: 'users' }, forwardUsernameHeader: 'x-user' } });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), users, p], opts());
    const creds = basicCredentials('alice', 's3cret');
    const ok = await m.handle(request({ headers: creds.good.headers }));
    expect(ok).toMatchObject({ backend: API, headers: expect.objectContaining({ 'x-user': 'alice' }) });
    expect(await reached(q => m.handle(q), variants({ host: 'api.example.com', path: '/v1/models' }), creds.bad)).toEqual([]);
  });
});

describe('GRPCRoute', () => {
  const grpcRoute = (spec: any = {}) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'infer', namespace: 'apps' },
    spec: {
      parentRefs: [{ name: 'gw', namespace: 'infra' }],
      hostnames: ['ml.example.com'],
      rules: [{ matches: [{ method: { service: 'inference.GRPCInferenceService' } }], backendRefs: [{ name: 'api', port: 8080 }] }],
      ...spec,
    },
  });
  const grpc = (over: Partial<EnvoyGatewayRequest> = {}) => request({ authority: 'ml.example.com', method: 'POST', path: GRPC_INFER_PATH, headers: GRPC_HEADERS, ...over });

  test('service match is a path prefix by segment; content-type is not matched', async () => {
    const m = new EnvoyGatewayModel([...base(), grpcRoute(), policy('jwt', 'apps', toRoute('infer', 'GRPCRoute'), { jwt: jwtSpec() })], opts());
    expect((await m.handle(grpc({ headers: { ...GRPC_HEADERS, ...jwt.good.headers } }))).backend).toBe(API);
    expect((await m.handle(grpc())).status).toBe(401);
    expect((await m.handle(grpc({ path: '/inference.GRPCInferenceServiceX/ModelInfer', headers: { ...GRPC_HEADERS, ...jwt.good.headers } }))).status).toBe(404);
    expect((await m.handle(grpc({ headers: jwt.good.headers }))).backend).toBe(API);
  });

  test('gRPC over TLS needs ALPN h2: a ClientTrafficPolicy without h2, or overlapping listeners, break it', async () => {
    const ctp = (alpn?: string[]) => ({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'tls', namespace: 'infra' },
      spec: { targetRefs: toGateway('https'), tls: { minVersion: '1.2', ...(alpn ? { alpnProtocols: alpn } : {}) } },
    });
    expect((await evaluateEnvoyGateway([...base(), grpcRoute(), ctp(['http/1.1'])], grpc(), opts())).status).toBe(0);
    expect((await evaluateEnvoyGateway([...base(), grpcRoute(), ctp()], grpc(), opts())).backend).toBe(API);
    expect((await evaluateEnvoyGateway([...base(), grpcRoute(), ctp()], grpc({ tlsVersion: '1.1' }), opts())).status).toBe(0);
    const two = gateway([
      { name: 'https', port: 443, protocol: 'HTTPS', hostname: '*.example.com', tls: { certificateRefs: [{ name: 'cert' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'ml', port: 443, protocol: 'HTTPS', hostname: 'ml.example.com', tls: { certificateRefs: [{ name: 'cert' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
    ]);
    expect((await evaluateEnvoyGateway([two, cert, service('apps', 'api', 8080), grpcRoute()], grpc(), opts())).status).toBe(0);
  });
});

describe('negative controls: the model reports known-open configurations as open', () => {
  const attack = (m: EnvoyGatewayModel, creds: Credential[]) =>
    reached(q => m.handle(q), variants({ host: 'api.example.com', path: '/v1/models' }), creds);

  test('no policy at all', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api')], opts());
    expect((await attack(m, jwt.bad)).length).toBeGreaterThan(0);
  });

  test('a JWT policy on the HTTPS listener only: plain HTTP gets through', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('https-jwt', 'infra', toGateway('https'), { jwt: jwtSpec() })], opts());
    const open = await attack(m, expiring());
    expect(open.length).toBeGreaterThan(0);
    expect(open.every(s => s.startsWith('plain HTTP'))).toBe(true);
  });

  test('a CORS-only route policy under a Gateway JWT policy', async () => {
    const cors = policy('cors-only', 'apps', toRoute('api'), { cors: { allowOrigins: ['*'] } });
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), gatewayJwt(), cors], opts());
    expect((await attack(m, jwt.bad)).length).toBeGreaterThan(0);
  });

  test('JWT failOpen', async () => {
    const m = new EnvoyGatewayModel([...base(), httpRoute('api'), policy('jwt', 'apps', toRoute('api'), { jwt: jwtSpec({ failOpen: true }) })], opts());
    expect((await attack(m, jwt.bad)).length).toBeGreaterThan(0);
  });
});
