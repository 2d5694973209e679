import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, IstioGateway, IstioGrpcIngress, KServeLocalGateway, MeshWideStrictMtls, TlsCertificate, TlsTermination,
} from '../../src';
import { KSERVE_DEFAULT_INGRESS } from '../fixtures/kserve-ingress';
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
  new KServeLocalGateway(chart, 'local', { tls: TlsTermination.atProxy(TlsCertificate.fromSecret('kserve-cluster-local-tls')) });
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

test('the ingress config merges into the current document: only the keys the gateway needs change, and it says which', () => {
  const chart = newChart('istio-system');
  const gw = new KServeLocalGateway(chart, 'local', { tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')) });
  const current = { ...KSERVE_DEFAULT_INGRESS, someFutureKey: { kept: true } };
  const merged = gw.ingressConfig(JSON.stringify(current));
  expect(JSON.parse(merged.document)).toEqual({
    ...current,
    localGateway: 'istio-system/kserve-local-gateway',
    localGatewayService: 'kserve-local-gateway.istio-system.svc.cluster.local',
    disableIstioVirtualHost: true,
    urlScheme: 'https',
  });
  expect(merged.changedKeys).toEqual(['disableIstioVirtualHost', 'localGateway', 'localGatewayService', 'urlScheme']);
  // the user's own settings stay: domain, gateway, template, keys the library does not know
  expect(JSON.parse(merged.document).ingressDomain).toBe('models.corp.example');
  // merged again, nothing changes
  expect(gw.ingressConfig(merged.document).changedKeys).toEqual([]);
});

test('ingress options given are set; an HTTP gateway leaves the scheme alone', () => {
  const gw = new KServeLocalGateway(newChart('istio-system'), 'local', { ingress: { ingressDomain: 'models.example.com', disableIstioVirtualHost: false } });
  const merged = gw.ingressConfig(JSON.stringify(KSERVE_DEFAULT_INGRESS));
  expect(merged.changedKeys).toEqual(['ingressDomain', 'localGateway', 'localGatewayService']);
  expect(JSON.parse(merged.document).urlScheme).toBe('http');
});

test('App.synth() writes the keys as a merge patch under <outdir>/values/; a refused app and synthYaml write none', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'values-'));
  try {
    const app = new App({ outdir });
    new KServeLocalGateway(new Chart(app, 'mesh'), 'local', { tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')) });
    app.synthYaml();
    expect(fs.existsSync(path.join(outdir, 'values'))).toBe(false);
    app.synth();
    expect(fs.readdirSync(outdir).sort()).toEqual(['mesh.k8s.yaml', 'values']);
    const patch = JSON.parse(fs.readFileSync(path.join(outdir, 'values', 'mesh-local.kserve-ingress-patch.json'), 'utf8'));
    expect(patch).toEqual({
      disableIstioVirtualHost: true,
      localGateway: 'istio-system/kserve-local-gateway',
      localGatewayService: 'kserve-local-gateway.istio-system.svc.cluster.local',
      urlScheme: 'https',
    });
    // jq -s '.[0] * .[1]' current.json patch.json gives what ingressConfig gives
    const viaPatch = { ...KSERVE_DEFAULT_INGRESS, ...patch };
    const gw = app.node.findAll().find(c => c instanceof KServeLocalGateway) as KServeLocalGateway;
    expect(JSON.parse(gw.ingressConfig(JSON.stringify(KSERVE_DEFAULT_INGRESS)).document)).toEqual(viaPatch);

    const refused = fs.mkdtempSync(path.join(os.tmpdir(), 'values-'));
    const bad = new App({ outdir: refused });
    const chart = new Chart(bad, 'mesh', { namespace: 'ml' });
    new KServeLocalGateway(chart, 'local');
    new IstioGrpcIngress(chart, 'api', { hosts: ['a.example.com'], backend: Backend.fromService(new kplus.Service(chart, 'svc', { ports: [{ port: 1, name: 'grpc' }] })), gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }), allowUnauthenticated: true });
    expect(() => bad.synth()).toThrow(/expected a Service that selects pods/);
    expect(fs.existsSync(path.join(refused, 'values'))).toBe(false);
    fs.rmSync(refused, { recursive: true, force: true });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
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
  test('fails a TLS termination the local gateway cannot serve', () => {
    expect(() => new KServeLocalGateway(newChart(), 'g', { tls: TlsTermination.atLoadBalancer() }))
      .toThrow('KServeLocalGateway test/g: invalid tls TlsTermination.atLoadBalancer(): expected TlsTermination.atProxy(certificate), TlsTermination.insecurePlainHttp()');
    expect(() => new KServeLocalGateway(newChart(), 'g', { tls: TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('tls')) }))
      .toThrow('KServeLocalGateway test/g: invalid tls TlsTermination.mutualAtProxy(TlsCertificate.fromSecret("tls")): expected TlsTermination.atProxy(certificate), TlsTermination.insecurePlainHttp()');
    expect(() => new KServeLocalGateway(newChart(), 'g', { tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('letsencrypt')) }))
      .toThrow('KServeLocalGateway test/g: invalid tls.certificate TlsCertificate.fromTraefikCertResolver("letsencrypt"): expected TlsCertificate.fromSecret(secretName) or TlsCertificate.fromCertManager(options)');
  });
  test('fails a bad ingress gateway reference and scheme', () => {
    expect(() => new KServeLocalGateway(newChart(), 'g', { ingress: { ingressGateway: 'gateway' } }))
      .toThrow('KServeLocalGateway test/g: invalid ingress.ingressGateway "gateway"');
    expect(() => new KServeLocalGateway(newChart(), 'g', { ingress: { urlScheme: 'ftp' } })).toThrow('invalid ingress.urlScheme "ftp"');
  });

  test('fails a current document that is not a JSON object', () => {
    const gw = new KServeLocalGateway(newChart(), 'g');
    expect(() => gw.ingressConfig('ingressGateway: x')).toThrow('KServeLocalGateway.ingressConfig: invalid current "ingressGateway: x": expected the current ingress JSON document');
    expect(() => gw.ingressConfig('[]')).toThrow('invalid current "[]"');
  });
});
