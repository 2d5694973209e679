import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { KServeLocalGateway, MeshIsolatedInferenceService, MeshWideStrictMtls, TlsCertificate, TlsTermination } from 'cdk8s-secure-serving';

const IRIS = 'gs://kfserving-examples/models/sklearn/1.0/model';

/**
 * Seed 003: two sklearn models in namespace user1 under strict mTLS, one with the Knative
 * activator bypassed (isolated to its namespace) and one with it on the path; mesh-wide strict
 * mTLS; and KServe's own local gateway for callers outside the mesh.
 */
export class KServeMeshChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'user1', ...props });
    new MeshIsolatedInferenceService(this, 'sklearn-iris', { modelFormat: 'sklearn', storageUri: IRIS });
    new MeshIsolatedInferenceService(this, 'sklearn-iris-burst', {
      modelFormat: 'sklearn',
      storageUri: IRIS,
      bypassActivator: false,
      createNamespace: false,
    });
    new MeshWideStrictMtls(this, 'mesh-mtls');
    // `cdk8s synth` writes the ingress keys to merge into kserve/inferenceservice-config to
    // dist/values/kserve-mesh-kserve-local-gateway.kserve-ingress-patch.json.
    // HTTPS with the seed's certificate Secret istio-system/kserve-cluster-local-tls.
    new KServeLocalGateway(this, 'kserve-local-gateway', {
      tls: TlsTermination.atProxy(TlsCertificate.fromSecret('kserve-cluster-local-tls')),
    });
  }
}
