/**
 * Around the door: with a backend the library can see (`Backend.fromService`), only the front
 * door's pods can connect to the backend's pods (NetworkPolicy), and in the mesh only the front
 * door's identity (AuthorizationPolicy), through the model in src/lint/model/mesh.ts. Every other
 * pod - in the backend's namespace, in another namespace, in the gateway's namespace with other
 * labels, with or without a mesh identity - is refused.
 */
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, BasicAuthUser, EnvoyJwtProxy, GatewayApiGateway, GatewayApiGrpcIngress, IstioGateway, IstioGrpcIngress, JsonWebKeySet, JwksSource,
  JwtAudiences, JwtIssuer, TlsCertificate, TlsTermination, TraefikBasicAuthIngress,
} from '../src';
import { FIXED_PUBLIC_KEY_PEM } from './fixtures/public-key';
import { expectValidManifests } from './schema';
import { newChart } from './util';
import { canConnect, Pod, Target } from '../src/lint/model/mesh';

const JWT: JwtIssuer = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: JwtAudiences.of(['ml-api']) };

function backendIn(chart: Chart) {
  const deployment = new kplus.Deployment(chart, 'model', { containers: [{ image: 'example/model:1.0', portNumber: 8500 }] });
  const service = deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] });
  return { deployment, backend: Backend.fromService(service) };
}

const strangers: [string, Pod][] = [
  ['a pod in the backend\'s namespace', { namespace: 'ml-services', labels: { app: 'other' }, principal: 'cluster.local/ns/ml-services/sa/default' }],
  ['a pod in another namespace, in the mesh', { namespace: 'attacker', labels: { app: 'x' }, principal: 'cluster.local/ns/attacker/sa/default' }],
  ['a pod in another namespace, outside the mesh', { namespace: 'attacker', labels: { app: 'x' } }],
  ['a pod with the front door\'s labels in another namespace', { namespace: 'attacker', labels: { 'istio': 'ingressgateway', 'app.kubernetes.io/name': 'traefik' } }],
  ['another pod of the gateway\'s namespace', { namespace: 'istio-system', labels: { app: 'istiod' }, principal: 'cluster.local/ns/istio-system/sa/istiod' }],
];

interface Case {
  readonly name: string;
  readonly build: (chart: Chart, backend: Backend) => (docs: any[]) => Pod;
}

const CASES: Case[] = [
  {
    name: 'IstioGrpcIngress',
    build: (chart, backend) => {
      new IstioGrpcIngress(chart, 'ingress', {
        hosts: ['ml.example.com'], backend, gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }), jwt: JWT, acknowledgeGatewayWideJwt: true,
      });
      return () => ({ namespace: 'istio-system', labels: { istio: 'ingressgateway' }, principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account' });
    },
  },
  {
    name: 'GatewayApiGrpcIngress',
    build: (chart, backend) => {
      const ingress = new GatewayApiGrpcIngress(chart, 'ingress', {
        hosts: ['ml.example.com'], backend, gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }), jwt: JWT,
      });
      return () => {
        const gw = ApiObject.of(ingress.gateway!).name;
        return { namespace: 'ml-services', labels: { 'gateway.networking.k8s.io/gateway-name': gw }, principal: `cluster.local/ns/ml-services/sa/${gw}-istio` };
      };
    },
  },
  {
    name: 'EnvoyJwtProxy',
    build: (chart, backend) => {
      const proxy = new EnvoyJwtProxy(chart, 'envoy', {
        backend,
        tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')),
        jwt: { issuer: JWT.issuer, audiences: JWT.audiences, jwks: JwksSource.fromKeySet(JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM)) },
      });
      return () => ({ namespace: 'ml-services', labels: proxy.deployment.matchLabels });
    },
  },
  {
    name: 'TraefikBasicAuthIngress',
    build: (chart, backend) => {
      new TraefikBasicAuthIngress(chart, 'ingress', {
        hosts: ['ml.example.com'],
        backend,
        users: [BasicAuthUser.fromPassword('u', 'p', { cost: 4 })],
        tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')),
        traefikPods: { namespace: 'traefik', selector: { 'app.kubernetes.io/name': 'traefik' } },
      });
      return () => ({ namespace: 'traefik', labels: { 'app.kubernetes.io/name': 'traefik' } });
    },
  },
];

describe.each(CASES)('$name', ({ build }) => {
  const chart = newChart('ml-services');
  const { deployment, backend } = backendIn(chart);
  const frontDoor = build(chart, backend);
  const docs = Testing.synth(chart);
  const door = frontDoor(docs);
  const target = (inMesh: boolean): Target => ({ namespace: 'ml-services', labels: deployment.matchLabels, port: 8500, inMesh });

  test('the documents are schema-valid', () => expectValidManifests(docs));

  test.each([true, false])('the front door reaches the backend (backend in the mesh: %s)', inMesh => {
    expect(canConnect(docs, door, target(inMesh))).toMatchObject({ allowed: true });
  });

  test.each(strangers)('blocks %s from calling the backend directly', (_name, pod) => {
    for (const inMesh of [true, false]) {
      expect(canConnect(docs, pod, target(inMesh))).toMatchObject({ allowed: false });
    }
  });

  test('negative control: without the library\'s policies, every stranger reaches the backend', () => {
    const open = docs.filter(d => d.kind !== 'NetworkPolicy' && !(d.kind === 'AuthorizationPolicy' && d.spec.action === 'ALLOW'));
    for (const [, pod] of strangers) {
      expect(canConnect(open, pod, target(true))).toMatchObject({ allowed: true });
    }
  });
});

test('a backend whose Service selects no pods is refused at synth, naming the construct and the Service', () => {
  const chart = newChart('ml-services');
  const service = new kplus.Service(chart, 'external', { ports: [{ port: 8500, name: 'grpc' }] });
  new IstioGrpcIngress(chart, 'ingress', {
    hosts: ['ml.example.com'],
    backend: Backend.fromService(service),
    gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }),
    jwt: JWT,
    acknowledgeGatewayWideJwt: true,
  });
  expect(() => Testing.synth(chart)).toThrow(/IstioGrpcIngress test\/ingress: invalid backend test\/external: expected a Service that selects pods/);
});
