import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioExternalAuthorization, JwksSource, JwtAudiences } from 'cdk8s-secure-serving';

/**
 * Seed 004: Kubeflow's ingress gateway sends every request to Dex (through oidc-authservice),
 * except inference calls to the sklearn-iris KServe model, which other services make with a
 * Kubernetes service-account token instead of a browser login.
 */
export class ExternalAuthorizationChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    // `cdk8s synth` writes the istiod Helm values (meshConfig) this needs to
    // dist/values/external-authorization-dex-auth.istiod-values.yaml.
    new IstioExternalAuthorization(this, 'dex-auth', {
      // The seed's AuthorizationPolicy istio-system/dex-auth.
      name: 'dex-auth',
      provider: {
        name: 'dex-auth-provider',
        service: 'authservice.istio-system.svc.cluster.local',
        port: 8080,
        includeRequestHeadersInCheck: ['authorization', 'cookie', 'x-auth-token'],
        headersToUpstreamOnAllow: ['kubeflow-userid'],
        timeout: Duration.seconds(10),
      },
      exemptions: [{
        hosts: ['sklearn-iris.kserve-test.example.com'],
        jwt: {
          issuer: 'https://kubernetes.default.svc.cluster.local',
          jwks: JwksSource.fromUri('https://kubernetes.default.svc.cluster.local/openid/v1/jwks'),
          audiences: JwtAudiences.of(['sklearn-iris']),
        },
      }],
      // Kubeflow's gateway checks bearer tokens of these issuers for every app it serves.
      acknowledgeGatewayWideJwt: true,
    });
  }
}
