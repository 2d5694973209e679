import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Backend } from 'cdk8s-secure-serving';
import { restricted } from './restricted';

/**
 * Seed 000's gRPC model server (ml-api, a TensorFlow model server on 8500, for payloads of
 * about 100 MB) as a Deployment with the seed's resources, and a Service whose port is named
 * `grpc` so that Istio forwards HTTP/2.
 */
export class ModelServerChart extends Chart {
  public readonly backend: Backend;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'ml-services', ...props });
    const deployment = restricted(new kplus.Deployment(this, 'ml-api', {
      metadata: { name: 'ml-api' },
      replicas: 1,
      containers: [{
        name: 'ml-api',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-services-ml-api:1.0.0',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        portNumber: 8500,
        resources: {
          cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(4) },
          memory: { request: Size.mebibytes(500), limit: Size.gibibytes(4) },
          ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
        },
      }],
    }));
    const service = deployment.exposeViaService({
      name: 'ml-api',
      ports: [{ port: 8500, targetPort: 8500, name: 'grpc' }],
    });
    this.backend = Backend.fromService(service);
  }
}
