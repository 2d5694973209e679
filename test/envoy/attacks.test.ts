/**
 * Attacks on EnvoyJwtProxy through the Envoy model (src/lint/model/envoy.ts) on the bootstrap it
 * writes: a request reaches the backend only with a valid token of the issuer for its audience,
 * or on a path left open (the health service, `unauthenticatedPaths`) as the backend reads it.
 */
import { Testing } from 'cdk8s';
import { Backend, EnvoyJwtProxy, EnvoyJwtProxyProps, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination } from '../../src';
import { EnvoyModel } from '../../src/lint/model/envoy';
import { backendPath, GRPC_HEADERS, reached, variants } from '../../src/lint/model/requests';
import { Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const ISSUER = 'https://issuer.example.com';
const HOST = 'bookstore.example.com';
const BACKEND = 'bookstore/bookstore-service:8080';
const GRPC = GRPC_HEADERS;
let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'bookstore');
});

function proxy(props: Partial<EnvoyJwtProxyProps> = {}): EnvoyJwtProxy {
  const chart = newChart('bookstore');
  const p = new EnvoyJwtProxy(chart, 'envoy', {
    backend: Backend.fromName('bookstore-service', 8080),
    tls: TlsTermination.atProxy(TlsCertificate.fromSecret('envoy-certs')),
    jwt: { issuer: ISSUER, audiences: JwtAudiences.of(['bookstore']), jwks: JwksSource.fromKeySet(JsonWebKeySet.fromJson(JSON.stringify(issuer.jwks))) },
    ...props,
  });
  expectValidManifests(Testing.synth(chart));
  return p;
}

const model = (bootstrap: any) => new EnvoyModel(bootstrap, { localJwks: issuer.jwks, jwksFor: () => issuer.jwks });

/** Requests without a valid token that reach the backend on a path not left open. */
function leaks(m: EnvoyModel, open: string[], extraPaths: string[] = []): Promise<string[]> {
  const isOpen = (p: string) => open.some(o => (o.endsWith('/') ? p.startsWith(o) : p === o || p.startsWith(`${o}/`)));
  const requests = ['/bookstore.Bookstore/ListShelves', ...extraPaths].flatMap(path => variants({ host: HOST, path, headers: GRPC }, { extraPaths: open }));
  return reached(r => m.handle(r), requests, jwt.bad, (_req, _cred, r) => isOpen(backendPath(r.path!)));
}

const good = { scheme: 'https' as const, authority: HOST, method: 'POST', path: '/bookstore.Bookstore/ListShelves', label: 'good' };

test('a valid token reaches the backend, which does not see it; the health service needs none', async () => {
  const m = model(proxy().bootstrap);
  const r = await m.handle({ ...good, headers: { ...GRPC, ...jwt.good.headers } });
  expect(r.backend).toBe(BACKEND);
  expect(r.headers?.authorization).toBeUndefined();
  expect((await m.handle({ ...good, path: '/grpc.health.v1.Health/Check', headers: GRPC })).backend).toBe(BACKEND);
});

test('blocks every variant without a valid token for the audience, the health service\'s neighbours included', async () => {
  expect(await leaks(model(proxy().bootstrap), ['/grpc.health.v1.Health/'])).toEqual([]);
});

test('blocks sibling paths of an open prefix: "/public" leaves "/public-admin" closed', async () => {
  const m = model(proxy({ unauthenticatedPaths: ['/public', '/grpc.health.v1.Health/'] }).bootstrap);
  expect((await m.handle({ ...good, path: '/public/status', headers: {} })).backend).toBe(BACKEND);
  expect((await m.handle({ ...good, path: '/public', headers: {} })).backend).toBe(BACKEND);
  expect((await m.handle({ ...good, path: '/public-admin', headers: {} })).status).toBe(401);
  expect(await leaks(m, ['/public', '/grpc.health.v1.Health/'], ['/public'])).toEqual([]);
});

test('with CORS, blocks preflights from other origins and every other variant', async () => {
  const m = model(proxy({ cors: { allowOrigins: ['https://app.example.com'] } }).bootstrap);
  const preflight = { ...good, method: 'OPTIONS', headers: { 'origin': 'https://evil.example.net', 'access-control-request-method': 'POST' } };
  const r = await m.handle(preflight);
  expect(r.backend).toBeUndefined();
  expect(r.status).toBe(200); // answered by the CORS filter itself, without CORS headers
  expect((await m.handle({ ...preflight, headers: { ...preflight.headers, origin: 'https://app.example.com' } })).backend).toBeUndefined();
  expect(await leaks(m, ['/grpc.health.v1.Health/'])).toEqual([]);
});

test('with a remote JWKS, blocks every variant without a valid token', async () => {
  const m = model(proxy({ jwt: { issuer: ISSUER, audiences: JwtAudiences.of(['bookstore']), jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`) } }).bootstrap);
  expect((await m.handle({ ...good, headers: { ...GRPC, ...jwt.good.headers } })).backend).toBe(BACKEND);
  expect(await leaks(m, ['/grpc.health.v1.Health/'])).toEqual([]);
});

describe('negative controls: the model finds the known-bad setups', () => {
  const rules = (b: any) => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters
    .find((f: any) => f.name === 'envoy.filters.http.jwt_authn').typed_config;

  test('a plain "prefix: /public" rule also opens "/public-admin"', async () => {
    const b = proxy({ unauthenticatedPaths: ['/public'] }).bootstrap;
    rules(b).rules.find((r: any) => r.match.path_separated_prefix === '/public').match = { prefix: '/public' };
    expect((await model(b).handle({ ...good, path: '/public-admin', headers: {} })).backend).toBe(BACKEND);
  });

  test('CORS that forwards preflights of other origins, with bypass_cors_preflight, reaches the backend without a token', async () => {
    const b = proxy({ cors: { allowOrigins: ['https://app.example.com'] } }).bootstrap;
    rules(b).bypass_cors_preflight = true;
    delete b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0]
      .typed_per_filter_config['envoy.filters.http.cors'].forward_not_matching_preflights;
    expect(await leaks(model(b), ['/grpc.health.v1.Health/'])).toContainEqual(expect.stringContaining('CORS preflight from https://evil.example.net with no token: reached'));
  });

  test('a provider without require_expiration accepts a token without an expiry', async () => {
    const b = proxy().bootstrap;
    delete rules(b).providers.issuer.require_expiration;
    expect(await leaks(model(b), ['/grpc.health.v1.Health/'])).toContainEqual(expect.stringContaining('with token without an expiry: reached'));
  });

  test('without path normalization, a traversal out of the health service reaches the backend without a token', async () => {
    const b = proxy().bootstrap;
    const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    hcm.normalize_path = false;
    hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
    expect(await leaks(model(b), ['/grpc.health.v1.Health/'])).toContainEqual(expect.stringContaining('path /grpc.health.v1.Health/../admin with no token: reached'));
  });
});
