import { checkArgs, made } from '../_validate';
import { ProxyPods } from '../proxy-pods';
import { TlsTermination } from '../tls';

/**
 * An Istio Gateway (networking.istio.io) that a front door creates.
 */
export interface IstioGatewayOptions {
  /** Where TLS ends: at the load balancer, or at the gateway with a certificate (or mutual TLS). */
  readonly tls: TlsTermination;

  /**
   * The Gateway's name.
   *
   * @default - the front door's `name`, or a name cdk8s generates
   */
  readonly name?: string;

  /**
   * The ingress gateway pods: the Gateway goes in their namespace, selects them, and so do the
   * authentication policies; a TLS Secret must be in their namespace.
   *
   * @default { namespace: "istio-system", selector: { istio: "ingressgateway" } }
   */
  readonly pods?: ProxyPods;

  /**
   * Answer plain HTTP on port 80 with a redirect to HTTPS.
   *
   * @default true
   */
  readonly httpsRedirect?: boolean;

  /**
   * Annotations for the ingress gateway's load balancer Service, for example
   * `AwsNlbTls.annotations(...)` with `TlsTermination.atLoadBalancer()`. Istio's gateway Helm
   * chart owns that Service: `App.synth()` writes them as the chart's values
   * (`service.annotations`) to `<outdir>/values/<path>.istio-gateway-values.yaml`.
   *
   * @default - none
   */
  readonly loadBalancerAnnotations?: { [key: string]: string };
}

/**
 * An Istio Gateway that exists already, such as a shared wildcard Gateway.
 */
export interface IstioExistingGatewayOptions {
  /** The Gateway's name. */
  readonly name: string;

  /** The Gateway's namespace. */
  readonly namespace: string;

  /**
   * The pods that serve it (its `spec.selector`, and their namespace): the authentication
   * policies and the backend's NetworkPolicy select them, so with other pods they would protect a
   * different gateway.
   */
  readonly pods: ProxyPods;
}

/**
 * The Istio Gateway a front door is bound to: one it creates, or one that exists.
 */
export class IstioGateway {
  /**
   * Create a Gateway for the front door's hosts.
   *
   * @param options where TLS ends, and the gateway pods
   */
  public static create(options: IstioGatewayOptions): IstioGateway {
    [options] = checkArgs('IstioGateway.create', 'IstioGateway', 'create', [options]);
    return new IstioGateway(options, undefined);
  }

  /**
   * Bind to a Gateway that exists: its servers decide TLS and the redirect.
   *
   * @param options the Gateway and the pods that serve it
   */
  public static existing(options: IstioExistingGatewayOptions): IstioGateway {
    [options] = checkArgs('IstioGateway.existing', 'IstioGateway', 'existing', [options]);
    return new IstioGateway(undefined, options);
  }

  /** @internal */
  public readonly _create?: IstioGatewayOptions;

  /** @internal */
  public readonly _existing?: IstioExistingGatewayOptions;

  private constructor(create: IstioGatewayOptions | undefined, existing: IstioExistingGatewayOptions | undefined) {
    made(this);
    this._create = create;
    this._existing = existing;
  }
}
