import { checkArgs, checkDnsLabel, checkDnsSubdomain, made } from '../_validate';

/**
 * Options for `GatewayImplementation.istio`.
 */
export interface IstioGatewayImplementationOptions {
  /**
   * The GatewayClass of a created Gateway.
   *
   * @default "istio"
   */
  readonly gatewayClassName?: string;
}

/**
 * Options for `GatewayImplementation.envoyGateway`.
 */
export interface EnvoyGatewayImplementationOptions {
  /**
   * The GatewayClass of a created Gateway (the one whose controller is Envoy Gateway).
   *
   * @default "eg"
   */
  readonly gatewayClassName?: string;

  /**
   * The namespace where Envoy Gateway runs the Gateway's Envoy pods: its own namespace by
   * default, or the Gateway's namespace when Envoy Gateway deploys in "gateway namespace" mode.
   * The backend's NetworkPolicy admits those pods.
   *
   * @default "envoy-gateway-system"
   */
  readonly proxyNamespace?: string;
}

/**
 * Which controller implements a Gateway API front door, and so how authentication is written:
 * Istio's RequestAuthentication and AuthorizationPolicies attached to the Gateway, or Envoy
 * Gateway's SecurityPolicy attached to the route.
 */
export class GatewayImplementation {
  /**
   * Istio (1.22 and later): JWT with a RequestAuthentication and a DENY AuthorizationPolicy
   * attached to the Gateway; the token is checked again at the backend's sidecar.
   *
   * @param options the GatewayClass
   */
  public static istio(options: IstioGatewayImplementationOptions = {}): GatewayImplementation {
    const ctx = 'GatewayImplementation.istio';
    [options = {}] = checkArgs(ctx, 'GatewayImplementation', 'istio', [options]);
    return new GatewayImplementation('istio', checkDnsSubdomain(ctx, 'options.gatewayClassName', options.gatewayClassName ?? 'istio'), undefined);
  }

  /**
   * Envoy Gateway (v1.9): JWT and external authorization with a SecurityPolicy attached to the
   * route, TLS settings with a ClientTrafficPolicy on a created Gateway, timeouts with a
   * BackendTrafficPolicy on the route.
   *
   * @param options the GatewayClass and where the Envoy pods run
   */
  public static envoyGateway(options: EnvoyGatewayImplementationOptions = {}): GatewayImplementation {
    const ctx = 'GatewayImplementation.envoyGateway';
    [options = {}] = checkArgs(ctx, 'GatewayImplementation', 'envoyGateway', [options]);
    return new GatewayImplementation('envoy-gateway',
      checkDnsSubdomain(ctx, 'options.gatewayClassName', options.gatewayClassName ?? 'eg'),
      checkDnsLabel(ctx, 'options.proxyNamespace', options.proxyNamespace ?? 'envoy-gateway-system'));
  }

  /** The GatewayClass of a created Gateway. */
  public readonly gatewayClassName: string;

  /** @internal */
  public readonly _kind: 'istio' | 'envoy-gateway';

  /** @internal where Envoy Gateway runs the proxies */
  public readonly _proxyNamespace?: string;

  private constructor(kind: 'istio' | 'envoy-gateway', gatewayClassName: string, proxyNamespace: string | undefined) {
    made(this);
    this._kind = kind;
    this.gatewayClassName = gatewayClassName;
    this._proxyNamespace = proxyNamespace;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    return this._kind === 'istio'
      ? `GatewayImplementation.istio({ gatewayClassName: ${JSON.stringify(this.gatewayClassName)} })`
      : `GatewayImplementation.envoyGateway({ gatewayClassName: ${JSON.stringify(this.gatewayClassName)}, proxyNamespace: ${JSON.stringify(this._proxyNamespace)} })`;
  }
}
