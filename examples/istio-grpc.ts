import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { AwsNlbTls, Backend, IstioGateway, IstioGrpcIngress, TlsTermination } from 'cdk8s-secure-serving';

/**
 * Seed 000: the ml-api gRPC model server exposed on ml.example.com through a shared Istio
 * ingress gateway (istio-system/tfy-wildcard, pods labelled istio=tfy-istio-ingress) whose
 * AWS NLB terminates TLS, with basic auth from the basic_auth Wasm plugin.
 */
export class IstioGrpcChart extends Chart {
  constructor(scope: Construct, id: string, backend: Backend, props: ChartProps = {}) {
    super(scope, id, { namespace: 'ml-services', ...props });

    new IstioGrpcIngress(this, 'ml-api', {
      name: 'ml-api',
      hosts: ['ml.example.com'],
      backend,
      // The seed's shared wildcard Gateway, which this chart creates; the Wasm plugin goes to the
      // pods that serve it.
      gateway: IstioGateway.create({
        name: 'tfy-wildcard',
        pods: { namespace: 'istio-system', selector: { istio: 'tfy-istio-ingress' } },
        tls: TlsTermination.atLoadBalancer(),
        // The NLB in front of the gateway: `cdk8s synth` writes them as the gateway chart's Helm
        // values to dist/values/istio-grpc-ml-api.istio-gateway-values.yaml.
        loadBalancerAnnotations: AwsNlbTls.annotations({
          certificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'],
        }),
      }),
      basicAuth: {
        // The plugin needs the password itself; read it from the environment, never from code.
        credentials: [{ username: 'ml-client', password: process.env.ML_API_PASSWORD ?? 'example-only-change-me' }],
      },
    });
  }
}
