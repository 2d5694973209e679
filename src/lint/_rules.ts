/**
 * The checks of `cdk8s-secure-serving lint` and of the validation plugin: an id, a default
 * severity, what it means and how to fix it. The ids are stable; suppressions name them.
 */
import { Manifest } from './_manifests';

/** How bad a finding is. `note` findings never fail a run. */
export type Severity = 'error' | 'warning' | 'note';

/** A check. */
export interface Rule {
  readonly id: string;
  readonly severity: Severity;
  /** One line: what is wrong. */
  readonly title: string;
  /** What to do about it. */
  readonly fix: string;
}

/** A finding of a check on one document. */
export interface Finding {
  readonly rule: Rule;
  /** The finding's own severity (the rule's unless the check knows better). */
  readonly severity: Severity;
  readonly manifest: Manifest;
  /** The field, as a path into the document (`spec.ports[0].name`). */
  readonly field: string;
  readonly message: string;
  /** The reason of the suppression annotation that silences it, if one does. */
  readonly suppressed?: string;
}

const r = (id: string, severity: Severity, title: string, fix: string): Rule => ({ id, severity, title, fix });

/** Every rule, by id. */
export const RULES = {
  frontDoorBypass: r('front-door-bypass', 'error',
    'A spelling of a request reaches the backend without the authentication the plain request needs',
    'Match what the authentication checks and what the router routes in the same way (hosts with and without port, ' +
    'case, normalized paths, every method), or use a construct of cdk8s-secure-serving, which does.'),
  authNotEnforced: r('auth-not-enforced', 'error',
    'Authentication is configured for this host, but a request without credentials reaches the backend',
    'Make the authentication required: for RequestAuthentication add an AuthorizationPolicy DENY with ' +
    'notRequestPrincipals ["*"]; for basic_auth rules list every method and path; for Traefik attach the middleware to every router.'),
  identityForgeable: r('identity-header-forgeable', 'error',
    'An authenticated request that external authorization does not check carries a client-chosen identity header to the backend',
    'Deny requests that bring the identity headers the authorizer sets (a DENY with when request.headers[<name>] values ["*"]) on the ' +
    'hosts it does not check, or remove those headers from client requests; drop header names with "_" too.'),
  unauthenticatedFrontDoor: r('unauthenticated-front-door', 'warning',
    'A host is routed to a backend with no authentication at all',
    'Add authentication for the host, or suppress this finding with the reason the host is public.'),
  aroundTheDoor: r('backend-reachable-around-door', 'error',
    'The backend of an authenticated front door accepts connections from any pod, around the front door',
    'Add a NetworkPolicy (or a mesh ALLOW policy with STRICT mTLS) that admits only the front door\'s pods to the backend.'),
  grpcPort: r('grpc-port-protocol', 'error',
    'A gRPC backend port is not declared as gRPC: Istio forwards HTTP/1.1 to it and gRPC breaks',
    'Name the Service port grpc or grpc-<suffix>, or set appProtocol: grpc (kubernetes.io/h2c for cleartext HTTP/2).'),
  traefikV1Annotations: r('traefik-v1-annotations', 'error',
    'Traefik v1 annotations: Traefik v2 and v3 ignore them, and the route has no authentication',
    'Use a traefik.io/v1alpha1 Middleware (basicAuth) and the annotation traefik.ingress.kubernetes.io/router.middlewares.'),
  duplicateObject: r('duplicate-object', 'error',
    'Two documents for one object (API group, kind, namespace and name): the one applied last replaces the other, and with it, say, a DENY policy',
    'Give each object a name of its own, or remove the copy.'),
  removedApi: r('removed-api-version', 'error',
    'An API version the current control plane no longer serves: the object is refused or ignored',
    'Write the object in the current API version (see the message).'),
  requestAuthNotRequired: r('request-authentication-not-required', 'error',
    'RequestAuthentication without a policy that stops requests without a token: they pass with no principal',
    'Add an AuthorizationPolicy with action DENY and from.source.notRequestPrincipals ["*"] on the same workloads.'),
  customPathOnly: r('custom-authz-path-only', 'error',
    'External authorization skipped by path alone: the exemption holds for every host on the gateway, and for forged identity headers',
    'Scope the exemption to the hosts it is for (to.operation.hosts, with host:* twins), and still require a token there.'),
  mtlsPermissive: r('mtls-permissive', 'error',
    'mTLS is PERMISSIVE or disabled: plaintext callers reach the workload without an identity',
    'Set PeerAuthentication mtls.mode STRICT for the namespace or workloads.'),
  wasmFailOpen: r('wasm-fail-open', 'error',
    'A WasmPlugin fails open: when the module cannot be fetched or crashes, requests pass unchecked',
    'Remove failStrategy (FAIL_CLOSE is the default).'),
  envoyV2: r('envoy-v2-config', 'error',
    'Envoy v2 configuration: the v2 API and `config:` fields were removed, and Envoy refuses the bootstrap',
    'Use v3 typed_config with an @type URL for every filter and transport socket.'),
  kserveActivator: r('kserve-activator-in-path', 'error',
    'An isolated InferenceService keeps the Knative activator in its request path: any caller reaches it through the activator',
    'Set the annotation autoscaling.knative.dev/targetBurstCapacity: "0" and minReplicas of 1 or more (or use the Standard deployment mode).'),
  alpnNoH2: r('alpn-without-h2', 'error',
    'TLS in front of gRPC does not offer HTTP/2 in ALPN: grpc-go 1.67+ and other clients refuse the connection',
    'Offer h2: the NLB annotation aws-load-balancer-alpn-policy HTTP2Preferred (or HTTP2Only), or alpn_protocols [h2, http/1.1].'),
  privateKey: r('private-key-in-clear', 'error',
    'A private key outside a Secret (in a ConfigMap or a JWKS): anyone who can read the object can sign or decrypt',
    'Keep private keys in Secrets (or a KMS); publish only public keys in a JWKS.'),
  credentialsInClear: r('credentials-in-clear', 'error',
    'A password in a custom resource or ConfigMap (plaintext or base64 user:password)',
    'Keep credentials in a Secret as hashes (bcrypt htpasswd) and reference it.'),
  htpasswdHash: r('htpasswd-weak-hash', 'error',
    'An htpasswd line with a plaintext password or a weak hash',
    'Hash every password with bcrypt (htpasswd -B -C 10), in one Secret key.'),
  jwtAudiences: r('jwt-without-audiences', 'error',
    'A JWT provider without audiences: a token the issuer made for any other service is accepted',
    'List the audiences this service accepts.'),
  jwtExpiry: r('jwt-without-expiry', 'error',
    'A JWT provider that accepts tokens without an expiry: a leaked token works forever',
    'Envoy: set require_expiration: true (and clock_skew_seconds of at most 300). Istio: copy exp to a header with ' +
    'outputClaimToHeaders and deny requests without it (request.auth.claims cannot match exp: it is a number). Envoy Gateway: ' +
    'copy exp with claimToHeaders and require it in an authorization rule.'),
  envoyPaths: r('envoy-path-normalization', 'error',
    'Envoy matches routes and authentication rules on unnormalized paths: //x and /./x match differently',
    'Set normalize_path: true and merge_slashes: true on the HTTP connection manager.'),
  envoyAdmin: r('envoy-admin-exposed', 'error',
    'The Envoy admin interface listens on a non-loopback address: anyone who reaches it can change or stop the proxy',
    'Bind admin to 127.0.0.1 and probe readiness through a listener of its own.'),
  jwtRuleOrder: r('envoy-jwt-rule-shadowed', 'error',
    'A jwt_authn rule without requires matches before the rules that require a token: they never apply',
    'Put rules without requires after the ones that require a token, and make them as narrow as the paths that are public.'),
  gatewayHostsAnyNamespace: r('gateway-hosts-any-namespace', 'warning',
    'A Gateway server accepts VirtualServices for its hosts from every namespace',
    'Prefix each server host with the namespace allowed to bind it (ns/host).'),
  authzHostNeverMatches: r('authz-host-never-matches', 'error',
    'An AuthorizationPolicy host pattern misses the spellings clients send (host:port)',
    'Write each exact host twice, h and h:*; a suffix wildcard *.x misses *.x with a port, so add *.x:443 and every other port ' +
    'clients use (*.x:* is a literal suffix and never matches).'),
  basicAuthMethods: r('basic-auth-rule-misses-post', 'error',
    'basic_auth rules do not list POST: gRPC (always POST) and other unlisted methods pass unchecked',
    'List every method the backend serves in request_methods, POST included.'),
  extAuthFailOpen: r('ext-auth-fail-open', 'error',
    'External authorization fails open: when the authorizer is down, every request passes',
    'Set failOpen: false (the default).'),
  podSecurity: r('pod-security-restricted', 'warning',
    'A workload on the request path runs below the Pod Security "restricted" profile',
    'Run as non-root, drop ALL capabilities, forbid privilege escalation, use seccomp RuntimeDefault, no host namespaces or host paths.'),
  modelUnsupported: r('model-unsupported', 'note',
    'The front-door analysis could not model these manifests; the attack checks did not run for them',
    'Nothing to fix in the manifests; the static checks still ran.'),
  suppressionWithoutReason: r('suppression-without-reason', 'warning',
    'A suppression annotation without a reason does not suppress',
    'Give the annotation a value that says why the finding does not apply.'),
} as const;

/** The annotation prefix that suppresses a rule on an object: `lint.cdk8s-secure-serving.dev/<rule id>: <reason>`. */
export const SUPPRESS_PREFIX = 'lint.cdk8s-secure-serving.dev/';

/** A finding of `rule` on `manifest`. */
export function finding(rule: Rule, manifest: Manifest, field: string, message: string, severity?: Severity): Finding {
  return { rule, severity: severity ?? rule.severity, manifest, field, message };
}
