/**
 * Attacks on IstioExternalAuthorization through the Istio gateway model (src/lint/model/istio.ts)
 * on a Kubeflow-like gateway that serves the dashboard, another team's app and a KServe model:
 * a request reaches a backend only with a session the authorization service accepts, or on the
 * model's host, on an inference path as the backend reads it, with a valid token for the model
 * and no forged identity header.
 */
import { Testing } from 'cdk8s';
import { IstioExternalAuthorization, IstioExternalAuthorizationProps, JwksSource, JwtAudiences } from '../../src';
import { GatewayWorkload, IstioGatewayModel } from '../../src/lint/model/istio';
import { backendPath, canonicalHost, reached, variants } from '../../src/lint/model/requests';
import { Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const MODEL_HOST = 'sklearn-iris.kserve-test.example.com';
const GATEWAY: GatewayWorkload = { namespace: 'istio-system', labels: { istio: 'ingressgateway' } };
const EXEMPT_PREFIXES = ['/v1/models/', '/v2/models/', '/inference.GRPCInferenceService/'];
const SESSION = 'authservice_session=valid';

let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(K8S_ISSUER);
  jwt = await jwtCredentials(issuer, 'sklearn-iris');
});

const vs = (name: string, ns: string, host: string, service: string, port: number) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: ns },
  spec: { hosts: [host], gateways: ['kubeflow/kubeflow-gateway'], http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: `${service}.${ns}.svc.cluster.local`, port: { number: port } } }] }] },
});

/** The rest of the cluster: Kubeflow's Gateway and the VirtualServices of three apps. */
const CLUSTER = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'kubeflow-gateway', namespace: 'kubeflow' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ hosts: ['*'], port: { number: 443, name: 'https', protocol: 'HTTP' } }] },
  },
  vs('centraldashboard', 'kubeflow', 'kubeflow.example.com', 'centraldashboard', 80),
  vs('app', 'team-a', 'app.example.com', 'app', 8080),
  vs('sklearn-iris', 'kserve-test', MODEL_HOST, 'sklearn-iris-predictor', 80),
];

function synth(props: Partial<IstioExternalAuthorizationProps> = {}): any[] {
  const chart = newChart(null);
  new IstioExternalAuthorization(chart, 'dex', {
    provider: {
      name: 'dex-auth-provider', service: 'authservice.istio-system.svc.cluster.local', port: 8080, headersToUpstreamOnAllow: ['kubeflow-userid'],
    },
    exemptions: [{ hosts: [MODEL_HOST], jwt: { issuer: K8S_ISSUER, jwks: JwksSource.fromUri(`${K8S_ISSUER}/openid/v1/jwks`), audiences: JwtAudiences.of(['sklearn-iris']) } }],
    acknowledgeGatewayWideJwt: true,
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return docs;
}

const model = (docs: any[]) => new IstioGatewayModel([...docs, ...CLUSTER], GATEWAY, {
  jwksFor: () => issuer.jwks,
  extAuthz: {
    'dex-auth-provider': {
      check: h => ((h.cookie ?? '').includes(SESSION) ? { allow: true, headers: { 'kubeflow-userid': 'alice@example.com' } } : { allow: false }),
      headersToUpstreamOnAllow: ['kubeflow-userid'],
    },
  },
});

/** Requests that reach a backend without a session, and are not inference calls with a valid token on the model's host. */
function violations(m: IstioGatewayModel): Promise<string[]> {
  const forged = { label: 'a valid token and a forged kubeflow-userid', headers: { ...jwt.good.headers, 'kubeflow-userid': 'admin@example.com' } };
  const underscored = { label: 'a valid token and a forged kubeflow_userid', headers: { ...jwt.good.headers, kubeflow_userid: 'admin@example.com' } };
  const paths = ['/v1/models/sklearn-iris:predict', '/v2/models/sklearn-iris/infer', '/inference.GRPCInferenceService/ModelInfer', '/v1/admin', '/admin'];
  const requests = ['kubeflow.example.com', 'app.example.com', MODEL_HOST].flatMap(host => paths.flatMap(path => variants({ host, path })));
  // A backend may read "kubeflow_userid" as "kubeflow-userid" (CGI-style names): neither may arrive forged.
  return reached(r => m.handle(r), requests, [jwt.good, forged, underscored, ...jwt.bad], (req, cred, r) =>
    canonicalHost(req.authority) === MODEL_HOST && r.backend === 'kserve-test/sklearn-iris-predictor:80' &&
    EXEMPT_PREFIXES.some(p => backendPath(r.path!).startsWith(p)) && (cred === jwt.good || cred === underscored) &&
    r.headers?.['kubeflow-userid'] === undefined && r.headers?.kubeflow_userid === undefined);
}

test('a session reaches every app, with the identity the authorization service set', async () => {
  const m = model(synth());
  for (const [host, backend] of [['kubeflow.example.com', 'kubeflow/centraldashboard:80'], ['app.example.com', 'team-a/app:8080']]) {
    const r = await m.handle({ scheme: 'https', authority: host, method: 'GET', path: '/v1/x', headers: { 'cookie': SESSION, 'kubeflow-userid': 'forged' }, label: 'session' });
    expect(r.backend).toBe(backend);
    expect(r.headers?.['kubeflow-userid']).toBe('alice@example.com');
  }
});

test('a valid token reaches the model on its inference paths, without a session', async () => {
  const m = model(synth());
  const r = await m.handle({ scheme: 'https', authority: MODEL_HOST, method: 'POST', path: '/v1/models/sklearn-iris:predict', headers: jwt.good.headers, label: 'token' });
  expect(r.backend).toBe('kserve-test/sklearn-iris-predictor:80');
  const other = await m.handle({ scheme: 'https', authority: MODEL_HOST, method: 'GET', path: '/metrics', headers: jwt.good.headers, label: 'token' });
  expect(other.status).toBe(403);
});

test('blocks every host, path, method and header variant that is neither a session nor an inference call with a valid token', async () => {
  expect(await violations(model(synth()))).toEqual([]);
});

test('blocks exempted requests that carry an identity header the authorization service would set', async () => {
  const m = model(synth());
  const r = await m.handle({
    scheme: 'https',
    authority: MODEL_HOST,
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    headers: { ...jwt.good.headers, 'kubeflow-userid': 'admin@example.com' },
    label: 'forged',
  });
  expect(r.status).toBe(403);
});

describe('negative controls: the model finds the known-bad setups', () => {
  test('seed 004: a CUSTOM policy with notPaths ["/v1*"] opens every app\'s /v1 paths', async () => {
    const seed = [{
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'dex-auth', namespace: 'istio-system' },
      spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'CUSTOM', provider: { name: 'dex-auth-provider' }, rules: [{ to: [{ operation: { notPaths: ['/v1*'] } }] }] },
    }];
    const found = await violations(model(seed));
    expect(found).toContainEqual(expect.stringContaining('reached team-a/app:8080 at /v1/admin'));
    expect(found).toContainEqual(expect.stringContaining('reached kubeflow/centraldashboard:80 at /v1/models'));
  });

  test('without the gateway\'s path normalization, an encoded traversal on the model host reaches another path', async () => {
    const docs = synth().filter(d => d.kind !== 'EnvoyFilter');
    const found = await violations(model(docs));
    expect(found).toContainEqual(
      'path /v1/models/sklearn-iris:predict%2f..%2f..%2fadmin with a valid token: reached kserve-test/sklearn-iris-predictor:80 ' +
      'at /v1/models/sklearn-iris:predict%2f..%2f..%2fadmin (VirtualService route to kserve-test/sklearn-iris-predictor:80)');
  });

  test('without dropping headers with "_", an exempted request carries a forged kubeflow_userid to the model', async () => {
    const docs = synth().map(d => (d.kind === 'EnvoyFilter' ? JSON.parse(JSON.stringify(d).replace(/"common_http_protocol_options":\{[^}]*\},?/, '')) : d));
    expect(await violations(model(docs))).toContainEqual(expect.stringContaining('with a valid token and a forged kubeflow_userid: reached kserve-test'));
  });

  test('without dropping headers with "_", an exempted request carries a forged kubeflow_userid to the model', async () => {
    const docs = synth().map(d => {
      if (d.kind !== 'EnvoyFilter') {
        return d;
      }
      const copy = JSON.parse(JSON.stringify(d));
      delete copy.spec.configPatches[0].patch.value.typed_config.common_http_protocol_options;
      return copy;
    });
    expect(await violations(model(docs))).toContainEqual(expect.stringContaining('with a valid token and a forged kubeflow_userid: reached kserve-test'));
  });

  test('without the forged-identity DENY, an exempted request carries a forged kubeflow-userid to the model', async () => {
    const docs = synth().filter(d => !(d.kind === 'AuthorizationPolicy' && d.spec.rules?.some((r: any) => r.when?.some((w: any) => w.key === 'request.headers[kubeflow-userid]'))));
    expect(await violations(model(docs))).toContainEqual(expect.stringContaining('with a valid token and a forged kubeflow-userid: reached kserve-test'));
  });
});

describe('several exemptions, each with its own audience; the second added after construction', () => {
  const OTHER_HOST = 'xgb.kserve-test.example.com';
  const xgbVs = vs('xgb', 'kserve-test', OTHER_HOST, 'xgb-predictor', 80);
  let xgb: { good: Credential; bad: Credential[] };
  beforeAll(async () => {
    xgb = await jwtCredentials(issuer, 'xgb');
  });

  function twoExemptions(): any[] {
    const chart = newChart(null);
    const authz = new IstioExternalAuthorization(chart, 'dex', {
      provider: {
        name: 'dex-auth-provider', service: 'authservice.istio-system.svc.cluster.local', port: 8080, headersToUpstreamOnAllow: ['kubeflow-userid'],
      },
      exemptions: [{ hosts: [MODEL_HOST], jwt: { issuer: K8S_ISSUER, jwks: JwksSource.fromUri(`${K8S_ISSUER}/openid/v1/jwks`), audiences: JwtAudiences.of(['sklearn-iris']) } }],
      acknowledgeGatewayWideJwt: true,
    });
    authz.addExemption({
      hosts: [OTHER_HOST],
      paths: ['/v2/models/*'],
      jwt: { issuer: K8S_ISSUER, jwks: JwksSource.fromUri(`${K8S_ISSUER}/openid/v1/jwks`), audiences: JwtAudiences.of(['xgb']) },
    });
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    return docs;
  }
  const m2 = (docs: any[]) => new IstioGatewayModel([...docs, ...CLUSTER, xgbVs], GATEWAY, {
    jwksFor: () => issuer.jwks,
    extAuthz: { 'dex-auth-provider': { check: h => ((h.cookie ?? '').includes(SESSION) ? { allow: true } : { allow: false }), headersToUpstreamOnAllow: ['kubeflow-userid'] } },
  });
  const call = (host: string, path: string, headers: { [k: string]: string }) =>
    ({ scheme: 'https' as const, authority: host, method: 'POST', path, headers, label: `${host}${path}` });

  test('each model takes its own token on its own paths; the other model\'s token, or its paths, get nothing', async () => {
    const m = m2(twoExemptions());
    expect((await m.handle(call(OTHER_HOST, '/v2/models/xgb/infer', xgb.good.headers))).backend).toBe('kserve-test/xgb-predictor:80');
    expect((await m.handle(call(MODEL_HOST, '/v1/models/sklearn-iris:predict', jwt.good.headers))).backend).toBe('kserve-test/sklearn-iris-predictor:80');
    // The sklearn token on the xgb host, and the xgb token on the sklearn host: refused.
    expect((await m.handle(call(OTHER_HOST, '/v2/models/xgb/infer', jwt.good.headers))).backend).toBeUndefined();
    expect((await m.handle(call(MODEL_HOST, '/v1/models/sklearn-iris:predict', xgb.good.headers))).backend).toBeUndefined();
    // A path the xgb exemption does not list goes to the authorizer (no session: refused).
    expect((await m.handle(call(OTHER_HOST, '/v1/models/xgb:predict', xgb.good.headers))).backend).toBeUndefined();
  });

  test('no variant reaches a backend without a session, except each model\'s exempted paths with its own valid token', async () => {
    const m = m2(twoExemptions());
    const paths = ['/v1/models/m:predict', '/v2/models/m/infer', '/admin', '/v2/admin'];
    const requests = ['kubeflow.example.com', 'app.example.com', MODEL_HOST, OTHER_HOST].flatMap(host => paths.flatMap(path => variants({ host, path })));
    const allowed = (host: string, cred: Credential, backend?: string, p?: string) =>
      (host === MODEL_HOST && cred === jwt.good && backend === 'kserve-test/sklearn-iris-predictor:80' && EXEMPT_PREFIXES.some(x => p!.startsWith(x))) ||
      (host === OTHER_HOST && cred === xgb.good && backend === 'kserve-test/xgb-predictor:80' && p!.startsWith('/v2/models/'));
    const creds = [jwt.good, xgb.good, ...jwt.bad, ...xgb.bad];
    expect(await reached(r => m.handle(r), requests, creds, (req, cred, r) =>
      allowed(canonicalHost(req.authority), cred, r.backend, backendPath(r.path!)) && r.headers?.['kubeflow-userid'] === undefined)).toEqual([]);
  });

  test('negative control: without the second exemption\'s DENY policy, its exempted path is open without a token', async () => {
    const docs = twoExemptions();
    // Every combination of "not this exemption's hosts" and "not its paths": 2 x 2.
    expect(docs.find(d => d.spec?.action === 'CUSTOM').spec.rules.length).toBe(4);
    const open = docs.filter(d => !(d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY' &&
      JSON.stringify(d.spec.rules).includes(OTHER_HOST) && JSON.stringify(d.spec.rules).includes('request.auth')));
    expect(open.length).toBe(docs.length - 1);
    const m = m2(open);
    expect((await m.handle(call(OTHER_HOST, '/v2/models/xgb/infer', {}))).backend).toBe('kserve-test/xgb-predictor:80');
  });

  test('addExemption is checked as the props are, and a seventh exemption is refused', () => {
    const chart = newChart(null);
    const authz = new IstioExternalAuthorization(chart, 'dex', {
      provider: { name: 'p', service: 'authservice.istio-system.svc.cluster.local', port: 8080 },
    });
    expect(() => authz.addExemption({ paths: ['/v1/models/*'], allowAnonymous: true })).toThrow(
      /IstioExternalAuthorization test\/dex: invalid addExemption\(exemption\)\.hosts undefined: expected the host names of the exempted apps/);
    expect(() => authz.addExemption({ hosts: [MODEL_HOST], jwt: { issuer: K8S_ISSUER, jwks: JwksSource.fromUri(`${K8S_ISSUER}/jwks`), audiences: JwtAudiences.of(['a']) } }))
      .toThrow(/invalid acknowledgeGatewayWideJwt undefined: expected true with addExemption\(exemption\)\.jwt/);
    for (let i = 0; i < 6; i++) {
      authz.addExemption({ hosts: [`m${i}.example.com`], allowAnonymous: true });
    }
    expect(() => authz.addExemption({ hosts: ['m6.example.com'], allowAnonymous: true })).toThrow(/expected at most 6 exemptions/);
    const custom = Testing.synth(chart).find(d => d.spec?.action === 'CUSTOM');
    expect(custom.spec.rules).toHaveLength(64);
  });
});
