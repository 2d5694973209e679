import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { EnvoyGatewayChart } from './envoy-gateway';
import { EnvoyJwtChart } from './envoy-jwt';
import { ExternalAuthorizationChart } from './external-authorization';
import { IstioGrpcChart } from './istio-grpc';
import { KServeMeshChart } from './kserve-mesh';
import { ModelServerChart } from './model-server';
import { TraefikBasicAuthChart } from './traefik-basic-auth';

/** The example app's charts: one per seed setup, and the namespaces they live in. */
export function addExampleCharts(app: App): void {
  // Namespaces are cluster-scoped: they live in a chart without a namespace.
  const namespaces = new Chart(app, 'namespaces');
  for (const name of ['ml-services', 'bos-rf', 'bookstore', 'models']) {
    new kplus.Namespace(namespaces, name, { metadata: { name } });
  }

  const modelServer = new ModelServerChart(app, 'model-server');
  new IstioGrpcChart(app, 'istio-grpc', modelServer.backend);
  new TraefikBasicAuthChart(app, 'traefik-basic-auth');
  new ExternalAuthorizationChart(app, 'external-authorization');
  new KServeMeshChart(app, 'kserve-mesh');
  new EnvoyJwtChart(app, 'envoy-jwt');
  new EnvoyGatewayChart(app, 'envoy-gateway');
}
