/**
 * Attacks on IstioGrpcIngress through the Istio gateway model (src/lint/model/istio.ts): no
 * request variant reaches the backend without a valid token of the issuer for its audience
 * (JWT), or without the right password (basic auth), whatever its host spelling, port, path,
 * method or headers; also on a gateway shared with another app.
 */
import { Testing } from 'cdk8s';
import {
  Backend, IstioGateway, IstioGrpcIngress, IstioGrpcIngressProps, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from '../../src';
import { GatewayWorkload, IstioGatewayModel } from '../../src/lint/model/istio';
import { AttackRequest, GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../../src/lint/model/requests';
import { basicCredentials, Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'ml-api';
const BACKEND = 'ml-services/ml-api:8500';
const GATEWAY: GatewayWorkload = { namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } };
const GRPC = GRPC_HEADERS;
const PATH = GRPC_INFER_PATH;

let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, AUDIENCE);
});

function synth(props: Partial<IstioGrpcIngressProps>, more?: (chart: any) => void): any[] {
  const chart = newChart('ml-services');
  new IstioGrpcIngress(chart, 'ml-api', {
    hosts: ['ml.example.com'],
    backend: Backend.fromName('ml-api', 8500, { portName: 'grpc' }),
    gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
    ...props,
  });
  more?.(chart);
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return docs;
}

const jwtProps = (extra: Partial<IstioGrpcIngressProps> = {}): Partial<IstioGrpcIngressProps> => ({
  jwt: { issuer: ISSUER, jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`), audiences: JwtAudiences.of([AUDIENCE]) },
  acknowledgeGatewayWideJwt: true,
  ...extra,
});

const model = (docs: any[], workload = GATEWAY) => new IstioGatewayModel(docs, workload, { jwksFor: () => issuer.jwks });

const leaks = (m: IstioGatewayModel, host: string, bad: Credential[], wildcard?: string) =>
  reached(r => m.handle(r), variants({ host, path: PATH, headers: GRPC }, { wildcard }), bad);

const good = (host: string, cred: Credential): AttackRequest =>
  ({ scheme: 'https', authority: host, method: 'POST', path: PATH, headers: { ...GRPC, ...cred.headers }, label: 'good' });

describe('JWT', () => {
  test('a valid token reaches the backend, which does not see it', async () => {
    const r = await model(synth(jwtProps())).handle(good('ml.example.com', jwt.good));
    expect(r.backend).toBe(BACKEND);
    expect(r.headers?.authorization).toBeUndefined();
  });

  test('a valid token with the port in :authority reaches the backend', async () => {
    expect((await model(synth(jwtProps())).handle(good('ml.example.com:443', jwt.good))).backend).toBe(BACKEND);
  });

  test('blocks every variant without a valid token for the audience (none, expired, other issuer or audience, no exp, ...)', async () => {
    expect(await leaks(model(synth(jwtProps())), 'ml.example.com', jwt.bad)).toEqual([]);
  });

  test('blocks every variant with TLS at the gateway and keys inlined', async () => {
    const docs = synth(jwtProps({
      gateway: IstioGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('ml-cert')) }),
      jwt: {
        issuer: ISSUER,
        jwks: JwksSource.fromKeySet(JsonWebKeySet.fromJson(JSON.stringify(issuer.jwks))),
        audiences: JwtAudiences.of([AUDIENCE]),
      },
    }));
    expect((await model(docs).handle(good('ml.example.com', jwt.good))).backend).toBe(BACKEND);
    expect(await leaks(model(docs), 'ml.example.com', jwt.bad)).toEqual([]);
  });

  test('blocks every variant of a concrete host under a wildcard, the HTTPS port included', async () => {
    const m = model(synth(jwtProps({ hosts: ['*.example.com'] })));
    expect((await m.handle(good('api.example.com', jwt.good))).backend).toBe(BACKEND);
    expect((await m.handle(good('api.example.com:443', jwt.good))).backend).toBe(BACKEND);
    expect(await leaks(m, 'api.example.com', jwt.bad, '*.example.com')).toEqual([]);
  });

  test('blocks tokens of another app\'s issuer, or of the same issuer for another audience, on a shared gateway', async () => {
    const other = await newIssuer('https://other-app-issuer.example.net');
    const otherToken = await jwtCredentials(other, 'other-app');
    const sameIssuerOtherAudience = await jwtCredentials(issuer, 'other-app');
    // Another app on the same gateway pods, with its own issuer and one shared with ours.
    const docs = synth(jwtProps(), chart => {
      for (const [id, iss, aud] of [['other-a', other.issuer, 'other-app'], ['other-b', ISSUER, 'other-app']]) {
        new IstioGrpcIngress(chart, id, {
          hosts: [`${id}.example.com`],
          backend: Backend.fromName(id, 9000, { portName: 'grpc' }),
          gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
          jwt: { issuer: iss, jwks: JwksSource.fromUri(`${iss}/jwks.json`), audiences: JwtAudiences.of([aud]) },
          acknowledgeGatewayWideJwt: true,
        });
      }
    });
    const keys = new Map([[`${ISSUER}/jwks.json`, issuer.jwks], [`${other.issuer}/jwks.json`, other.jwks]]);
    const m = new IstioGatewayModel(docs, GATEWAY, { jwksFor: uri => keys.get(uri)! });
    // Each token is valid for its own app...
    expect((await m.handle(good('other-a.example.com', otherToken.good))).backend).toBe('ml-services/other-a:9000');
    expect((await m.handle(good('other-b.example.com', sameIssuerOtherAudience.good))).backend).toBe('ml-services/other-b:9000');
    // ...and reaches nothing of ours.
    expect(await leaks(m, 'ml.example.com', [otherToken.good, sameIssuerOtherAudience.good, ...jwt.bad])).toEqual([]);
  });

  test('on an existing Gateway, blocks every variant at the pods that serve it', async () => {
    const shared: GatewayWorkload = { namespace: 'ingress', labels: { app: 'shared-gateway' } };
    const gateway = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'tfy-wildcard', namespace: 'ingress' },
      spec: { selector: { app: 'shared-gateway' }, servers: [{ hosts: ['*/*.example.com'], port: { number: 443, name: 'https', protocol: 'HTTP' } }] },
    };
    const docs = [...synth(jwtProps({
      gateway: IstioGateway.existing({ name: 'tfy-wildcard', namespace: 'ingress', pods: { namespace: 'ingress', selector: { app: 'shared-gateway' } } }),
    })), gateway];
    const m = model(docs, shared);
    expect((await m.handle(good('ml.example.com', jwt.good))).backend).toBe(BACKEND);
    expect(await leaks(m, 'ml.example.com', jwt.bad)).toEqual([]);
  });
});

describe('basic auth (Wasm plugin)', () => {
  const creds = basicCredentials('scorer', 'pw-scorer');
  const props = (extra: Partial<IstioGrpcIngressProps> = {}): Partial<IstioGrpcIngressProps> => ({
    basicAuth: { credentials: [{ username: 'scorer', password: 'pw-scorer' }] }, ...extra,
  });

  test('the right password reaches the backend, which does not see it', async () => {
    const r = await model(synth(props())).handle(good('ml.example.com', creds.good));
    expect(r.backend).toBe(BACKEND);
    expect(r.headers?.authorization).toBeUndefined();
  });

  test('blocks every host case, port, path, method and scheme variant without the right password', async () => {
    expect(await leaks(model(synth(props())), 'ml.example.com', creds.bad)).toEqual([]);
  });

  test('blocks every variant with a path prefix and a method list', async () => {
    const m = model(synth(props({ basicAuth: { credentials: [{ username: 'scorer', password: 'pw-scorer' }], pathPrefix: '/inference.', methods: ['POST'] } })));
    expect((await m.handle(good('ml.example.com', creds.good))).backend).toBe(BACKEND);
    expect(await leaks(m, 'ml.example.com', creds.bad)).toEqual([]);
  });
});

test('plain HTTP is redirected and nothing is routed on port 80', async () => {
  const m = model(synth(jwtProps()));
  for (const cred of [jwt.good, ...jwt.bad]) {
    const r = await m.handle({ ...good('ml.example.com', cred), scheme: 'http' });
    expect(r.status).toBe(301);
  }
});

test('blocks a VirtualService of another namespace from binding the hosts to the Gateway and taking their traffic', async () => {
  const hijack = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'hijack', namespace: 'attacker' },
    spec: {
      hosts: ['ml.example.com'],
      gateways: [] as string[],
      http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'collector.attacker.svc.cluster.local', port: { number: 80 } } }] }],
    },
  };
  const docs = synth(jwtProps());
  const gw = docs.find(d => d.kind === 'Gateway');
  hijack.spec.gateways = [`istio-system/${gw.metadata.name}`];
  // listed first, so that it would win if the Gateway admitted it
  expect((await model([hijack, ...docs]).handle(good('ml.example.com', jwt.good))).backend).toBe(BACKEND);
  // negative control: server hosts without the namespace prefix admit it
  const open = docs.map(d => (d === gw ? { ...d, spec: { ...d.spec, servers: d.spec.servers.map((x: any) => ({ ...x, hosts: ['ml.example.com'] })) } } : d));
  expect((await model([hijack, ...open]).handle(good('ml.example.com', jwt.good))).backend).toBe('attacker/collector:80');
});

describe('negative controls: the model finds the known-bad setups', () => {
  test('a DENY policy listing "*.example.com:*" lets "api.example.com:443" through without a token', async () => {
    const docs = synth(jwtProps({ hosts: ['*.example.com'] })).map(d => {
      if (d.kind === 'VirtualService') {
        return { ...d, spec: { ...d.spec, http: d.spec.http.map((r: any) => ({ ...r, match: [{ uri: { prefix: '/' } }] })) } };
      }
      if (d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY') {
        return { ...d, spec: { ...d.spec, rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { hosts: ['*.example.com', '*.example.com:*'] } }] }] } };
      }
      return d;
    });
    expect(await leaks(model(docs), 'api.example.com', [jwt.bad[0]], '*.example.com')).toContainEqual(
      expect.stringContaining('host api.example.com:443 with no token: reached'));
  });

  test('a basic_auth rule with the lowercase host only, and a route for every request, lets "ML.example.com" through', async () => {
    const docs = synth({ basicAuth: { credentials: [{ username: 'scorer', password: 'pw-scorer' }] } }).map(d => (d.kind === 'VirtualService'
      ? { ...d, spec: { ...d.spec, http: d.spec.http.map((r: any) => ({ ...r, match: [{ uri: { prefix: '/' } }] })) } } : d));
    const found = await leaks(model(docs), 'ml.example.com', basicCredentials('scorer', 'pw-scorer').bad);
    expect(found).toContainEqual(expect.stringContaining('host ML.EXAMPLE.COM with no credentials: reached'));
    expect(found).toContainEqual(expect.stringContaining('method PROPFIND with no credentials: reached'));
  });

  test('a DENY policy on "any principal", with another issuer on the gateway, lets that issuer\'s tokens through', async () => {
    const other = await newIssuer('https://other-app-issuer.example.net');
    const otherToken = await jwtCredentials(other, 'other-app');
    const docs = synth(jwtProps(), chart => new IstioGrpcIngress(chart, 'other', {
      hosts: ['other.example.com'],
      backend: Backend.fromName('other', 9000, { portName: 'grpc' }),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: { issuer: other.issuer, jwks: JwksSource.fromUri(`${other.issuer}/jwks.json`), audiences: JwtAudiences.of(['other-app']) },
      acknowledgeGatewayWideJwt: true,
    })).map(d => (d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY'
      ? { ...d, spec: { ...d.spec, rules: [{ ...d.spec.rules[0], from: [{ source: { notRequestPrincipals: ['*'] } }] }] } } : d));
    const keys = new Map([[`${ISSUER}/jwks.json`, issuer.jwks], [`${other.issuer}/jwks.json`, other.jwks]]);
    const m = new IstioGatewayModel(docs, GATEWAY, { jwksFor: uri => keys.get(uri)! });
    expect((await m.handle(good('ml.example.com', otherToken.good))).backend).toBe(BACKEND);
  });

  test('a RequestAuthentication without audiences and without the expiry rule accepts such tokens', async () => {
    const docs = synth(jwtProps()).map(d => {
      if (d.kind === 'RequestAuthentication') {
        return { ...d, spec: { ...d.spec, jwtRules: d.spec.jwtRules.map(({ audiences, outputClaimToHeaders, ...r }: any) => r) } };
      }
      if (d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY') {
        return { ...d, spec: { ...d.spec, rules: [d.spec.rules[0]] } };
      }
      return d;
    });
    const found = await leaks(model(docs), 'ml.example.com', jwt.bad);
    expect(found).toContainEqual(expect.stringContaining('with token for another audience: reached'));
    expect(found).toContainEqual(expect.stringContaining('with token without an expiry: reached'));
  });
});
