/**
 * Another route on the same gateway pods: Istio applies every Gateway whose selector matches the
 * pods, from any namespace (istio/istio 1.30.3 pilot/pkg/model/push_context.go `mergeGateways`;
 * PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off by default), and a VirtualService may route to any
 * Service. So another namespace can send its own host's requests to our backend through our
 * gateway pods, which the backend's NetworkPolicy admits. With JWT, the backend's sidecar checks
 * the token again (src/lint/model/istio.ts `sidecarInbound`): none of those requests reaches the
 * backend without a valid token.
 */
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, GatewayApiGateway, GatewayApiGrpcIngress, IstioGateway, IstioGrpcIngress, JwksSource, JwtAudiences, JwtIssuer, TlsTermination,
} from '../../src';
import { GatewayWorkload, IstioGatewayModel, sidecarInbound } from '../../src/lint/model/istio';
import { AttackRequest, GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../../src/lint/model/requests';
import { Credential, jwtCredentials, newIssuer, TestIssuer } from '../attack/credentials';
import { expectValidManifests } from '../schema';
import { newChart } from '../util';

const ISSUER = 'https://issuer.example.com';
const JWT: JwtIssuer = { issuer: ISSUER, jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`), audiences: JwtAudiences.of(['ml-api']) };
let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };

beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'ml-api');
});

/** Another namespace's Gateway on the same pods, and a VirtualService that routes its host to our backend. */
function hijack(selector: { [key: string]: string }, backendFqdn: string): any[] {
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'evil', namespace: 'team-b' },
      spec: { selector, servers: [{ hosts: ['team-b/evil.example.com'], port: { number: 443, name: 'https', protocol: 'HTTP' } }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'evil', namespace: 'team-b' },
      spec: {
        hosts: ['evil.example.com'],
        gateways: ['team-b/evil'],
        http: [{ route: [{ destination: { host: backendFqdn, port: { number: 8500 } } }] }],
      },
    },
  ];
}

interface Setup {
  readonly docs: any[];
  readonly gateway: GatewayWorkload;
  readonly peer: string;
  readonly backend: { labels: { [key: string]: string }; fqdn: string };
}

function istioIngress(): Setup {
  const chart = newChart('ml-services');
  const { deployment, service } = model(chart);
  new IstioGrpcIngress(chart, 'ingress', {
    hosts: ['ml.example.com'],
    backend: Backend.fromService(service),
    gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
    jwt: JWT,
    acknowledgeGatewayWideJwt: true,
  });
  const fqdn = `${ApiObject.of(service).name}.ml-services.svc.cluster.local`;
  const docs = Testing.synth(chart);
  return {
    docs: [...docs, ...hijack({ istio: 'ingressgateway' }, fqdn)],
    gateway: { namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
    peer: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
    backend: { labels: deployment.matchLabels, fqdn },
  };
}

function gatewayApiIngress(): Setup {
  const chart = newChart('ml-services');
  const { deployment, service } = model(chart);
  const ingress = new GatewayApiGrpcIngress(chart, 'ingress', {
    hosts: ['ml.example.com'], backend: Backend.fromService(service), gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }), jwt: JWT,
  });
  const gw = ApiObject.of(ingress.gateway!).name;
  const fqdn = `${ApiObject.of(service).name}.ml-services.svc.cluster.local`;
  const labels = { 'gateway.networking.k8s.io/gateway-name': gw };
  return {
    docs: [...Testing.synth(chart), ...hijack(labels, fqdn)],
    gateway: { namespace: 'ml-services', labels, gatewayApiName: gw },
    peer: `cluster.local/ns/ml-services/sa/${gw}-istio`,
    backend: { labels: deployment.matchLabels, fqdn },
  };
}

function model(chart: Chart) {
  const deployment = new kplus.Deployment(chart, 'model', { containers: [{ image: 'example/model:1.0', portNumber: 8500 }] });
  return { deployment, service: deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] }) };
}

/** Through the gateway pods, then the backend's sidecar. */
function endToEnd(s: Setup) {
  const gateway = new IstioGatewayModel(s.docs, s.gateway, { jwksFor: () => issuer.jwks });
  return async (req: AttackRequest) => {
    const atGateway = await gateway.handle(req);
    if (atGateway.backend === undefined) {
      return atGateway;
    }
    return sidecarInbound(s.docs, { namespace: 'ml-services', labels: s.backend.labels, port: 8500, peer: s.peer }, atGateway, { jwksFor: () => issuer.jwks });
  };
}

const request = (host: string, cred: Credential): AttackRequest =>
  ({ scheme: 'https', authority: host, method: 'POST', path: GRPC_INFER_PATH, headers: { ...GRPC_HEADERS, ...cred.headers }, label: host });

describe.each([['IstioGrpcIngress', istioIngress], ['GatewayApiGrpcIngress', gatewayApiIngress]] as [string, () => Setup][])('%s', (_name, setup) => {
  test('the documents are schema-valid; the backend checks the token again', () => {
    const s = setup();
    expectValidManifests(s.docs);
    const ra = s.docs.filter(d => d.kind === 'RequestAuthentication' && d.spec.selector?.matchLabels?.['cdk8s.io/metadata.addr'] !== undefined);
    expect(ra).toHaveLength(1);
    expect(ra[0].spec.jwtRules[0]).toMatchObject({ issuer: ISSUER, audiences: ['ml-api'], forwardOriginalToken: false });
  });

  test('a valid token reaches the backend through our route, and the backend does not see it', async () => {
    const r = await endToEnd(setup())(request('ml.example.com', jwt.good));
    expect(r.backend).toMatch(/^ml-services\//);
    expect(r.headers?.authorization).toBeUndefined();
  });

  test('blocks every request another namespace routes to the backend through the same gateway pods, without a valid token', async () => {
    const s = setup();
    // the other route does reach the backend's pods: only the token stops it
    const atGateway = await new IstioGatewayModel(s.docs, s.gateway).handle(request('evil.example.com', jwt.bad[0]));
    expect(atGateway.backend).toMatch(/^ml-services\//);
    expect(await reached(endToEnd(s), variants({ host: 'evil.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }), jwt.bad)).toEqual([]);
  });

  test('negative control: without the backend\'s check, the other route reaches it without a token', async () => {
    const s = setup();
    const identityOnly = (rule: any) => ({ from: rule.from.map((f: any) => ({ source: { ...f.source, requestPrincipals: undefined } })) });
    const open = s.docs.filter(d => !(d.kind === 'RequestAuthentication' && d.spec.selector?.matchLabels?.['cdk8s.io/metadata.addr'] !== undefined))
      .map(d => (d.kind === 'AuthorizationPolicy' && d.spec.action === 'ALLOW' ? { ...d, spec: { ...d.spec, rules: d.spec.rules.map(identityOnly) } } : d));
    expect((await endToEnd({ ...s, docs: open })(request('evil.example.com', jwt.bad[0]))).backend).toMatch(/^ml-services\//);
  });
});
