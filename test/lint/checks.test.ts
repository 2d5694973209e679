/**
 * Targeted cases beside the per-rule fixtures: the attacker a tenant of another namespace is
 * (labels of its choosing, a sidecar of its own), selectors with matchExpressions, Istio path
 * templates and Gateway API path prefixes, Envoy's requires_any and listeners, the cluster's
 * service-account audience, clock skew and wildcard hosts. Each has its control.
 */
import { lint } from '../../src/lint/_lint';
import { parseManifests } from '../../src/lint/_load';
import { EnvoyModel } from '../../src/lint/model/envoy';
import { labelSelectorMatches } from '../../src/lint/model/mesh';

const yaml = (docs: object[]) => docs.map(d => JSON.stringify(d)).join('\n---\n');
const ids = async (docs: object[]) => [...new Set((await lint(parseManifests(yaml(docs), 'test.yaml'))).findings
  .filter(f => f.rule.id !== 'jwt-without-expiry' || f.severity === 'error').map(f => f.rule.id))].sort();

// An Istio door with JWT, and its backend.
const door = [
  { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTP' }, hosts: ['ml/ml.example.com'] }] } },
  { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'ml', namespace: 'ml' }, spec: { hosts: ['ml.example.com'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: 'api.ml.svc.cluster.local', port: { number: 8500 } } }] }] } },
  { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks', audiences: ['ml'], outputClaimToHeaders: [{ header: 'x-exp', claim: 'exp' }] }] } },
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { hosts: ['ml.example.com', 'ml.example.com:*'] } }] }, { to: [{ operation: { hosts: ['ml.example.com', 'ml.example.com:*'] } }], when: [{ key: 'request.headers[x-exp]', notValues: ['*'] }] }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'ml' }, spec: { selector: { app: 'api' }, ports: [{ name: 'grpc', port: 8500 }] } },
];
const netpol = (from: object[]) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'only-gateway', namespace: 'ml' },
  spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [{ from }] },
});

describe('around the door: a tenant of another namespace', () => {
  test('control: a NetworkPolicy for the gateway namespace and pods keeps it out', async () => {
    expect(await ids([...door, netpol([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }])])).toEqual([]);
  });
  test('labels its pod like the gateway: namespaceSelector {} with a podSelector admits it', async () => {
    expect(await ids([...door, netpol([{ namespaceSelector: {}, podSelector: { matchLabels: { istio: 'ingressgateway' } } }])])).toEqual(['backend-reachable-around-door']);
  });
  test('matchExpressions count: In istio-system keeps it out, NotIn ml does not', async () => {
    const sel = (operator: string, values: string[]) => [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator, values }] } }];
    expect(await ids([...door, netpol(sel('In', ['istio-system']))])).toEqual([]);
    expect(await ids([...door, netpol(sel('NotIn', ['ml']))])).toEqual(['backend-reachable-around-door']);
  });
  test('in the mesh, an ALLOW for any principal admits its sidecar; one for the namespace does not', async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml', labels: { 'istio-injection': 'enabled' } } };
    const allow = (source: object) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow', namespace: 'ml' }, spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source }] }] } });
    expect(await ids([...door, ns, allow({ principals: ['*'] })])).toEqual(['backend-reachable-around-door']);
    expect(await ids([...door, ns, allow({ namespaces: ['istio-system'] })])).toEqual([]);
  });
});

test('labelSelectorMatches: matchLabels and every matchExpression', () => {
  const sel = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }, { key: 'debug', operator: 'DoesNotExist' }] };
  expect(labelSelectorMatches(sel, { app: 'a', tier: 'y' })).toBe(true);
  expect(labelSelectorMatches(sel, { app: 'a', tier: 'z' })).toBe(false);
  expect(labelSelectorMatches(sel, { app: 'a', tier: 'x', debug: '1' })).toBe(false);
  expect(labelSelectorMatches({ matchExpressions: [{ key: 'k', operator: 'Unknown' }] }, { k: 'v' })).toBe(false);
});

test('Istio path templates: a DENY on /api/{**} covers /api/ and below; control: without it the path is open', async () => {
  const gw = door.slice(0, 2);
  const deny = (paths: string[]) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths } }] }] } });
  const vs = { ...gw[1], spec: { ...(gw[1] as any).spec, http: [{ match: [{ uri: { prefix: '/api/' } }], route: [{ destination: { host: 'api.ml.svc.cluster.local', port: { number: 8500 } } }] }] } };
  expect(await ids([gw[0], vs, deny(['/api/{**}'])])).toEqual([]);
  expect(await ids([gw[0], vs, deny(['/other/{**}'])])).toEqual(['auth-not-enforced']);
});

test('Gateway API on Istio: PathPrefix /api matches whole segments (a DENY on /api and /api/* holds)', async () => {
  const docs = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'apps' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'api', namespace: 'apps' }, spec: { parentRefs: [{ name: 'gw' }], hostnames: ['api.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'api', port: 80 }] }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny', namespace: 'apps' }, spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], action: 'DENY', rules: [{ to: [{ operation: { paths: ['/api', '/api/*'] } }] }] } },
  ];
  expect(await ids(docs)).toEqual([]);
});

describe('Envoy', () => {
  const bootstrap = (requires: object, extraListener = false) => ({
    static_resources: {
      listeners: [
        { name: 'https', filter_chains: [{ transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', 'common_tls_context': { alpn_protocols: ['h2'] } } }, filters: [hcm([{ name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', 'providers': { p: { issuer: 'https://i.example.com', audiences: ['a'], require_expiration: true, local_jwks: { filename: '/j' } } }, 'rules': [{ match: { prefix: '/' }, requires }] } }, { name: 'envoy.filters.http.router' }])] }] },
        ...(extraListener ? [{ name: 'plain', filter_chains: [{ filters: [hcm([{ name: 'envoy.filters.http.router' }])] }] }] : []),
      ],
      clusters: [{ name: 'app', load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'app.web.svc.cluster.local', port_value: 80 } } } }] }] } }],
    },
  });
  function hcm(filters: object[]) {
    return { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', 'normalize_path': true, 'merge_slashes': true, 'route_config': { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] }, 'http_filters': filters } };
  }
  const configMap = (b: object) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'envoy', namespace: 'web' }, data: { 'envoy.yaml': JSON.stringify(b) } });
  const req = { scheme: 'https' as const, authority: 'x', method: 'POST', path: '/', headers: {}, label: 'plain' };

  test('requires_any with allow_missing lets a request without a token through; control: a provider requirement does not', async () => {
    expect((await new EnvoyModel(bootstrap({ requires_any: { requirements: [{ provider_name: 'p' }, { allow_missing: {} }] } })).handle(req)).backend).toBe('web/app:80');
    expect((await new EnvoyModel(bootstrap({ provider_name: 'p' })).handle(req)).status).toBe(401);
    expect(await ids([configMap(bootstrap({ requires_any: { requirements: [{ provider_name: 'p' }, { allow_missing: {} }] } }))])).toEqual(['auth-not-enforced']);
    expect(await ids([configMap(bootstrap({ provider_name: 'p' }))])).toEqual([]);
  });

  test('a second listener without jwt_authn for the same hosts is an authentication not enforced', async () => {
    expect(await ids([configMap(bootstrap({ provider_name: 'p' }, true))])).toEqual(['auth-not-enforced']);
  });

  test('clock_skew_seconds above 300 accepts expired tokens', async () => {
    const b: any = bootstrap({ provider_name: 'p' });
    b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.providers.p.clock_skew_seconds = 86400;
    expect(await ids([configMap(b)])).toEqual(['jwt-without-expiry']);
  });
});

test('Kubernetes service-account issuer with the API server\'s audience: every pod\'s token is accepted', async () => {
  const ra = (aud: string) => ({ ...door[2], spec: { ...(door[2] as any).spec, jwtRules: [{ ...(door[2] as any).spec.jwtRules[0], issuer: 'https://kubernetes.default.svc.cluster.local', audiences: [aud] }] } });
  expect(await ids([...door.slice(0, 2), ra('https://kubernetes.default.svc.cluster.local'), ...door.slice(3)])).toContain('jwt-without-audiences');
  expect(await ids([...door.slice(0, 2), ra('ml-api'), ...door.slice(3)])).not.toContain('jwt-without-audiences');
});

test('Istio expiry: a policy on request.auth.claims[exp] does not count (a numeric claim never matches); one on the copied header does', async () => {
  const claims = { ...door[3], spec: { ...(door[3] as any).spec, rules: [(door[3] as any).spec.rules[0], { to: (door[3] as any).spec.rules[1].to, when: [{ key: 'request.auth.claims[exp]', notValues: ['*'] }] }] } };
  const all = async (docs: object[]) => (await lint(parseManifests(yaml(docs), 't.yaml'))).findings.map(f => f.rule.id);
  expect(await all([...door.slice(0, 3), claims, door[4]])).toContain('jwt-without-expiry');
  expect(await all(door)).not.toContain('jwt-without-expiry');
});

describe('public paths of the policies: their spellings may not reach the backend elsewhere', () => {
  const allow = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'allow', namespace: 'istio-system' },
    spec: {
      selector: { matchLabels: { istio: 'ingressgateway' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { requestPrincipals: ['https://issuer.example.com/*'] } }] }, { to: [{ operation: { paths: ['/public/*'], methods: ['GET'] } }] }],
    },
  };
  const noEscapedSlashes = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'paths', namespace: 'istio-system' },
    spec: {
      workloadSelector: { labels: { istio: 'ingressgateway' } },
      configPatches: [{
        applyTo: 'NETWORK_FILTER',
        match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
        patch: { operation: 'MERGE', value: { typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', 'normalize_path': true, 'merge_slashes': true, 'path_with_escaped_slashes_action': 'UNESCAPE_AND_REDIRECT' } } },
      }],
    },
  };
  const base = [...door.slice(0, 3), door[4], allow];

  test('with the mesh\'s default BASE normalization, /public/..%2Fadmin passes the exemption and is /admin to the backend', async () => {
    const report = await lint(parseManifests(yaml(base), 't.yaml'));
    const bypass = report.findings.find(f => f.rule.id === 'front-door-bypass');
    expect(bypass?.message).toMatch(/GET \/public\/x%2[Ff]\.\.%2[Ff]\S* \(a public path of the policies\) → ml\/api:8500, served as \/admin/);
  });

  test('with escaped slashes redirected, `..;` segments (dot segments to a Java backend) still escape the prefix', async () => {
    const report = await lint(parseManifests(yaml([...base, noEscapedSlashes]), 't.yaml'));
    const messages = report.findings.filter(f => f.rule.id === 'front-door-bypass').map(f => f.message).join('\n');
    expect(messages).toContain('GET /public/x/..;/..;/..;/admin (a public path of the policies) → ml/api:8500, served as /admin');
    expect(messages).not.toContain('%2f..%2f');
  });

  test('control: an exact public path has no spelling that escapes it', async () => {
    const exact = { ...allow, spec: { ...allow.spec, rules: [allow.spec.rules[0], { to: [{ operation: { paths: ['/public/health'], methods: ['GET'] } }] }] } };
    const report = await lint(parseManifests(yaml([...base.slice(0, -1), exact]), 't.yaml'));
    expect(report.findings.filter(f => f.rule.id === 'front-door-bypass').map(f => f.message)).toEqual([]);
  });
});
