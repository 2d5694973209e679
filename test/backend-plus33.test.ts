// A test app on a current cdk8s-plus line (cdk8s-plus-33): its Service is a backend like one
// of cdk8s-plus-27, and the front doors isolate the pods it selects.
import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import * as plus33 from 'cdk8s-plus-33';
import {
  Backend, GatewayApiGateway, GatewayApiGrpcIngress, IstioGateway, IstioGrpcIngress, JwksSource, JwtAudiences, JwtIssuer, TlsTermination,
} from '../src';
import { expectValidManifests } from './schema';
import { newChart, oneOf } from './util';

const JWT: JwtIssuer = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: JwtAudiences.of(['ml-api']) };

function app33() {
  const chart = newChart('ml');
  const deployment = new plus33.Deployment(chart, 'model', {
    containers: [{ image: 'tensorflow/serving:2.16.1', ports: [{ number: 8500 }, { number: 8501 }] }],
  });
  const service = deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }, { port: 8501, name: 'http' }] });
  return { chart, deployment, service };
}

test('a cdk8s-plus-33 Service: name, namespace, the chosen port and its name', () => {
  const { service } = app33();
  const backend = Backend.fromServiceConstruct(service, { port: 8500 });
  expect(backend.serviceName).toBe(service.name);
  expect(backend.namespace).toBe('ml');
  expect(backend.portName).toBe('grpc');
  expect(backend.service).toBeUndefined();
});

test('the Istio and Gateway API front doors isolate the pods a cdk8s-plus-33 Service selects', () => {
  const { chart, service } = app33();
  const backend = Backend.fromServiceConstruct(service, { port: 8500 });
  new IstioGrpcIngress(chart, 'istio', {
    hosts: ['a.example.com'], backend, gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer() }), jwt: JWT, acknowledgeGatewayWideJwt: true,
  });
  new GatewayApiGrpcIngress(chart, 'gwapi', { hosts: ['b.example.com'], backend, gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() }), jwt: JWT });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  const selector = oneOf(docs, 'Service').spec.selector;
  expect(Object.keys(selector).length).toBeGreaterThan(0);
  const policies = docs.filter(d => d.kind === 'NetworkPolicy');
  expect(policies).toHaveLength(2);
  for (const p of policies) {
    expect(p.spec.podSelector).toEqual({ matchLabels: selector });
    expect(p.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8500 }]);
  }
});

test('a KubeService works too; a construct that is no Service is refused', () => {
  const chart = newChart('ml');
  const kube = new k8s.KubeService(chart, 'svc', { spec: { selector: { app: 'm' }, ports: [{ port: 9000, name: 'grpc' }] } });
  expect(Backend.fromServiceConstruct(kube).port).toBe(9000);
  const { deployment } = app33();
  expect(() => Backend.fromServiceConstruct(deployment))
    .toThrow(/^Backend.fromServiceConstruct\(test\/model\): invalid service <Deployment>: expected a construct whose Kubernetes object is a v1 Service \(it is a apps\/v1 Deployment\)/);
  expect(() => Backend.fromServiceConstruct(app33().service)).toThrow(/invalid options.port undefined: expected one of the Service's ports 8500, 8501/);
});
