import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Backend } from '../backend';
import { buildFrontDoor, FrontDoor } from './_front-door';
import { GatewayApiFrontDoorProps } from './grpc-ingress';
import { abandon, checkArgs, checkHostnames, checkProps, contextOf, fail } from '../_validate';

/**
 * Props of `GatewayApiHttpIngress`.
 */
export interface GatewayApiHttpIngressProps extends GatewayApiFrontDoorProps {
  /**
   * The path prefixes routed to the backend, matched by whole path segments (`/v2/models`
   * matches `/v2/models/iris/infer`, not `/v2/modelsX`). KServe's REST protocols use
   * `/v1/models` (v1) and `/v2` (Open Inference Protocol: `/v2/models/...`, `/v2/health/...`).
   * Requests for other paths get 404 from the gateway.
   *
   * @default ["/"]
   */
  readonly pathPrefixes?: string[];
}

const CLASS = 'GatewayApiHttpIngress';

/**
 * A REST model server (KServe v1/v2 REST, a scoring API) behind a Gateway API gateway, Istio's
 * or Envoy Gateway's: like `GatewayApiGrpcIngress`, with an HTTPRoute for the path prefixes.
 * A gRPC and a REST front door share one Gateway when the second attaches to the first's with
 * `GatewayApiGateway.existing`.
 */
export class GatewayApiHttpIngress extends Construct {
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

  /** The HTTPRoute to the backend; also the construct's default child. */
  public readonly httpRoute: ApiObject;

  /**
   * The HTTPRoute that redirects to HTTPS.
   *
   * @default - none without the redirect
   */
  public readonly redirectRoute?: ApiObject;

  /**
   * The RequestAuthentication attached to the Gateway (Istio).
   *
   * @default - none without `jwt` or on Envoy Gateway
   */
  public readonly requestAuthentication?: ApiObject;

  /**
   * The DENY AuthorizationPolicy for requests to the hosts without a valid JWT (Istio).
   *
   * @default - none without `jwt` or on Envoy Gateway
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
   * The Envoy Gateway ClientTrafficPolicy of a created Gateway that terminates TLS.
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
   * The ALLOW AuthorizationPolicy on the backend's pods for the Gateway's identity (Istio).
   *
   * @default - none on Envoy Gateway, with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendAuthorizationPolicy?: ApiObject;

  /**
   * The RequestAuthentication on the backend's pods, which check the token again (Istio).
   *
   * @default - none without `jwt`, on Envoy Gateway, with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendRequestAuthentication?: ApiObject;

  private readonly ctx!: string;
  private readonly door!: FrontDoor;

  constructor(scope: Construct, id: string, props: GatewayApiHttpIngressProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const hosts = checkHostnames(ctx, 'hosts', props.hosts, { wildcard: true });
      Backend._check(ctx, props.backend);
      const prefixes = checkPathPrefixes(ctx, props.pathPrefixes ?? ['/']);
      const door = buildFrontDoor(this, ctx, { ...props, hosts }, {
        kind: 'HTTPRoute',
        pathPrefixes: prefixes,
        rules: (backendRef, filters, timeout) => [{
          matches: prefixes.map(value => ({ path: { type: 'PathPrefix', value } })),
          backendRefs: [backendRef],
          filters: filters.length > 0 ? filters : undefined,
          timeouts: timeout === undefined ? undefined : { request: timeout },
        }],
      });
      this.door = door;
      this.ctx = ctx;
      this.gateway = door.gateway;
      this.certificate = door.certificate;
      this.gatewayRef = door.gatewayRef;
      this.httpRoute = door.route;
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
    [host] = checkArgs(this.ctx, 'GatewayApiHttpIngress', 'addHost', [host]);
    this.door.addHost(host, 'addHost(host)');
  }
}

/** Path prefixes: absolute, normalized (no empty, `.` or `..` segment, no `%`, `?` or `#`), each once, in code-unit order. */
function checkPathPrefixes(ctx: string, prefixes: string[]): string[] {
  if (prefixes.length === 0 || prefixes.length > 64) {
    fail(ctx, 'pathPrefixes', prefixes, 'from 1 to 64 path prefixes, such as ["/v2"] (an HTTPRoute rule holds 64 matches)');
  }
  prefixes.forEach((p, i) => {
    const segments = p.split('/').slice(1);
    const normalized = p === '/' || (p.startsWith('/') && segments.every(s => s !== '' && s !== '.' && s !== '..'));
    if (!normalized || p.length > 1024 || !/^[A-Za-z0-9\-._~!$&'()*+,;=:@/]+$/.test(p)) {
      fail(ctx, `pathPrefixes[${i}]`, p,
        'a path prefix such as "/v2/models": starting with "/", no trailing "/", no empty, "." or ".." segment, no "%", "?" or "#"');
    }
    if (prefixes.indexOf(p) !== i) {
      fail(ctx, `pathPrefixes[${i}]`, p, 'each prefix once (it is listed twice)');
    }
  });
  return [...prefixes].sort();
}
