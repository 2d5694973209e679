/**
 * What the linter needs of the data-plane models beyond the attack tests: Traefik reads a
 * basicAuth Secret given as stringData (the API server stores it as data), and the Envoy model
 * takes a bootstrap whose listener is not named `https`, in plain HTTP.
 */
import { parse } from 'yaml';
import { EnvoyModel } from '../../src/lint/model/envoy';
import { TraefikModel } from '../../src/lint/model/traefik';

const HASH = '$2y$10$FyTlMCIkRNqcxiAt6ha6JOgzkWPTe0O.3kF8fGdvO51wEtWtgwbQ6';
const request = (scheme: 'http' | 'https') => ({ scheme, authority: 'app.example.com', method: 'GET', path: '/', headers: {}, label: 'plain' });

function traefik(secret: object) {
  return new TraefikModel([
    { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'auth', namespace: 'web' }, spec: { basicAuth: { secret: 'users' } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'web' }, ...secret },
    {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'app', namespace: 'web' },
      spec: { entryPoints: ['websecure'], tls: {}, routes: [{ match: 'Host(`app.example.com`)', kind: 'Rule', middlewares: [{ name: 'auth' }], services: [{ name: 'app', port: 80 }] }] },
    },
  ]);
}

test('Traefik: a basicAuth Secret in stringData is the same as in data', async () => {
  const fromString = await traefik({ stringData: { users: `alice:${HASH}` } }).handle(request('https'));
  const fromData = await traefik({ data: { users: Buffer.from(`alice:${HASH}`).toString('base64') } }).handle(request('https'));
  expect(fromString.status).toBe(401);
  expect(fromData.status).toBe(401);
  // control: a Secret with no users drops the middleware, and with it the router
  expect((await traefik({ stringData: {} }).handle(request('https'))).status).toBe(404);
});

const BOOTSTRAP = parse(`
static_resources:
  listeners:
    - name: plain
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                normalize_path: true
                merge_slashes: true
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: app } }] }] }
                http_filters: [{ name: envoy.filters.http.router }]
  clusters:
    - name: app
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: app.web.svc.cluster.local, port_value: 8080 } } } }] }] }
`);

test('Envoy: a plaintext listener of any name takes HTTP and refuses TLS', async () => {
  const m = new EnvoyModel(BOOTSTRAP);
  expect(m.tls).toBe(false);
  expect((await m.handle(request('http'))).backend).toBe('web/app:8080');
  expect((await m.handle(request('https'))).status).toBe(0);
});

test('Envoy: a v2 `config:` connection manager is refused by the model, not misread', () => {
  const v2 = JSON.parse(JSON.stringify(BOOTSTRAP));
  const f = v2.static_resources.listeners[0].filter_chains[0].filters[0];
  f.config = f.typed_config;
  delete f.typed_config;
  expect(() => new EnvoyModel(v2)).toThrow(/only a v3 HttpConnectionManager/);
});

function traefikRoutes(routes: object[], middlewares: object[]) {
  return new TraefikModel([
    ...middlewares,
    { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'app', namespace: 'web' }, spec: { entryPoints: ['websecure'], tls: {}, routes } },
  ]);
}
const mw = (name: string, spec: object) => ({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name, namespace: 'web' }, spec });

test('Traefik: forwardAuth refuses (its server is not in the manifests); headers and stripPrefix pass the request on', async () => {
  const route = (m: string) => [{ match: 'Host(`app.example.com`)', kind: 'Rule', middlewares: [{ name: m }], services: [{ name: 'app', port: 80 }] }];
  const fwd = traefikRoutes(route('auth'), [mw('auth', { forwardAuth: { address: 'http://oauth2-proxy.auth:4180' } })]);
  expect((await fwd.handle(request('https'))).status).toBe(401);
  const strip = traefikRoutes(route('strip'), [mw('strip', { stripPrefix: { prefixes: ['/api'] } })]);
  expect((await strip.handle(request('https'))).backend).toBe('web/app:80');
  // control: a middleware the model does not know is refused, not passed
  expect(() => traefikRoutes(route('p'), [mw('p', { plugin: { x: {} } })])).toThrow(/does not know middleware web\/p/);
});

test('Traefik: a route\'s priority beats the length of the rules', async () => {
  const authed = { match: 'Host(`app.example.com`) && PathPrefix(`/`)', kind: 'Rule', middlewares: [{ name: 'auth' }], services: [{ name: 'app', port: 80 }] };
  const open = { match: 'Host(`app.example.com`)', kind: 'Rule', services: [{ name: 'app', port: 80 }] };
  const auth = mw('auth', { forwardAuth: { address: 'http://authz.auth' } });
  // without priorities the longer rule (with auth) wins
  expect((await traefikRoutes([authed, open], [auth]).handle(request('https'))).status).toBe(401);
  // a priority on the short one puts it first: the request gets through
  expect((await traefikRoutes([authed, { ...open, priority: 1000 }], [auth]).handle(request('https'))).backend).toBe('web/app:80');
});
