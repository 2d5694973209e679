import { ApiObject, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AwsNlbTls, Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiGrpcIngressProps, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from '../../src';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const backend = Backend.fromName('ml-api', 8500, { portName: 'grpc' });

const JWT = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: JwtAudiences.of(['ml-api']) };
const LB = GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() });
const SHARED = GatewayApiGateway.existing({ name: 'shared', namespace: 'istio-ingress' });

/** Open (allowUnauthenticated) unless the props authenticate, so that each test shows one thing. */
function build(props: Partial<GatewayApiGrpcIngressProps> = {}) {
  const chart = newChart('ml-services');
  const authenticated = props.jwt !== undefined || 'allowUnauthenticated' in props;
  const ingress = new GatewayApiGrpcIngress(chart, 'ml-api', {
    hosts: ['ml.example.com'], backend, gateway: LB, allowUnauthenticated: authenticated ? undefined : true, ...props,
  });
  return { ingress, docs: Testing.synth(chart) };
}

describe('TLS at the load balancer', () => {
  const { ingress, docs } = build({
    gateway: GatewayApiGateway.create({
      tls: TlsTermination.atLoadBalancer(),
      infrastructureAnnotations: AwsNlbTls.annotations({ certificateArns: [ARN] }),
    }),
  });

  test('the default child is the GRPCRoute; documents valid against the Gateway API v1 CRDs', () => {
    expect(ingress.node.defaultChild).toBe(ingress.grpcRoute);
    expect(docs.map(d => `${d.apiVersion} ${d.kind}`)).toEqual([
      'gateway.networking.k8s.io/v1 Gateway', 'gateway.networking.k8s.io/v1 HTTPRoute', 'gateway.networking.k8s.io/v1 GRPCRoute',
    ]);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('Gateway: istio class, NLB annotations, HTTP on 80 and 443, routes from its own namespace', () => {
    const gw = oneOf(docs, 'Gateway');
    expect(gw.spec.gatewayClassName).toBe('istio');
    expect(gw.spec.infrastructure.annotations['service.beta.kubernetes.io/aws-load-balancer-alpn-policy']).toBe('HTTP2Preferred');
    expect(gw.spec.listeners).toEqual([
      { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } },
      { name: 'https', port: 443, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } },
    ]);
  });

  test('HTTPRoute on the http listener redirects to HTTPS with 301', () => {
    const r = oneOf(docs, 'HTTPRoute');
    expect(r.spec).toEqual({
      parentRefs: [{ name: oneOf(docs, 'Gateway').metadata.name, sectionName: 'http' }],
      hostnames: ['ml.example.com'],
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    });
  });

  test('GRPCRoute on the https listener to the backend', () => {
    expect(oneOf(docs, 'GRPCRoute').spec).toEqual({
      parentRefs: [{ name: oneOf(docs, 'Gateway').metadata.name, sectionName: 'https' }],
      hostnames: ['ml.example.com'],
      rules: [{ backendRefs: [{ name: 'ml-api', port: 8500 }] }],
    });
  });
});

test('TLS at the gateway: HTTPS listener terminating with the Secret', () => {
  const { docs } = build({ gateway: GatewayApiGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('ml-cert')), httpsRedirect: false }) });
  expect(oneOf(docs, 'Gateway').spec.listeners).toEqual([{
    name: 'https',
    port: 443,
    protocol: 'HTTPS',
    allowedRoutes: { namespaces: { from: 'Same' } },
    tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'ml-cert' }] },
  }]);
  expect(docsOf(docs, 'HTTPRoute')).toHaveLength(0);
  expectValidManifests(docs);
});

test('an existing Gateway: only the GRPCRoute, on the named listener', () => {
  const { docs } = build({ gateway: GatewayApiGateway.existing({ name: 'shared', namespace: 'istio-ingress', listenerName: 'grpc' }) });
  expect(docs.map(d => d.kind)).toEqual(['GRPCRoute']);
  expect(docs[0].spec.parentRefs).toEqual([{ namespace: 'istio-ingress', name: 'shared', sectionName: 'grpc' }]);
  expectValidManifests(docs);
});

describe('JWT (Istio)', () => {
  test('RequestAuthentication and DENY policy attached to the created Gateway, in its namespace', () => {
    const { ingress, docs } = build({ jwt: JWT });
    expectValidManifests(docs);
    const gw = oneOf(docs, 'Gateway').metadata.name;
    const ra = oneOf(docs, 'RequestAuthentication');
    expect(ingress.requestAuthentication).toBeDefined();
    expect(ra.metadata.namespace).toBe('ml-services');
    expect(ra.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw }]);
    const deny = oneOf(docs, 'AuthorizationPolicy');
    expect(deny.spec.action).toBe('DENY');
    expect(deny.spec.rules[0]).toEqual({
      from: [{ source: { notRequestPrincipals: ['https://issuer.example.com/*'] } }],
      to: [{ operation: { hosts: ['ml.example.com', 'ml.example.com:*'] } }],
    });
  });

  test('on an existing Gateway: the policies attach to it, in its namespace', () => {
    const { docs } = build({ gateway: SHARED, jwt: JWT, acknowledgeGatewayWideJwt: true });
    expectValidManifests(docs);
    for (const kind of ['RequestAuthentication', 'AuthorizationPolicy']) {
      expect(oneOf(docs, kind).metadata.namespace).toBe('istio-ingress');
      expect(oneOf(docs, kind).spec.targetRefs[0].name).toBe('shared');
    }
  });

  test('a backend from a cdk8s-plus Service: only the Gateway\'s pods and identity reach it', () => {
    const chart = newChart('ml-services');
    const deployment = new kplus.Deployment(chart, 'model', { containers: [{ image: 'example/model:1.0', portNumber: 8500 }] });
    const service = deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] });
    const ingress = new GatewayApiGrpcIngress(chart, 'i', { hosts: ['ml.example.com'], backend: Backend.fromService(service), gateway: LB, jwt: JWT });
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const gw = ApiObject.of(ingress.gateway!).name;
    expect(oneOf(docs, 'NetworkPolicy').spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ml-services' } },
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': gw } },
    }]);
    const allow = docsOf(docs, 'AuthorizationPolicy').find(d => d.spec.action === 'ALLOW');
    // the Gateway's identity, with a valid token of the issuer: the sidecar checks it again
    expect(allow.spec).toEqual({
      selector: { matchLabels: deployment.matchLabels },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: [`*/ns/ml-services/sa/${gw}-istio`], requestPrincipals: ['https://issuer.example.com/*'] } }],
        when: [
          { key: 'request.auth.audiences', values: ['ml-api'] },
          { key: 'request.headers[x-secure-serving-jwt-exp]', values: ['*'] },
          { key: 'request.headers[x-secure-serving-jwt-exp]', notValues: ['0*'] },
        ],
      }],
    });
    const backendRa = docsOf(docs, 'RequestAuthentication').find(d => d.spec.selector);
    expect(backendRa.spec).toEqual({
      selector: { matchLabels: deployment.matchLabels },
      jwtRules: [expect.objectContaining({ issuer: 'https://issuer.example.com', forwardOriginalToken: false })],
    });
    // the gateway forwards the token to the backend's sidecar
    expect(docsOf(docs, 'RequestAuthentication').find(d => d.spec.targetRefs).spec.jwtRules[0].forwardOriginalToken).toBe(true);
  });
});

test('the same props give the same YAML in two fresh processes, under two locales', () => {
  const a = synthInFreshProcess('gateway-api');
  expect(a).toContain('kind: GRPCRoute');
  expect(synthInFreshProcess('gateway-api', SECOND_LOCALE)).toBe(a);
}, 60_000);

describe('bad input', () => {
  const cases: [string, Partial<GatewayApiGrpcIngressProps>, string | RegExp][] = [
    ['fails no hosts', { hosts: [] }, 'GatewayApiGrpcIngress test/ml-api: invalid hosts []: expected at least one host name'],
    ['fails a backend port not named for gRPC', { backend: Backend.fromName('ml-api', 8500, { portName: 'http' }) }, /invalid backend "ml-api:8500/],
    ['fails a backend in another namespace', { backend: Backend.fromName('ml-api', 8500, { namespace: 'other', portName: 'grpc' }) }, 'invalid backend "other/ml-api"'],
    ['fails a malformed existing Gateway', { gateway: GatewayApiGateway.existing({ name: 'gw', namespace: '' }) }, 'invalid gateway.namespace ""'],
    // The name is a label value on the Gateway's pods (the backend's NetworkPolicy selects them by it): a DNS label.
    ['fails an existing Gateway whose name cannot be a label value', { gateway: GatewayApiGateway.existing({ name: 'gw.x', namespace: 'ns' }) },
      'invalid gateway.name "gw.x": expected a DNS-1123 label'],
    ['fails a bad annotation key', { gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer(), infrastructureAnnotations: { 'bad key': 'x' } }) },
      'invalid gateway.infrastructureAnnotations.bad key "x"'],
    ['fails no authentication without allowUnauthenticated', { allowUnauthenticated: undefined },
      'invalid jwt undefined: expected jwt: without it, anyone who reaches the gateway can call the backend (allowUnauthenticated: true if that is intended)'],
    ['fails JWT with wildcard hosts', { hosts: ['*.example.com'], jwt: JWT }, /invalid hosts\[0\] "\*.example.com": expected a host name without a wildcard with jwt on Istio: a route cannot refuse a Host header with another port/],
    ['fails JWT on an existing Gateway without acknowledging that it applies to all its routes', { gateway: GatewayApiGateway.existing({ name: 'gw', namespace: 'ns' }), jwt: JWT },
      /invalid acknowledgeGatewayWideJwt undefined: expected true with jwt on an existing Gateway/],
    ['fails gatewayClassName as a prop: the class belongs to the implementation', { jwt: JWT, gatewayClassName: 'eg' } as any,
      'invalid gatewayClassName (not shown): expected one of the GatewayApiGrpcIngressProps props'],
    ['fails JWT without audiences', { jwt: { issuer: 'i', jwks: JwksSource.fromUri('https://x.example.com/j') } as any },
      /invalid jwt.audiences undefined: expected .*JwtAudiences\.of\(/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
  test('fails a cdk8s-plus Service whose port is not named for gRPC', () => {
    const chart = newChart('ml-services');
    const svc = new kplus.Service(chart, 'svc', { ports: [{ port: 8500 }] });
    expect(() => new GatewayApiGrpcIngress(chart, 'i', { hosts: ['ml.example.com'], backend: Backend.fromService(svc), gateway: LB, allowUnauthenticated: true }))
      .toThrow(/port name unset/);
  });
  test('fails a bad TLS Secret name', () => {
    expect(() => TlsCertificate.fromSecret('Bad')).toThrow('TlsCertificate.fromSecret: invalid secretName "Bad"');
  });
});
