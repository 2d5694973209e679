import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AwsNlbTls, Backend, GatewayApiGrpcIngress, GatewayApiGrpcIngressProps, GatewayApiTls } from '../../src';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, synthInFreshProcess } from '../util';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const backend = Backend.fromName('ml-api', 8500, { portName: 'grpc' });

function build(props: Partial<GatewayApiGrpcIngressProps> = {}) {
  const chart = newChart('ml-services');
  const ingress = new GatewayApiGrpcIngress(chart, 'ml-api', { hosts: ['ml.example.com'], backend, tls: GatewayApiTls.atLoadBalancer(), ...props });
  return { ingress, docs: Testing.synth(chart) };
}

describe('TLS at the load balancer', () => {
  const { ingress, docs } = build({ infrastructureAnnotations: AwsNlbTls.annotations({ certificateArns: [ARN] }) });

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
  const { docs } = build({ tls: GatewayApiTls.fromSecret('ml-cert'), httpsRedirect: false });
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
  const { docs } = build({ tls: undefined, existingGateway: 'istio-ingress/shared', listenerName: 'grpc' });
  expect(docs.map(d => d.kind)).toEqual(['GRPCRoute']);
  expect(docs[0].spec.parentRefs).toEqual([{ namespace: 'istio-ingress', name: 'shared', sectionName: 'grpc' }]);
  expectValidManifests(docs);
});

test('the same props give the same YAML in two fresh processes', () => {
  const a = synthInFreshProcess('gateway-api');
  expect(a).toContain('kind: GRPCRoute');
  expect(synthInFreshProcess('gateway-api')).toBe(a);
}, 60_000);

describe('bad input', () => {
  const cases: [string, Partial<GatewayApiGrpcIngressProps>, string | RegExp][] = [
    ['fails no hosts', { hosts: [] }, 'GatewayApiGrpcIngress test/ml-api: invalid hosts []: expected at least one host name'],
    ['fails a backend port not named for gRPC', { backend: Backend.fromName('ml-api', 8500, { portName: 'http' }) }, /invalid backend "ml-api:8500/],
    ['fails a backend in another namespace', { backend: Backend.fromName('ml-api', 8500, { namespace: 'other', portName: 'grpc' }) }, 'invalid backend "other/ml-api"'],
    ['fails no TLS for a new Gateway', { tls: undefined }, 'invalid tls undefined: expected GatewayApiTls.atLoadBalancer()'],
    ['fails TLS with an existing Gateway', { existingGateway: 'ns/gw' }, /invalid tls .*: expected no tls with existingGateway/],
    ['fails a malformed existing Gateway', { tls: undefined, existingGateway: 'gw' }, 'invalid existingGateway "gw"'],
    ['fails a listener name without an existing Gateway', { listenerName: 'grpc' }, 'invalid listenerName "grpc"'],
    ['fails a bad annotation key', { infrastructureAnnotations: { 'bad key': 'x' } }, 'invalid infrastructureAnnotations.bad key "x"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
  test('fails a cdk8s-plus Service whose port is not named for gRPC', () => {
    const chart = newChart('ml-services');
    const svc = new kplus.Service(chart, 'svc', { ports: [{ port: 8500 }] });
    expect(() => new GatewayApiGrpcIngress(chart, 'i', { hosts: ['ml.example.com'], backend: Backend.fromService(svc), tls: GatewayApiTls.atLoadBalancer() }))
      .toThrow(/port name unset/);
  });
  test('fails a bad TLS Secret name', () => {
    expect(() => GatewayApiTls.fromSecret('Bad')).toThrow('GatewayApiTls.fromSecret: invalid secretName "Bad"');
  });
});
