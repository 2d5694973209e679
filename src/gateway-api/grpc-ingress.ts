import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { buildFrontDoor, FrontDoor } from './_front-door';
import { GatewayApiGateway } from './gateway';
import { abandon, checkArgs, checkHostnames, checkProps, contextOf, fail } from '../_validate';
import { JwtIssuer } from '../auth/jwt-issuer';
import { Backend } from '../backend';
import { ExternalAuthorizationProvider } from '../istio/external-authorization-provider';

/**
 * The props the Gateway API front doors share: hosts, backend, the Gateway, its implementation,
 * and the authentication.
 */
export interface GatewayApiFrontDoorProps {
  /** Host names clients use (`ml.example.com`, or a wildcard such as `*.example.com`). */
  readonly hosts: string[];

  /** The Service and port, in the chart's namespace. */
  readonly backend: Backend;

  /**
   * The Gateway: `GatewayApiGateway.create({ tls, ... })` writes one in the chart's namespace;
   * `GatewayApiGateway.existing({ name, namespace })` attaches to a listener of one that exists.
   */
  readonly gateway: GatewayApiGateway;

  /**
   * The route's name, and the base of the other objects' names (`<name>-https-redirect`,
   * `<name>-security-policy`, `<name>-backend-network-policy`, ...; a created Gateway without a
   * name of its own is `<name>`).
   *
   * @default - names cdk8s generates from the construct path
   */
  readonly name?: string;

  /**
   * Require a valid JWT from this issuer, for one of its audiences and with an expiry, for
   * every request to the route.
   *
   * - On Istio: a RequestAuthentication and a DENY AuthorizationPolicy attached to the Gateway
   *   (`targetRefs`, Istio 1.22 and later), and again at the backend's sidecar. Not with
   *   wildcard hosts: the route cannot refuse a Host header with an unexpected port, which
   *   Istio's DENY rule would not match.
   * - On Envoy Gateway: a SecurityPolicy attached to the route, with an authorization rule
   *   that refuses tokens without an expiry. The route removes the token before the backend
   *   unless `jwt.forwardToken`.
   *
   * @default - none: only with `externalAuthorization` or `allowUnauthenticated`
   */
  readonly jwt?: JwtIssuer;

  /**
   * Send every request to the route to an HTTP external authorization service first (Envoy
   * Gateway only: its SecurityPolicy `extAuth`). With `jwt` as well, a request needs both.
   * With the service in another namespace, a ReferenceGrant there lets the policy use it.
   *
   * @default - none
   */
  readonly externalAuthorization?: ExternalAuthorizationProvider;

  /**
   * Confirms that the JWT rules apply to every route of the existing Gateway: Istio checks every
   * bearer token that reaches the Gateway against the issuers its RequestAuthentications list,
   * so a request with a token of another issuer gets 401, whichever route it is for. Required
   * with `jwt` and `GatewayApiGateway.existing` on Istio (a created Gateway serves only these hosts).
   *
   * @default false
   */
  readonly acknowledgeGatewayWideJwt?: boolean;

  /**
   * Route to the backend without any authentication: anyone who reaches the gateway can call
   * it. Without `jwt` or `externalAuthorization`, this must be true.
   *
   * @default false
   */
  readonly allowUnauthenticated?: boolean;

  /**
   * Write no NetworkPolicy and no AuthorizationPolicy for the backend's pods. By default, for a
   * backend from `Backend.fromService`, only the Gateway's pods may reach the backend: on Istio
   * the pods labelled `gateway.networking.k8s.io/gateway-name` (and, in the mesh, only the
   * Gateway's service account `<gateway>-istio`); on Envoy Gateway the Envoy pods of the
   * Gateway in Envoy Gateway's namespace.
   *
   * @default false
   */
  readonly allowDirectBackendAccess?: boolean;

  /**
   * How long a request may take, response included. On Envoy Gateway a BackendTrafficPolicy
   * sets it (without one, Envoy's default of 15 seconds would cut long inference calls).
   *
   * @default - no timeout
   */
  readonly timeout?: Duration;
}

/**
 * Props of `GatewayApiGrpcIngress`.
 */
export interface GatewayApiGrpcIngressProps extends GatewayApiFrontDoorProps {}

const CLASS = 'GatewayApiGrpcIngress';

/**
 * A gRPC model server behind a Gateway API gateway (Istio's or Envoy Gateway's): a
 * `gateway.networking.k8s.io/v1` Gateway with an HTTP listener on 80 and a 443 listener that
 * fits where TLS ends, an HTTPRoute that redirects port 80 to HTTPS, and a GRPCRoute to the
 * backend. Name the backend's port `grpc` or `grpc-*`.
 *
 * With `jwt` (or, on Envoy Gateway, `externalAuthorization`) every request needs credentials;
 * without them, `allowUnauthenticated` must say so.
 */
export class GatewayApiGrpcIngress extends Construct {
  /**
   * The Gateway.
   *
   * @default - none with `GatewayApiGateway.existing`
   */
  public readonly gateway?: ApiObject;

  /**
   * The cert-manager Certificate for the created Gateway.
   *
   * @default - none unless the certificate is `TlsCertificate.fromCertManager`
   */
  public readonly certificate?: ApiObject;

  /** The Gateway the route attaches to, as `namespace/name`. */
  public readonly gatewayRef: string;

  /** The GRPCRoute; also the construct's default child. */
  public readonly grpcRoute: ApiObject;

  /**
   * The HTTPRoute that redirects to HTTPS.
   *
   * @default - none without the redirect
   */
  public readonly redirectRoute?: ApiObject;

  /**
   * The RequestAuthentication attached to the Gateway.
   *
   * @default - none without `jwt`
   */
  public readonly requestAuthentication?: ApiObject;

  /**
   * The DENY AuthorizationPolicy for requests to the hosts without a valid JWT.
   *
   * @default - none without `jwt`
   */
  public readonly jwtDenyPolicy?: ApiObject;

  /**
   * The Envoy Gateway SecurityPolicy attached to the route (JWT, external authorization).
   *
   * @default - none on Istio, or without authentication
   */
  public readonly securityPolicy?: ApiObject;

  /**
   * The ReferenceGrant that lets the SecurityPolicy use an authorization Service of another namespace.
   *
   * @default - none
   */
  public readonly referenceGrant?: ApiObject;

  /**
   * The Envoy Gateway ClientTrafficPolicy of a created Gateway that terminates TLS (TLS 1.2 at
   * least, AEAD suites, ALPN h2).
   *
   * @default - none on Istio, with an existing Gateway or with TLS at the load balancer
   */
  public readonly clientTrafficPolicy?: ApiObject;

  /**
   * The Envoy Gateway BackendTrafficPolicy with the route's timeout.
   *
   * @default - none on Istio
   */
  public readonly backendTrafficPolicy?: ApiObject;

  /**
   * The NetworkPolicy that admits only the Gateway's pods to the backend.
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendNetworkPolicy?: ApiObject;

  /**
   * The ALLOW AuthorizationPolicy on the backend's pods for the Gateway's identity (with `jwt`:
   * and a valid token of the issuer).
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendAuthorizationPolicy?: ApiObject;

  /**
   * The RequestAuthentication on the backend's pods, which check the token again (the Gateway
   * forwards it to them).
   *
   * @default - none without `jwt`, with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendRequestAuthentication?: ApiObject;

  private readonly ctx!: string;
  private readonly door!: FrontDoor;

  constructor(scope: Construct, id: string, props: GatewayApiGrpcIngressProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const hosts = checkHostnames(ctx, 'hosts', props.hosts, { wildcard: true });
      Backend._checkGrpc(ctx, props.backend);
      if (props.timeout !== undefined && props.gateway instanceof GatewayApiGateway && props.gateway._implementation._kind === 'istio') {
        fail(ctx, 'timeout', props.timeout, 'no timeout with Istio: a GRPCRoute has none (and Istio sets none by default)');
      }
      const door = buildFrontDoor(this, ctx, { ...props, hosts }, {
        kind: 'GRPCRoute',
        pathPrefixes: ['/'],
        rules: (backendRef, filters) => [{ backendRefs: [backendRef], filters: filters.length > 0 ? filters : undefined }],
      });
      this.door = door;
      this.ctx = ctx;
      this.gateway = door.gateway;
      this.certificate = door.certificate;
      this.gatewayRef = door.gatewayRef;
      this.grpcRoute = door.route;
      this.redirectRoute = door.redirectRoute;
      this.requestAuthentication = door.requestAuthentication;
      this.jwtDenyPolicy = door.jwtDenyPolicy;
      this.securityPolicy = door.securityPolicy;
      this.referenceGrant = door.referenceGrant;
      this.clientTrafficPolicy = door.clientTrafficPolicy;
      this.backendTrafficPolicy = door.backendTrafficPolicy;
      this.backendNetworkPolicy = door.backendNetworkPolicy;
      this.backendAuthorizationPolicy = door.backendAuthorizationPolicy;
      this.backendRequestAuthentication = door.backendRequestAuthentication;
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /** The host names, in the order given. */
  public get hosts(): string[] {
    return this.door.hosts();
  }

  /**
   * Adds a host name to the route (and the redirect and the authentication).
   *
   * @param host the host name, such as `ml.example.com`
   */
  public addHost(host: string): void {
    [host] = checkArgs(this.ctx, 'GatewayApiGrpcIngress', 'addHost', [host]);
    this.door.addHost(host, 'addHost(host)');
  }
}
