import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiHttpIngress, GatewayImplementation, JwksSource, JwtAudiences,
  TlsCertificate, TlsTermination,
} from 'cdk8s-secure-serving';
import { restricted } from './restricted';

/**
 * Seed 002's job on Envoy Gateway: a KServe-style model server with a gRPC port (JWT at the
 * route) and a REST port (external authorization at the route), both on one Gateway.
 */
export class EnvoyGatewayChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'models', ...props });
    const deployment = restricted(new kplus.Deployment(this, 'triton', {
      containers: [{ image: 'nvcr.io/nvidia/tritonserver:25.01-py3', ports: [{ number: 8001, name: 'grpc' }, { number: 8000, name: 'http' }] }],
    }));
    const grpc = deployment.exposeViaService({ name: 'triton-grpc', ports: [{ port: 8001, name: 'grpc' }] });
    const rest = deployment.exposeViaService({ name: 'triton-rest', ports: [{ port: 8000, name: 'http' }] });
    const implementation = GatewayImplementation.envoyGateway();

    new GatewayApiGrpcIngress(this, 'grpc', {
      hosts: ['grpc.models.example.com'],
      backend: Backend.fromService(grpc),
      name: 'models',
      // A Gateway named models, with a certificate cert-manager issues for the host.
      gateway: GatewayApiGateway.create({
        tls: TlsTermination.atProxy(TlsCertificate.fromCertManager({ issuerName: 'letsencrypt' })),
        implementation,
      }),
      jwt: {
        issuer: 'https://issuer.example.com',
        jwks: JwksSource.fromUri('https://issuer.example.com/.well-known/jwks.json'),
        audiences: JwtAudiences.of(['models']),
      },
    });
    new GatewayApiHttpIngress(this, 'rest', {
      hosts: ['rest.models.example.com'],
      backend: Backend.fromService(rest),
      // The gRPC front door's Gateway.
      gateway: GatewayApiGateway.existing({ name: 'models', namespace: 'models', implementation }),
      pathPrefixes: ['/v2'],
      externalAuthorization: { name: 'oauth2-proxy', service: 'oauth2-proxy.auth.svc.cluster.local', port: 4180 },
      timeout: Duration.minutes(10),
    });
  }
}
