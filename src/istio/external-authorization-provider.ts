import { Duration } from 'cdk8s';

/**
 * How the proxy asks an external authorization service.
 */
export enum ExternalAuthorizationProtocol {
  /** An HTTP check request per request (oauth2-proxy, oidc-authservice): Istio's `envoyExtAuthzHttp`. */
  HTTP = 'http',
  /** Envoy's gRPC `envoy.service.auth.v3.Authorization` service (OPA-Envoy, Authorino): Istio's `envoyExtAuthzGrpc`. */
  GRPC = 'grpc',
}

/**
 * An external authorization service (Dex with oidc-authservice, oauth2-proxy, OPA, ...): for
 * Istio an extension provider of the mesh config, for Envoy Gateway a SecurityPolicy `extAuth`.
 */
export interface ExternalAuthorizationProvider {
  /** The extension provider's name, as the CUSTOM AuthorizationPolicy names it. */
  readonly name: string;

  /** The authorization service's cluster FQDN, such as `authservice.istio-system.svc.cluster.local`. */
  readonly service: string;

  /** The authorization service's port. */
  readonly port: number;

  /**
   * How the proxy asks the service.
   * @default ExternalAuthorizationProtocol.HTTP
   */
  readonly protocol?: ExternalAuthorizationProtocol;

  /**
   * Request headers sent to the authorization service.
   *
   * @default ["authorization", "cookie"]
   */
  readonly includeRequestHeadersInCheck?: string[];

  /**
   * Headers of the authorization service's answer added to allowed requests (for example
   * `kubeflow-userid`). Requests exempted from the check could forge them: they are denied
   * when they carry one of these headers.
   *
   * @default - none
   */
  readonly headersToUpstreamOnAllow?: string[];

  /**
   * Headers of the authorization service's answer returned to denied clients (for example
   * `set-cookie` for a login redirect).
   *
   * @default - none
   */
  readonly headersToDownstreamOnDeny?: string[];

  /**
   * How long to wait for the authorization service.
   *
   * @default - Istio's default (600 seconds)
   */
  readonly timeout?: Duration;

  /**
   * Allow requests when the authorization service cannot be reached. Needs
   * `acknowledgeFailOpen`, since an outage then opens every protected app.
   *
   * @default false
   */
  readonly failOpen?: boolean;

  /**
   * Confirms that `failOpen` is intended.
   *
   * @default false
   */
  readonly acknowledgeFailOpen?: boolean;

  /**
   * HTTP status returned when the authorization service fails (and `failOpen` is off).
   *
   * @default 403
   */
  readonly statusOnError?: number;
}
