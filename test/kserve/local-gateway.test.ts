import { Testing } from 'cdk8s';
import { KServeLocalGateway, MeshWideStrictMtls } from '../../src';
import { expectValidManifests } from '../schema';
import { newChart, oneOf } from '../util';

test('HTTP: Gateway on 8082 and Service 80 -> 8082 without port translation', () => {
  const chart = newChart('istio-system');
  const gw = new KServeLocalGateway(chart, 'local');
  const docs = Testing.synth(chart);
  expect(gw.node.defaultChild).toBe(gw.gateway);
  expect(oneOf(docs, 'Gateway')).toMatchObject({
    metadata: { name: 'kserve-local-gateway', namespace: 'istio-system' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ hosts: ['*'], port: { number: 8082, name: 'http', protocol: 'HTTP' } }] },
  });
  const svc = oneOf(docs, 'Service');
  expect(svc.metadata.labels).toEqual({ 'experimental.istio.io/disable-gateway-port-translation': 'true' });
  expect(svc.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8082 }]);
  expectValidManifests(docs);
  expect(docs).toMatchSnapshot();
});

test('HTTPS: 8445 SIMPLE with the credential, Service 443 -> 8445', () => {
  const chart = newChart('istio-system');
  new KServeLocalGateway(chart, 'local', { https: true, credentialName: 'kserve-cluster-local-tls' });
  const docs = Testing.synth(chart);
  expect(oneOf(docs, 'Gateway').spec.servers[0]).toEqual({
    hosts: ['*'],
    port: { number: 8445, name: 'https', protocol: 'HTTPS' },
    tls: { mode: 'SIMPLE', credentialName: 'kserve-cluster-local-tls', minProtocolVersion: 'TLSV1_2' },
  });
  expect(oneOf(docs, 'Service').spec.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443, targetPort: 8445 }]);
  expect(oneOf(docs, 'Service').metadata.labels).toBeUndefined();
  expectValidManifests(docs);
});

test('the ingress config is one complete document with the local gateway and disableIstioVirtualHost', () => {
  const chart = newChart('istio-system');
  const gw = new KServeLocalGateway(chart, 'local', { https: true, credentialName: 'tls' });
  const config = JSON.parse(gw.ingressConfig({ ingressDomain: 'models.example.com' }));
  expect(config).toEqual({
    enableGatewayApi: false,
    kserveIngressGateway: 'kserve/kserve-ingress-gateway',
    ingressGateway: 'knative-serving/knative-ingress-gateway',
    knativeLocalGatewayService: 'knative-local-gateway.istio-system.svc.cluster.local',
    localGateway: 'istio-system/kserve-local-gateway',
    localGatewayService: 'kserve-local-gateway.istio-system.svc.cluster.local',
    ingressDomain: 'models.example.com',
    ingressClassName: 'istio',
    domainTemplate: '{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}',
    urlScheme: 'https',
    disableIstioVirtualHost: true,
    disableIngressCreation: false,
    pathTemplate: '/serving/{{ .Namespace }}/{{ .Name }}',
  });
  // KServe refuses an ingress document without ingressGateway
  expect(config.ingressGateway).toBeTruthy();
});

test('mesh-wide strict mTLS: PeerAuthentication, *.local ISTIO_MUTUAL, knative-local-gateway on 8081', () => {
  const chart = newChart(null);
  new MeshWideStrictMtls(chart, 'mtls');
  const docs = Testing.synth(chart);
  expect(oneOf(docs, 'PeerAuthentication')).toMatchObject({ metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
  expect(oneOf(docs, 'DestinationRule').spec).toEqual({ host: '*.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  expect(oneOf(docs, 'Gateway')).toMatchObject({
    metadata: { name: 'knative-local-gateway', namespace: 'knative-serving' },
    spec: { servers: [{ hosts: ['*'], port: { number: 8081, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'ISTIO_MUTUAL' } }] },
  });
  expectValidManifests(docs);
});

describe('bad input', () => {
  test('fails HTTPS without a credential', () => {
    expect(() => new KServeLocalGateway(newChart(), 'g', { https: true })).toThrow('KServeLocalGateway test/g: invalid credentialName undefined: expected the name of the TLS Secret with https: true');
  });
  test('fails a credential without HTTPS', () => {
    expect(() => new KServeLocalGateway(newChart(), 'g', { credentialName: 'tls' })).toThrow('invalid credentialName "tls": expected no credentialName without https: true');
  });
  test('fails a bad ingress gateway reference and scheme', () => {
    const gw = new KServeLocalGateway(newChart(), 'g');
    expect(() => gw.ingressConfig({ ingressGateway: 'gateway' })).toThrow('KServeLocalGateway.ingressConfig: invalid options.ingressGateway "gateway"');
    expect(() => gw.ingressConfig({ urlScheme: 'ftp' })).toThrow('invalid options.urlScheme "ftp"');
  });
});
