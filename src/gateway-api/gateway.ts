import { GatewayImplementation } from './implementation';
import { checkArgs, made } from '../_validate';
import { TlsTermination } from '../tls';

/**
 * A Gateway API Gateway that a front door creates, in the chart's namespace.
 */
export interface GatewayApiGatewayOptions {
  /** Where TLS ends: at the load balancer, or at the gateway with a certificate. */
  readonly tls: TlsTermination;

  /**
   * The Gateway's name.
   *
   * @default - the front door's `name`, or a name cdk8s generates
   */
  readonly name?: string;

  /**
   * The controller that implements the Gateway, which decides how authentication is written.
   *
   * @default GatewayImplementation.istio()
   */
  readonly implementation?: GatewayImplementation;

  /**
   * An HTTP listener on port 80 whose HTTPRoute redirects to HTTPS (301).
   *
   * @default true
   */
  readonly httpsRedirect?: boolean;

  /**
   * Annotations for the Gateway's load balancer Service (`spec.infrastructure.annotations`),
   * for example `AwsNlbTls.annotations(...)`.
   *
   * @default - none
   */
  readonly infrastructureAnnotations?: { [key: string]: string };
}

/**
 * A Gateway API Gateway that exists already. It must allow routes from the front door's
 * namespace.
 */
export interface GatewayApiExistingGatewayOptions {
  /** The Gateway's name. */
  readonly name: string;

  /** The Gateway's namespace. */
  readonly namespace: string;

  /**
   * The listener the route attaches to.
   *
   * @default "https"
   */
  readonly listenerName?: string;

  /**
   * The controller that implements the Gateway.
   *
   * @default GatewayImplementation.istio()
   */
  readonly implementation?: GatewayImplementation;
}

/**
 * The Gateway API Gateway a front door attaches to: one it creates, or one that exists. A gRPC
 * and a REST front door share one Gateway when the second attaches to the first's.
 */
export class GatewayApiGateway {
  /**
   * Create a Gateway for the front door, in the chart's namespace.
   *
   * @param options where TLS ends, the implementation, the load balancer's annotations
   */
  public static create(options: GatewayApiGatewayOptions): GatewayApiGateway {
    [options] = checkArgs('GatewayApiGateway.create', 'GatewayApiGateway', 'create', [options]);
    return new GatewayApiGateway(options, undefined);
  }

  /**
   * Attach to a listener of a Gateway that exists.
   *
   * @param options the Gateway, its listener and its implementation
   */
  public static existing(options: GatewayApiExistingGatewayOptions): GatewayApiGateway {
    [options] = checkArgs('GatewayApiGateway.existing', 'GatewayApiGateway', 'existing', [options]);
    return new GatewayApiGateway(undefined, options);
  }

  /** @internal */
  public readonly _create?: GatewayApiGatewayOptions;

  /** @internal */
  public readonly _existing?: GatewayApiExistingGatewayOptions;

  private constructor(create: GatewayApiGatewayOptions | undefined, existing: GatewayApiExistingGatewayOptions | undefined) {
    made(this);
    this._create = create;
    this._existing = existing;
  }

  /** @internal */
  public get _implementation(): GatewayImplementation {
    return (this._create ?? this._existing)!.implementation ?? GatewayImplementation.istio();
  }
}
