import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as networking from '../../imports/networking.istio.io';
import * as security from '../../imports/security.istio.io';
import { claimObjectNames } from '../_names';
import { checkProxyPods, ISTIO_INGRESS_PODS } from '../_proxy-pods';
import { abandon, checkDnsLabel, checkProps, claimName, contextOf } from '../_validate';
import { RULES } from '../lint/_rules';
import { suppressLint } from '../lint/_suppress';
import { ProxyPods } from '../proxy-pods';

/**
 * Props of `MeshWideStrictMtls`.
 */
export interface MeshWideStrictMtlsProps {
  /**
   * Istio's root namespace: mesh-wide policies live there.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;

  /**
   * Also write the knative-local-gateway Gateway with ISTIO_MUTUAL on 8081, which KServe's
   * top-level VirtualService needs under mesh-wide strict mTLS. Set false when the
   * top-level VirtualService is disabled (`disableIstioVirtualHost`).
   *
   * @default true
   */
  readonly knativeLocalGateway?: boolean;

  /**
   * The gateway pods behind knative-local-gateway. The Gateway lives in `knative-serving` and
   * selects them by their labels (Istio matches a Gateway's selector in every namespace unless
   * istiod's `PILOT_SCOPE_GATEWAY_TO_NAMESPACE` is set).
   *
   * @default { namespace: "istio-system", selector: { istio: "ingressgateway" } }
   */
  readonly gatewayPods?: ProxyPods;
}

/**
 * Strict mTLS for the whole mesh: a mesh-wide STRICT PeerAuthentication (servers refuse
 * plaintext), a `*.local` DestinationRule with ISTIO_MUTUAL (clients send mTLS), and the
 * knative-local-gateway Gateway on 8081 with ISTIO_MUTUAL.
 */
export class MeshWideStrictMtls extends Construct {
  /** The mesh-wide PeerAuthentication; also the construct's default child. */
  public readonly peerAuthentication: ApiObject;

  /** The `*.local` DestinationRule. */
  public readonly destinationRule: ApiObject;

  /**
   * The knative-local-gateway Gateway.
   *
   * @default - none with `knativeLocalGateway: false`
   */
  public readonly knativeLocalGateway?: ApiObject;

  constructor(scope: Construct, id: string, props: MeshWideStrictMtlsProps = {}) {
    super(scope, id);
    try {
      const ctx = contextOf(this, 'MeshWideStrictMtls');
      props = checkProps(ctx, 'MeshWideStrictMtls', props);
      const root = checkDnsLabel(ctx, 'rootNamespace', props.rootNamespace ?? 'istio-system');
      const selector = checkProxyPods(ctx, 'gatewayPods', props.gatewayPods ?? ISTIO_INGRESS_PODS).selector;
      // Both objects have fixed names: a second one in the app would overwrite the first.
      claimName(this, ctx, 'rootNamespace', `PeerAuthentication ${root}/default`, root);
      if (props.knativeLocalGateway ?? true) {
        claimName(this, ctx, 'knativeLocalGateway', 'Gateway knative-serving/knative-local-gateway', true);
      }
      this.peerAuthentication = new security.PeerAuthentication(this, 'Resource', {
        metadata: { name: 'default', namespace: root },
        spec: { mtls: { mode: security.PeerAuthenticationSpecMtlsMode.STRICT } },
      });
      this.destinationRule = new networking.DestinationRule(this, 'DestinationRule', {
        metadata: { namespace: root },
        spec: { host: '*.local', trafficPolicy: { tls: { mode: networking.DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL } } },
      });
      if (props.knativeLocalGateway ?? true) {
        this.knativeLocalGateway = new networking.Gateway(this, 'KnativeLocalGateway', {
          metadata: { name: 'knative-local-gateway', namespace: 'knative-serving' },
          spec: {
            selector,
            servers: [{
              hosts: ['*'],
              port: { number: 8081, name: 'https', protocol: 'HTTPS' },
              tls: { mode: networking.GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL },
            }],
          },
        });
        suppressLint(this.knativeLocalGateway, RULES.gatewayHostsAnyNamespace,
          'Knative\'s cluster-local gateway: net-istio binds every Knative Service\'s VirtualService to it, from each namespace; mTLS and each model\'s own policies still apply');
      }
      claimObjectNames(this, ctx);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }
}
