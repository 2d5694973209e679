/**
 * What the front-door analysis takes as "authentication configured for this host": per host,
 * not per gateway or per object. A public host beside an authenticated one on the same shared
 * gateway, or in the same IngressRoute, is an unauthenticated door (a warning), not an
 * authentication that is not enforced (an error).
 */
import { lint } from '../../src/lint/_lint';
import { parseManifests } from '../../src/lint/_load';

const yaml = (docs: object[]) => docs.map(d => JSON.stringify(d)).join('\n---\n');
const rules = async (docs: object[]) => (await lint(parseManifests(yaml(docs), 'test.yaml'))).findings
  .filter(f => ['auth-not-enforced', 'unauthenticated-front-door', 'front-door-bypass'].includes(f.rule.id))
  .map(f => `${f.rule.id} ${/https?:\/\/([^/]+)/.exec(f.message)?.[1]}`).sort();

const GATEWAY = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'shared', namespace: 'istio-system' },
  spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTP' }, hosts: ['*/*'] }] },
};
const vs = (host: string, ns: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: ns, namespace: ns },
  spec: { hosts: [host], gateways: ['istio-system/shared'], http: [{ route: [{ destination: { host: `app.${ns}.svc.cluster.local`, port: { number: 80 } } }] }] },
});
const RA = {
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name: 'jwt', namespace: 'istio-system' },
  spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks', audiences: ['api'] }] },
};
const DENY_FOR_API = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'require-jwt', namespace: 'istio-system' },
  spec: {
    selector: { matchLabels: { istio: 'ingressgateway' } },
    action: 'DENY',
    rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { hosts: ['api.example.com', 'api.example.com:*'] } }] }],
  },
};

test('Istio: a public host beside a JWT-protected one on a shared gateway is unauthenticated, not a failed authentication', async () => {
  expect(await rules([GATEWAY, vs('api.example.com', 'api'), vs('docs.example.com', 'docs'), RA, DENY_FOR_API])).toEqual([
    'unauthenticated-front-door docs.example.com',
  ]);
});

test('Istio control: RequestAuthentication with no policy scoping it is meant for every host, and enforced for none', async () => {
  expect(await rules([GATEWAY, vs('api.example.com', 'api'), vs('docs.example.com', 'docs'), RA])).toEqual([
    'auth-not-enforced api.example.com',
    'auth-not-enforced docs.example.com',
  ]);
});

const mw = (name: string, spec: object) => ({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name, namespace: 'bi' }, spec });
const ingressRoute = (routes: object[]) => ({
  apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'bi', namespace: 'bi' }, spec: { entryPoints: ['websecure'], tls: {}, routes },
});

test('Traefik: the sign-in host beside a forwardAuth-protected one in the same IngressRoute is unauthenticated, not a failed authentication', async () => {
  const docs = [mw('sso', { forwardAuth: { address: 'http://oauth2-proxy.bi:4180' } }), ingressRoute([
    { match: 'Host(`sso.example.com`)', kind: 'Rule', services: [{ name: 'oauth2-proxy', port: 4180 }] },
    { match: 'Host(`bi.example.com`)', kind: 'Rule', middlewares: [{ name: 'sso' }], services: [{ name: 'superset', port: 8088 }] },
  ])];
  expect(await rules(docs)).toEqual(['unauthenticated-front-door sso.example.com']);
});

test('Traefik control: a second route for the protected host without the middleware is a failed authentication', async () => {
  const docs = [mw('sso', { forwardAuth: { address: 'http://oauth2-proxy.bi:4180' } }), ingressRoute([
    { match: 'Host(`bi.example.com`) && PathPrefix(`/api`)', kind: 'Rule', services: [{ name: 'superset', port: 8088 }] },
    { match: 'Host(`bi.example.com`)', kind: 'Rule', middlewares: [{ name: 'sso' }], services: [{ name: 'superset', port: 8088 }] },
  ])];
  expect(await rules(docs)).toEqual(['auth-not-enforced bi.example.com']);
});
