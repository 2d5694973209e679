import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Backend } from 'cdk8s-secure-serving';

/**
 * Seed 000's gRPC model server (ml-api, TensorFlow Serving on 8500) as a Deployment and a
 * Service whose port is named `grpc`, and the Backend that a front door forwards to.
 */
export class ModelServerChart extends Chart {
  public readonly backend: Backend;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'ml', ...props });
    const deployment = new kplus.Deployment(this, 'ml-api', {
      metadata: { name: 'ml-api' },
      replicas: 1,
      containers: [{
        name: 'ml-api',
        image: 'tensorflow/serving:2.16.1',
        portNumber: 8500,
        resources: {
          cpu: { request: kplus.Cpu.millis(1000), limit: kplus.Cpu.millis(2000) },
          memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) },
        },
      }],
    });
    const service = deployment.exposeViaService({
      name: 'ml-api',
      ports: [{ port: 8500, targetPort: 8500, name: 'grpc' }],
    });
    this.backend = Backend.fromService(service);
  }
}
