/**
 * The value types every front door shares (TlsTermination and TlsCertificate, ProxyPods, the
 * gateway choices, JwtIssuer), user-chosen names, and the things added after construction
 * (addHost, allowNamespace, allowPrincipal): what they write, what they refuse, and, for hosts
 * added later, that the authentication covers them under attack (the same models as the attack
 * tests: src/lint/model/istio.ts, traefik.ts, envoy-gateway.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, BasicAuthUser, CertManagerIssuerKind, EnvoyJwtProxy, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiHttpIngress,
  GatewayImplementation, IstioExternalAuthorization, IstioGateway, IstioGrpcIngress, JsonWebKeySet, JwksSource, JwtAudiences,
  KServeLocalGateway, MeshIsolatedInferenceService, TlsCertificate, TlsTermination, TraefikBasicAuthIngress,
} from '../src';
import { basicCredentials, Credential, jwtCredentials, newIssuer, TestIssuer } from './attack/credentials';
import { FIXED_PUBLIC_KEY_PEM as PUBLIC_KEY_PEM } from './fixtures/public-key';
import { expectValidManifests } from './schema';
import { docsOf, newChart, oneOf } from './util';
import { EnvoyModel } from '../src/lint/model/envoy';
import { EnvoyGatewayModel } from '../src/lint/model/envoy-gateway';
import { IstioGatewayModel } from '../src/lint/model/istio';
import { backendPath, GRPC_HEADERS, GRPC_INFER_PATH, reached, variants } from '../src/lint/model/requests';
import { TraefikModel } from '../src/lint/model/traefik';

const ISSUER = 'https://issuer.example.com';
const JWT = { issuer: ISSUER, jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`), audiences: JwtAudiences.of(['ml-api']) };
const GRPC_BACKEND = () => Backend.fromName('ml-api', 8500, { portName: 'grpc' });
const CERT_MANAGER = TlsCertificate.fromCertManager({ issuerName: 'letsencrypt' });

let issuer: TestIssuer;
let jwt: { good: Credential; bad: Credential[] };
beforeAll(async () => {
  issuer = await newIssuer(ISSUER);
  jwt = await jwtCredentials(issuer, 'ml-api');
});

/** The cert-manager Certificate of a chart, checked against its CRD. */
function certificateOf(chart: Chart): any {
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return oneOf(docs, 'Certificate');
}

describe('TlsCertificate.fromCertManager: a Certificate where the data plane reads the Secret, for the names it serves', () => {
  test('Istio Gateway: in the gateway pods\' namespace, for the hosts (addHost included); the Gateway reads its Secret', () => {
    const chart = newChart('ml-services');
    const door = new IstioGrpcIngress(chart, 'ml-api', {
      hosts: ['ml.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({
        tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'internal-ca', issuerKind: CertManagerIssuerKind.ISSUER })),
        pods: { namespace: 'ingress', selector: { app: 'gw' } },
      }),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
    });
    door.addHost('*.models.example.com');
    const cert = certificateOf(chart);
    expect(cert.metadata.namespace).toBe('ingress');
    expect(cert.spec.dnsNames).toEqual(['*.models.example.com', 'ml.example.com']);
    expect(cert.spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'Issuer', name: 'internal-ca' });
    expect(cert.spec.privateKey).toEqual({ algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
    const gateway = oneOf(Testing.synth(chart), 'Gateway');
    expect(gateway.spec.servers[1].tls).toEqual({ mode: 'SIMPLE', credentialName: cert.spec.secretName, minProtocolVersion: 'TLSV1_2' });
    expect(door.certificate?.name).toBe(cert.metadata.name);
  });

  test('Gateway API: in the Gateway\'s namespace; the listener refers to the Secret cert-manager writes', () => {
    const chart = newChart('models');
    new GatewayApiHttpIngress(chart, 'rest', {
      hosts: ['rest.example.com'],
      backend: Backend.fromName('triton', 8000),
      gateway: GatewayApiGateway.create({
        tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'letsencrypt', secretName: 'rest-tls' })),
        implementation: GatewayImplementation.envoyGateway(),
      }),
      jwt: JWT,
    });
    const cert = certificateOf(chart);
    expect(cert.metadata.namespace).toBe('models');
    expect(cert.spec).toMatchObject({ secretName: 'rest-tls', dnsNames: ['rest.example.com'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' } });
    const listener = oneOf(Testing.synth(chart), 'Gateway').spec.listeners.find((l: any) => l.name === 'https');
    expect(listener.tls.certificateRefs).toEqual([{ kind: 'Secret', name: 'rest-tls' }]);
  });

  test('Traefik: in the route\'s namespace, for every host (addHost included); the IngressRoute reads its Secret', () => {
    const chart = newChart('bos-rf');
    const door = new TraefikBasicAuthIngress(chart, 'ingress', {
      hosts: ['a.example.com'],
      backend: Backend.fromName('bos-rf-svc', 8000),
      users: [BasicAuthUser.fromPassword('u', 'p', { cost: 4 })],
      tls: TlsTermination.atProxy(CERT_MANAGER),
    });
    door.addHost('b.example.com');
    const cert = certificateOf(chart);
    expect(cert.metadata.namespace).toBe('bos-rf');
    expect(cert.spec.dnsNames).toEqual(['a.example.com', 'b.example.com']);
    const route = docsOf(Testing.synth(chart), 'IngressRoute').find(r => r.spec.tls !== undefined);
    expect(route.spec.tls.secretName).toBe(cert.spec.secretName);
  });

  test('Envoy: in the chart\'s namespace, for the proxy Service\'s cluster names; the proxy mounts its Secret', () => {
    const chart = newChart('bookstore');
    const proxy = new EnvoyJwtProxy(chart, 'envoy', {
      backend: Backend.fromName('bookstore', 8080),
      tls: TlsTermination.atProxy(CERT_MANAGER),
      jwt: { issuer: ISSUER, jwks: JwksSource.fromKeySet(JsonWebKeySet.fromPublicKeyPem(PUBLIC_KEY_PEM)), audiences: JwtAudiences.of(['b']) },
    });
    const cert = certificateOf(chart);
    const service = proxy.service.name;
    expect(cert.spec.dnsNames).toEqual([`${service}.bookstore.svc`, `${service}.bookstore.svc.cluster.local`]);
    const volumes = oneOf(Testing.synth(chart), 'Deployment').spec.template.spec.volumes;
    expect(volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: cert.spec.secretName }) }));
  });

  test('KServe local gateway: in the gateway pods\' namespace, for its Service; HTTPS on 8445', () => {
    const chart = newChart('user1');
    new KServeLocalGateway(chart, 'local', { tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'cluster-ca' })) });
    const cert = certificateOf(chart);
    expect(cert.metadata).toEqual({ name: 'kserve-local-gateway-tls', namespace: 'istio-system' });
    expect(cert.spec.dnsNames).toEqual(['kserve-local-gateway.istio-system.svc', 'kserve-local-gateway.istio-system.svc.cluster.local']);
    const gateway = oneOf(Testing.synth(chart), 'Gateway');
    expect(gateway.spec.servers[0].port).toEqual({ number: 8445, name: 'https', protocol: 'HTTPS' });
    expect(gateway.spec.servers[0].tls.credentialName).toBe('kserve-local-gateway-tls');
  });

  test('fromCertManager refuses a bad issuer, names or Secret, naming the factory and the argument', () => {
    expect(() => TlsCertificate.fromCertManager({ issuerName: 'Lets Encrypt' })).toThrow(
      /^TlsCertificate\.fromCertManager: invalid options\.issuerName "Lets Encrypt": expected a DNS-1123 subdomain/);
    expect(() => TlsCertificate.fromCertManager({ issuerName: 'le', dnsNames: ['bad host'] })).toThrow(/invalid options\.dnsNames\[0\] "bad host"/);
    expect(() => TlsCertificate.fromCertManager({ issuerName: 'le', secretName: '-x' })).toThrow(/invalid options\.secretName "-x"/);
    expect(() => TlsCertificate.fromCertManager({ issuerName: 'le', issuerKind: 'Vault' as any })).toThrow(/invalid options\.issuerKind "Vault": expected one of CertManagerIssuerKind\.ISSUER/);
  });
});

describe('a TLS mode a front door cannot serve is refused, by name, before anything is written', () => {
  const cases: [string, (chart: Chart) => void, RegExp][] = [
    ['Envoy at the load balancer', chart => new EnvoyJwtProxy(chart, 'p', {
      backend: Backend.fromName('b', 80), tls: TlsTermination.atLoadBalancer(), jwt: JWT,
    }), /EnvoyJwtProxy test\/p: invalid tls TlsTermination\.atLoadBalancer\(\): expected TlsTermination\.atProxy\(certificate\): EnvoyJwtProxy does not support/],
    ['Traefik at the load balancer', chart => new TraefikBasicAuthIngress(chart, 't', {
      hosts: ['a.example.com'], backend: Backend.fromName('b', 80), users: [BasicAuthUser.fromPassword('u', 'p', { cost: 4 })], tls: TlsTermination.atLoadBalancer(),
    }), /invalid tls TlsTermination\.atLoadBalancer\(\): expected TlsTermination\.atProxy\(certificate\), TlsTermination\.insecurePlainHttp\(\)/],
    ['mutual TLS on the Gateway API', chart => new GatewayApiGrpcIngress(chart, 'g', {
      hosts: ['a.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      gateway: GatewayApiGateway.create({ tls: TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('s')) }),
    }), /invalid gateway\.tls TlsTermination\.mutualAtProxy\(TlsCertificate\.fromSecret\("s"\)\): expected TlsTermination\.atLoadBalancer\(\), TlsTermination\.atProxy/],
    ['plain HTTP on an Istio Gateway', chart => new IstioGrpcIngress(chart, 'i', {
      hosts: ['a.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
      gateway: IstioGateway.create({ tls: TlsTermination.insecurePlainHttp() }),
    }), /invalid gateway\.tls TlsTermination\.insecurePlainHttp\(\): expected TlsTermination\.atLoadBalancer\(\), TlsTermination\.atProxy\(certificate\), TlsTermination\.mutualAtProxy/],
    ['a Traefik resolver on Istio', chart => new IstioGrpcIngress(chart, 'i', {
      hosts: ['a.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
      gateway: IstioGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')) }),
    }), /invalid gateway\.tls\.certificate TlsCertificate\.fromTraefikCertResolver\("le"\): expected TlsCertificate\.fromSecret\(secretName\) or TlsCertificate\.fromCertManager/],
  ];
  test.each(cases)('%s', (_name, make, message) => {
    const chart = newChart('ml');
    expect(() => make(chart)).toThrow(message);
    // Nothing is left behind: the refused construct took itself out of the chart.
    expect(Testing.synth(chart)).toEqual([]);
  });
});

describe('names', () => {
  test('name: the main object is <name>, the others <name>-<part>; unnamed front doors keep the generated names', () => {
    const chart = newChart('ml-services');
    new IstioGrpcIngress(chart, 'door', {
      name: 'ml-api',
      hosts: ['ml.example.com'],
      backend: Backend.fromService(new kplus.Deployment(chart, 'd', { containers: [{ image: 'm:1', portNumber: 8500 }] })
        .exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] })),
      gateway: IstioGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'le' })) }),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
    });
    new IstioGrpcIngress(chart, 'unnamed', {
      hosts: ['other.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
    });
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const names = docs.filter(d => d.kind !== 'Deployment' && d.kind !== 'Service').map(d => `${d.kind} ${d.metadata.name}`);
    expect(names.filter(n => n.includes('ml-api')).sort()).toEqual([
      'AuthorizationPolicy ml-api-backend-authorization-policy',
      'AuthorizationPolicy ml-api-require-jwt',
      'Certificate ml-api-tls',
      'Gateway ml-api',
      'NetworkPolicy ml-api-backend-network-policy',
      'RequestAuthentication ml-api-backend-request-authentication',
      'RequestAuthentication ml-api-request-authentication',
      'VirtualService ml-api',
    ]);
    expect(oneOf(docs.filter(d => d.metadata.name === 'ml-api-tls'), 'Certificate').spec.secretName).toBe('ml-api-tls');
    // cdk8s's generated names, unchanged, for the unnamed one.
    expect(names).toContainEqual(expect.stringMatching(/^VirtualService test-unnamed-c8[0-9a-f]{6}$/));
  });

  test('a Gateway name of its own wins over the front door\'s; the route refers to it', () => {
    const chart = newChart('models');
    new GatewayApiGrpcIngress(chart, 'g', {
      name: 'grpc',
      hosts: ['a.example.com'],
      backend: GRPC_BACKEND(),
      gateway: GatewayApiGateway.create({ name: 'shared', tls: TlsTermination.atLoadBalancer() }),
      jwt: JWT,
    });
    const docs = Testing.synth(chart);
    expect(oneOf(docs, 'Gateway').metadata.name).toBe('shared');
    expect(oneOf(docs, 'GRPCRoute').metadata.name).toBe('grpc');
    expect(oneOf(docs, 'GRPCRoute').spec.parentRefs).toEqual([{ name: 'shared', sectionName: 'https' }]);
    // Istio names the Gateway's Service <name>-istio: 63 characters at most.
    expect(() => new GatewayApiGrpcIngress(newChart('models'), 'g', {
      hosts: ['a.example.com'], backend: GRPC_BACKEND(), jwt: JWT, gateway: GatewayApiGateway.create({ name: 'g'.repeat(58), tls: TlsTermination.atLoadBalancer() }),
    })).toThrow(/invalid gateway\.name "g{58}": expected at most 57 characters: Istio names the Gateway's Service `<name>-istio`/);
  });

  test.each([
    ['not a DNS label', 'ML_API', /invalid name "ML_API": expected a DNS-1123 label/],
    ['too long for <name>-<part> in labels', 'a'.repeat(41), /expected at most 40 characters/],
  ])('refuses a name %s', (_why, name, message) => {
    const chart = newChart('ml');
    expect(() => new IstioExternalAuthorization(chart, 'x', {
      name, provider: { name: 'p', service: 'authz.auth.svc.cluster.local', port: 8080 },
    })).toThrow(message);
  });

  test('an Envoy proxy\'s name names its Service: a DNS-1035 label', () => {
    expect(() => new EnvoyJwtProxy(newChart('b'), 'p', {
      name: '1envoy', backend: Backend.fromName('b', 80), tls: TlsTermination.atProxy(TlsCertificate.fromSecret('t')), jwt: JWT,
    })).toThrow(/EnvoyJwtProxy test\/p: invalid name "1envoy": expected a DNS-1035 label/);
  });

  test('two constructs cannot write the same object, in whatever namespace it goes (the one applied last would replace the other)', () => {
    const app = Testing.app();
    const charts = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e'].map(ns => new Chart(app, ns, { namespace: ns }));
    const shared = IstioGateway.existing({ name: 'wild', namespace: 'istio-system', pods: { namespace: 'istio-system', selector: { istio: 'ingressgateway' } } });
    const props = (host: string, name: string) => ({
      name, hosts: [host], backend: GRPC_BACKEND(), gateway: shared, jwt: JWT, acknowledgeGatewayWideJwt: true,
    });
    new IstioGrpcIngress(charts[0], 'door', props('a.example.com', 'api'));
    // The same name in another namespace: its DENY policy would replace the first one's in istio-system.
    expect(() => new IstioGrpcIngress(charts[1], 'door', props('b.example.com', 'api'))).toThrow(
      /IstioGrpcIngress team-b\/door: invalid name "api": expected a name no other construct of the app gives a RequestAuthentication in namespace "istio-system": team-a\/door writes RequestAuthentication istio-system\/api-request-authentication too/);
    // Another class whose object takes a derived name: the external authorization's CUSTOM policy would replace the DENY.
    expect(() => new IstioExternalAuthorization(charts[2], 'authz', {
      name: 'api-require-jwt', provider: { name: 'p', service: 'authservice.istio-system.svc.cluster.local', port: 8080 },
    })).toThrow(/invalid name "api-require-jwt": expected a name no other construct of the app gives an AuthorizationPolicy in namespace "istio-system": team-a\/door writes/);
    // A created Gateway named as another's.
    expect(() => new IstioGrpcIngress(charts[3], 'door', {
      hosts: ['d.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
      gateway: IstioGateway.create({ name: 'api', tls: TlsTermination.atLoadBalancer() }),
    })).not.toThrow();
    expect(() => new IstioGrpcIngress(charts[4], 'door', {
      hosts: ['e.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
      gateway: IstioGateway.create({ name: 'api', tls: TlsTermination.atLoadBalancer() }),
    })).toThrow(/invalid gateway\.name "api": expected a name no other construct of the app gives a Gateway in namespace "istio-system": team-d\/door writes/);
    // What was refused wrote nothing: one RequestAuthentication per issuer setup, no duplicate kind/namespace/name.
    const docs = app.charts.flatMap(c => Testing.synth(c));
    const keys = docs.map(d => `${d.apiVersion} ${d.kind} ${d.metadata.namespace}/${d.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('Secrets: the htpasswd Secret, a cert-manager Secret and a TLS Secret read from elsewhere cannot be one', () => {
    const chart = newChart('bos-rf');
    const door = (id: string, more: object) => new TraefikBasicAuthIngress(chart, id, {
      hosts: [`${id}.example.com`],
      backend: Backend.fromName('s', 80),
      users: [BasicAuthUser.fromPassword('u', 'p', { cost: 4 })],
      tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')),
      ...more,
    });
    door('one', { name: 'one' });
    expect(() => door('two', { usersSecretName: 'one-users' })).toThrow(
      /TraefikBasicAuthIngress test\/two: invalid usersSecretName "one-users": expected a name no other construct of the app gives a Secret in namespace "bos-rf": test\/one writes Secret bos-rf\/one-users too/);
    expect(() => door('three', { usersSecretName: 'tls' })).toThrow(/invalid usersSecretName "tls": expected a name other than the TLS Secret's/);
    expect(() => door('four', { tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'le', secretName: 'one-users' })) })).toThrow(
      /invalid tls\.certificate\.secretName "one-users": expected a name no other construct of the app gives a Secret in namespace "bos-rf": test\/one writes Secret bos-rf\/one-users too/);
    // Two Certificates for one Secret.
    door('five', { tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'le', secretName: 'shared-tls' })) });
    expect(() => door('six', { tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'le', secretName: 'shared-tls' })) })).toThrow(
      /writes Secret bos-rf\/shared-tls too/);
  });

  test('mutual TLS with a cert-manager certificate is refused: the gateway would trust every certificate of the issuer as a client', () => {
    expect(() => new IstioGrpcIngress(newChart('ml'), 'door', {
      hosts: ['a.example.com'],
      backend: GRPC_BACKEND(),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
      gateway: IstioGateway.create({ tls: TlsTermination.mutualAtProxy(TlsCertificate.fromCertManager({ issuerName: 'le' })) }),
    })).toThrow(/invalid gateway\.tls\.certificate TlsCertificate\.fromCertManager\(\{ issuerName: "le" \}\): expected TlsCertificate\.fromSecret\(secretName\) with mutualAtProxy/);
  });
});

describe('addHost: a host added after construction gets the same front door', () => {
  test('Istio: the Gateway, the route and the DENY policy list it; no variant reaches the backend without a valid token', async () => {
    const chart = newChart('ml-services');
    const door = new IstioGrpcIngress(chart, 'ml-api', {
      hosts: ['ml.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: { ...JWT, jwks: JwksSource.fromUri(`${ISSUER}/jwks.json`) },
      acknowledgeGatewayWideJwt: true,
    });
    door.addHost('ml2.example.com');
    expect(door.hosts).toEqual(['ml.example.com', 'ml2.example.com']);
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    expect(oneOf(docs, 'VirtualService').spec.hosts).toEqual(['ml.example.com', 'ml2.example.com']);
    expect(oneOf(docs, 'Gateway').spec.servers[1].hosts).toEqual(['ml-services/ml.example.com', 'ml-services/ml2.example.com']);
    const m = new IstioGatewayModel(docs, { namespace: 'istio-system', labels: { istio: 'ingressgateway' } }, { jwksFor: () => issuer.jwks });
    const req = { scheme: 'https' as const, authority: 'ml2.example.com', method: 'POST', path: GRPC_INFER_PATH, headers: { ...GRPC_HEADERS, ...jwt.good.headers }, label: 'good' };
    expect((await m.handle(req)).backend).toBe('ml-services/ml-api:8500');
    expect(await reached(r => m.handle(r), variants({ host: 'ml2.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }), jwt.bad)).toEqual([]);
  });

  test('negative control: the same host on the route without the DENY policy is reached without a token', async () => {
    const chart = newChart('ml-services');
    const door = new IstioGrpcIngress(chart, 'ml-api', {
      hosts: ['ml.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
    });
    door.addHost('ml2.example.com');
    const docs = Testing.synth(chart).map(d => (d.kind === 'AuthorizationPolicy' && d.spec.action === 'DENY'
      ? { ...d, spec: { ...d.spec, rules: d.spec.rules.map((r: any) => ({ ...r, to: [{ operation: { hosts: ['ml.example.com', 'ml.example.com:*'] } }] })) } }
      : d));
    const m = new IstioGatewayModel(docs, { namespace: 'istio-system', labels: { istio: 'ingressgateway' } }, { jwksFor: () => issuer.jwks });
    expect((await reached(r => m.handle(r), variants({ host: 'ml2.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }), jwt.bad)).length)
      .toBeGreaterThan(0);
  });

  test('Istio refuses what it would refuse in hosts: a wildcard with basicAuth, a host twice, a host another front door serves', () => {
    const chart = newChart('ml-services');
    const door = new IstioGrpcIngress(chart, 'ml-api', {
      hosts: ['ml.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      basicAuth: { credentials: [{ username: 'u', password: 'p' }] },
    });
    expect(() => door.addHost('*.example.com')).toThrow(
      /IstioGrpcIngress test\/ml-api: invalid addHost\(host\) "\*\.example\.com": expected a host name without a wildcard with basicAuth/);
    expect(() => door.addHost('ml.example.com')).toThrow(/invalid addHost\(host\) "ml\.example\.com": expected each host once/);
    new IstioGrpcIngress(chart, 'other', {
      hosts: ['other.example.com'],
      backend: GRPC_BACKEND(),
      gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      allowUnauthenticated: true,
    });
    expect(() => door.addHost('other.example.com')).toThrow(/expected a host that no other front door of the app serves at path "\/": test\/other does/);
    expect(() => door.addHost('BAD host')).toThrow(/invalid addHost\(host\) "BAD host"/);
    // The basic_auth plugin's rule lists only the hosts that were accepted.
    const plugin = oneOf(Testing.synth(chart), 'WasmPlugin');
    expect(plugin.spec.pluginConfig.basic_auth_rules[0].hosts).toEqual(['ml.example.com']);
  });

  test('Traefik: the added host needs the password too, with and without trusted forwarded headers', async () => {
    const chart = newChart('bos-rf');
    const door = new TraefikBasicAuthIngress(chart, 'ingress', {
      hosts: ['a.example.com'],
      backend: Backend.fromName('bos-rf-svc', 8000),
      users: [BasicAuthUser.fromPassword('u', 'pw', { cost: 4 })],
      tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')),
    });
    door.addHost('b.example.com');
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const creds = basicCredentials('u', 'pw');
    for (const trust of [false, true]) {
      const m = new TraefikModel(docs, { trustForwardedHeaders: trust });
      const ok = m.handle({ scheme: 'https', authority: 'b.example.com', method: 'POST', path: '/predict', headers: creds.good.headers, label: 'good' });
      expect(ok.backend).toBe('bos-rf/bos-rf-svc:8000');
      expect(await reached(r => m.handle(r), variants({ host: 'b.example.com', path: '/predict', method: 'POST' }), creds.bad)).toEqual([]);
    }
  });

  test('Envoy Gateway: the added host is on the route the SecurityPolicy guards', async () => {
    const chart = newChart('ml-services');
    const door = new GatewayApiGrpcIngress(chart, 'ml-api', {
      hosts: ['ml.example.com'],
      backend: GRPC_BACKEND(),
      gateway: GatewayApiGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('ml-tls')), implementation: GatewayImplementation.envoyGateway() }),
      jwt: JWT,
    });
    door.addHost('ml2.example.com');
    expect(door.hosts).toEqual(['ml.example.com', 'ml2.example.com']);
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const m = new EnvoyGatewayModel(docs, { jwksFor: () => issuer.jwks, presumeExisting: true });
    const req = { scheme: 'https' as const, authority: 'ml2.example.com', method: 'POST', path: GRPC_INFER_PATH, headers: { ...GRPC_HEADERS, ...jwt.good.headers }, label: 'good' };
    const got = await m.handle(req);
    expect(got).toMatchObject({ backend: 'ml-services/ml-api:8500' });
    expect(await reached(r => m.handle(r), variants({ host: 'ml2.example.com', path: GRPC_INFER_PATH, headers: GRPC_HEADERS }), jwt.bad)).toEqual([]);
  });

  test('Gateway API on Istio refuses an added wildcard with jwt, and a 17th host', () => {
    const chart = newChart('ml-services');
    const door = new GatewayApiGrpcIngress(chart, 'ml-api', {
      hosts: Array.from({ length: 15 }, (_, i) => `h${i}.example.com`),
      backend: GRPC_BACKEND(),
      gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }),
      jwt: JWT,
    });
    expect(() => door.addHost('*.example.com')).toThrow(/invalid addHost\(host\) "\*\.example\.com": expected a host name without a wildcard with jwt on Istio/);
    door.addHost('h15.example.com');
    expect(() => door.addHost('h16.example.com')).toThrow(/expected at most 16 host names/);
    expect(oneOf(Testing.synth(chart), 'GRPCRoute').spec.hostnames).toHaveLength(16);
  });
});

describe('EnvoyJwtProxy.addUnauthenticatedPath', () => {
  const build = (open: string[] = []) => {
    const chart = newChart('bookstore');
    const proxy = new EnvoyJwtProxy(chart, 'envoy', {
      backend: Backend.fromName('bookstore-service', 8080),
      tls: TlsTermination.atProxy(TlsCertificate.fromSecret('envoy-certs')),
      jwt: { issuer: ISSUER, audiences: JwtAudiences.of(['ml-api']), jwks: JwksSource.fromKeySet(JsonWebKeySet.fromJson(JSON.stringify(issuer.jwks))) },
    });
    open.forEach(p => proxy.addUnauthenticatedPath(p));
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    return { proxy, docs };
  };
  const request = (p: string, headers: { [k: string]: string } = {}) =>
    ({ scheme: 'https' as const, authority: 'bookstore.example.com', method: 'POST', path: p, headers: { ...GRPC_HEADERS, ...headers }, label: p });

  test('the added prefix is open as a whole segment; every other path still needs a valid token, in every spelling', async () => {
    const { proxy, docs } = build(['/metrics']);
    // The ConfigMap holds the same bootstrap as `bootstrap`, written at synth.
    const config = docsOf(docs, 'ConfigMap').find(c => c.data?.['envoy.yaml'] !== undefined);
    expect(config.data['envoy.yaml']).toContain('/metrics');
    const m = new EnvoyModel(proxy.bootstrap, { localJwks: issuer.jwks, jwksFor: () => issuer.jwks });
    expect((await m.handle(request('/metrics'))).backend).toBe('bookstore/bookstore-service:8080');
    expect((await m.handle(request('/metrics-admin'))).backend).toBeUndefined();
    const isOpen = (p: string) => ['/metrics', '/grpc.health.v1.Health/'].some(o => (o.endsWith('/') ? p.startsWith(o) : p === o || p.startsWith(`${o}/`)));
    const requests = ['/bookstore.Bookstore/ListShelves', '/metrics-admin', '/metricsx'].flatMap(p =>
      variants({ host: 'bookstore.example.com', path: p, headers: GRPC_HEADERS }, { extraPaths: ['/metrics'] }));
    expect(await reached(r => m.handle(r), requests, jwt.bad, (_req, _cred, r) => isOpen(backendPath(r.path!)))).toEqual([]);
  });

  test('negative control: without the prefix, /metrics needs a token', async () => {
    const { proxy } = build();
    const m = new EnvoyModel(proxy.bootstrap, { localJwks: issuer.jwks, jwksFor: () => issuer.jwks });
    expect((await m.handle(request('/metrics'))).backend).toBeUndefined();
  });

  test('refuses "/" (authentication off) and what is not a path prefix', () => {
    const { proxy } = build();
    expect(() => proxy.addUnauthenticatedPath('/')).toThrow(
      /EnvoyJwtProxy test\/envoy: invalid addUnauthenticatedPath\(prefix\) "\/": expected a path prefix starting with "\/", .*\(not "\/" itself/);
    expect(() => proxy.addUnauthenticatedPath('metrics')).toThrow(/invalid addUnauthenticatedPath\(prefix\) "metrics"/);
    expect(JSON.stringify(proxy.bootstrap)).not.toContain('"metrics"');
  });
});

describe('allowNamespace and allowPrincipal', () => {
  test('add callers to the model\'s ALLOW policy, checked as the props are', () => {
    const chart = newChart('user1');
    const model = new MeshIsolatedInferenceService(chart, 'iris', { modelFormat: 'sklearn', storageUri: 'gs://b/m' });
    model.allowNamespace('batch');
    model.allowPrincipal('cluster.local/ns/apps/sa/scorer');
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    const rules = oneOf(docs, 'AuthorizationPolicy').spec.rules;
    expect(rules[0]).toEqual({ from: [{ source: { namespaces: ['batch', 'user1'] } }] });
    expect(rules[1]).toEqual({ from: [{ source: { principals: ['cluster.local/ns/apps/sa/scorer'] } }] });
    expect(() => model.allowNamespace('knative-serving')).toThrow(
      /MeshIsolatedInferenceService test\/iris: invalid allowNamespace\(namespace\) "knative-serving": expected another namespace/);
    expect(() => model.allowNamespace('istio-system')).toThrow(/expected a namespace of callers of the model/);
    expect(() => model.allowPrincipal('cluster.local/ns/istio-system/sa/istio-ingressgateway')).toThrow(
      /invalid allowPrincipal\(principal\) .*expected the identity of a caller of the model, not of a gateway/);
    // What was refused is not in the policy.
    expect(oneOf(Testing.synth(chart), 'AuthorizationPolicy').spec.rules[0].from[0].source.namespaces).toEqual(['batch', 'user1']);
  });
});

test('Traefik loadBalancerAnnotations reach the user as the Traefik chart\'s Helm values under cdk8s synth', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'traefik-values-'));
  const app = new App({ outdir });
  const chart = new Chart(app, 'scoring', { namespace: 'bos-rf' });
  new TraefikBasicAuthIngress(chart, 'ingress', {
    hosts: ['a.example.com'],
    backend: Backend.fromName('s', 80),
    users: [BasicAuthUser.fromPassword('u', 'p', { cost: 4 })],
    tls: TlsTermination.atProxy(TlsCertificate.fromSecret('t')),
    loadBalancerAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' },
  });
  app.synth();
  const file = path.join(outdir, 'values', 'scoring-ingress.traefik-values.yaml');
  expect(fs.readFileSync(file, 'utf8')).toBe(
    '# Helm values of the Traefik chart (traefik/traefik) that serves scoring/ingress.\n' +
    'service:\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n');
  expect(ApiObject.of(chart.node.findChild('ingress').node.defaultChild!).kind).toBe('IngressRoute');
});
