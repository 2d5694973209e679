/**
 * Attacks on TraefikBasicAuthIngress through the Traefik model (src/lint/model/traefik.ts): no
 * request variant reaches the model server without the right password, for both route kinds,
 * with and without a path prefix, whether or not Traefik trusts forwarded headers.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, BasicAuthUser, TlsCertificate, TlsTermination, TraefikBasicAuthIngress, TraefikBasicAuthIngressProps, TraefikRouteKind,
} from '../../src';
import { reached, variants } from '../../src/lint/model/requests';
import { TraefikModel } from '../../src/lint/model/traefik';
import { basicCredentials } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const HOST = 'scoring.example.com';
const USER = 'user1';
const PASSWORD = 'correct horse battery staple';
const BACKEND = 'bos-rf/bos-rf-svc:8000';
const creds = basicCredentials(USER, PASSWORD);

function synth(props: Partial<TraefikBasicAuthIngressProps> = {}): any[] {
  const chart = newChart('bos-rf');
  new TraefikBasicAuthIngress(chart, 'ingress', {
    hosts: [HOST],
    backend: Backend.fromName('bos-rf-svc', 8000),
    users: [BasicAuthUser.fromPassword(USER, PASSWORD, { cost: 4 })],
    tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('letsencrypt')),
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return docs;
}

/** Every variant with every bad credential: none may reach the backend. */
const leaks = (model: TraefikModel, path: string) =>
  reached(r => model.handle(r), variants({ host: HOST, path, method: 'POST' }, { extraPaths: ['/predict'] }), creds.bad);

const MODES: [string, Partial<TraefikBasicAuthIngressProps>][] = [
  ['IngressRoute', {}],
  ['IngressRoute with a path prefix', { pathPrefix: '/api' }],
  ['Ingress', { routeKind: TraefikRouteKind.ingress() }],
  ['Ingress with a path prefix', { routeKind: TraefikRouteKind.ingress(), pathPrefix: '/api' }],
];

describe.each(MODES)('%s', (_name, props) => {
  const docs = synth(props);
  const path = props.pathPrefix ? `${props.pathPrefix}/predict` : '/predict';

  describe.each([false, true])('Traefik trusts forwarded headers: %s', trust => {
    const model = new TraefikModel(docs, { trustForwardedHeaders: trust });

    test('the right password over HTTPS reaches the backend, without the Authorization header', () => {
      const r = model.handle({ scheme: 'https', authority: HOST, method: 'POST', path, headers: creds.good.headers, label: 'good' });
      expect(r.backend).toBe(BACKEND);
      expect(r.headers?.authorization).toBeUndefined();
    });

    test('plain HTTP is redirected to HTTPS', () => {
      const r = model.handle({ scheme: 'http', authority: HOST, method: 'GET', path, headers: {}, label: 'http' });
      expect(r.status).toBe(301);
    });

    test('blocks every host, path, method and scheme variant without the right password', async () => {
      expect(await leaks(model, path)).toEqual([]);
    });
  });
});

test('blocks plain HTTP with a trusted X-Forwarded-Proto on the Ingress redirect route: basic auth follows the redirect', () => {
  const model = new TraefikModel(synth({ routeKind: TraefikRouteKind.ingress() }), { trustForwardedHeaders: true });
  const req = { scheme: 'http' as const, authority: HOST, method: 'POST', path: '/predict', label: 'forged' };
  expect(model.handle({ ...req, headers: { 'x-forwarded-proto': 'https' } }).status).toBe(401);
  // A TLS-terminating load balancer in front of the web entry point: the right password still works.
  expect(model.handle({ ...req, headers: { 'x-forwarded-proto': 'https', ...creds.good.headers } }).backend).toBe(BACKEND);
});

describe('negative controls: the model finds the known-bad setups', () => {
  test('seed 001: the Traefik v1 annotations on an Ingress leave it open', async () => {
    const seed = [{
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'bos-rf-ingress',
        namespace: 'bos-rf',
        annotations: { 'kubernetes.io/ingress.class': 'traefik', 'ingress.kubernetes.io/auth-type': 'basic', 'ingress.kubernetes.io/auth-secret': 'bos-rf-secret' },
      },
      spec: { rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'bos-rf-svc', port: { number: 8000 } } } }] } }] },
    }];
    const model = new TraefikModel(seed);
    expect((await leaks(model, '/predict')).length).toBeGreaterThan(0);
    expect(model.handle({ scheme: 'http', authority: HOST, method: 'POST', path: '/predict', headers: {}, label: 'seed' }).backend).toBe(BACKEND);
  });

  test('an HTTP Ingress with only the redirect middleware is a way around basic auth where forwarded headers are trusted', async () => {
    const docs = synth({ routeKind: TraefikRouteKind.ingress() }).map(d => {
      if (d.kind !== 'Ingress' || !d.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'].includes(',')) {
        return d;
      }
      const [redirect] = d.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'].split(',');
      return { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, 'traefik.ingress.kubernetes.io/router.middlewares': redirect } } };
    });
    expect(await leaks(new TraefikModel(docs, { trustForwardedHeaders: true }), '/predict')).toContainEqual(
      expect.stringContaining('plain HTTP to scoring.example.com with a forged X-Forwarded-Proto: https with no credentials: reached'));
    // Without trusted forwarded headers, Traefik drops the forged header and redirects.
    expect(await leaks(new TraefikModel(docs, { trustForwardedHeaders: false }), '/predict')).toEqual([]);
  });

  test('a router without the basicAuth middleware is open', async () => {
    const docs = synth().map(d => d.kind === 'IngressRoute' && d.spec.tls
      ? { ...d, spec: { ...d.spec, routes: d.spec.routes.map((r: any) => ({ ...r, middlewares: [] })) } } : d);
    expect((await leaks(new TraefikModel(docs), '/predict')).length).toBeGreaterThan(0);
  });
});

describe('around the door: the backend NetworkPolicy', () => {
  const TRAEFIK_PODS = { namespace: 'traefik', selector: { 'app.kubernetes.io/name': 'traefik' } };
  function withService(props: Partial<TraefikBasicAuthIngressProps> = {}) {
    const chart = newChart('bos-rf');
    const deployment = new kplus.Deployment(chart, 'model', { containers: [{ image: 'example/model:1.0', portNumber: 8000 }] });
    const service = deployment.exposeViaService({ ports: [{ port: 80, targetPort: 8000, name: 'http' }] });
    const ingress = new TraefikBasicAuthIngress(chart, 'ingress', {
      hosts: [HOST],
      backend: Backend.fromService(service),
      users: [BasicAuthUser.fromPassword(USER, PASSWORD, { cost: 4 })],
      tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('letsencrypt')),
      ...props,
    });
    return { docs: Testing.synth(chart), ingress, deployment };
  }

  test('admits only Traefik\'s pods to the backend\'s pods on the target port', () => {
    const { docs, deployment } = withService({ traefikPods: TRAEFIK_PODS });
    expectValidManifests(docs);
    const policies = docs.filter(d => d.kind === 'NetworkPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0].metadata.namespace).toBe('bos-rf');
    expect(policies[0].spec).toEqual({
      podSelector: { matchLabels: deployment.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } },
        }],
        ports: [{ protocol: 'TCP', port: 8000 }],
      }],
    });
  });

  test('fails without traefikPods for a backend whose pods it can see', () => {
    expect(() => withService()).toThrow(/invalid traefikPods undefined: expected Traefik's pods \(\{ namespace, selector \}\)/);
  });

  test('allowDirectBackendAccess writes no NetworkPolicy', () => {
    const { docs } = withService({ allowDirectBackendAccess: true });
    expect(docs.filter(d => d.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('fails with allowDirectBackendAccess given as a string', () => {
    expect(() => withService({ allowDirectBackendAccess: 'false' as any, traefikPods: TRAEFIK_PODS }))
      .toThrow(/invalid allowDirectBackendAccess "false": expected true or false/);
  });
});
