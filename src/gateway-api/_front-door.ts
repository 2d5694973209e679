/**
 * What the Gateway API front doors (gRPC and REST) share: the Gateway (created or existing), the
 * HTTPS redirect, the authentication of the chosen implementation (Istio policies on the
 * Gateway, or an Envoy Gateway SecurityPolicy on the route), TLS and timeout policies, and the
 * backend's isolation.
 */
import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { GatewayApiFrontDoorProps } from './grpc-ingress';
import * as gwapi from '../../imports/gateway.networking.k8s.io';
import { isolateBackend } from '../_backend-isolation';
import { childName, claimObjectNames, named, nameObjects } from '../_names';
import { resolveTls, ResolvedTls } from '../_tls';
import { byCodeUnits, chartNamespace, checkAnnotations, checkBoolean, checkDnsLabel, checkDuration, claim, claimFrontDoor, checkHostname, fail, heldBy, Shown } from '../_validate';
import { checkJwtIssuer } from '../auth/_jwt-issuer';
import { checkExternalAuthorizationProvider } from '../istio/_external-authorization-provider';
import { checkGatewayWideJwtAcknowledged, EXPIRY_HEADER, gatewayAndBackendRules, jwtRule, requireJwt } from '../istio/_jwt';
import { ExternalAuthorizationProtocol, ExternalAuthorizationProvider } from '../istio/external-authorization-provider';

/** The route a front door writes: its kind, its path prefixes, and how to write its rules. */
export interface RouteKind {
  readonly kind: 'GRPCRoute' | 'HTTPRoute';
  /** The path prefixes the route serves (for the one-front-door-per-host check). */
  readonly pathPrefixes: string[];
  /** The route's rules, given the backend ref and the filters every rule carries. */
  rules(backendRef: { name: string; port: number }, filters: any[], timeout?: string): any[];
}

/** What a front door wrote. */
export interface FrontDoor {
  readonly gateway?: ApiObject;
  readonly certificate?: ApiObject;
  readonly gatewayRef: string;
  readonly route: ApiObject;
  readonly redirectRoute?: ApiObject;
  readonly requestAuthentication?: ApiObject;
  readonly jwtDenyPolicy?: ApiObject;
  readonly securityPolicy?: ApiObject;
  readonly clientTrafficPolicy?: ApiObject;
  readonly backendTrafficPolicy?: ApiObject;
  readonly referenceGrant?: ApiObject;
  readonly backendNetworkPolicy?: ApiObject;
  readonly backendAuthorizationPolicy?: ApiObject;
  readonly backendRequestAuthentication?: ApiObject;
  /** Adds a host, checked as `at`. */
  readonly addHost: (host: string, at: string) => void;
  /** The hosts so far. */
  readonly hosts: () => string[];
}

const EG = 'gateway.envoyproxy.io/v1alpha1';
const GATEWAY_API = 'gateway.networking.k8s.io';

/**
 * TLS 1.2 cipher suites for the Envoy Gateway listener: ECDHE key exchange with AEAD ciphers
 * only (Envoy's BoringSSL names). TLS 1.3 suites are not configurable.
 */
const MODERN_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
];

/** The `extAuth.statusOnError` values the SecurityPolicy schema allows (Envoy's HTTP status codes of 4xx and 5xx). */
const EG_ERROR_STATUSES = [400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428,
  429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511];

/** A CEL expression true only for a verified token whose `exp` is a positive integer (see `EXPIRY_HEADER`). */
const EXPIRY_CEL = `has(request.headers['${EXPIRY_HEADER}']) && request.headers['${EXPIRY_HEADER}'].matches('^[1-9][0-9]*$')`;

export function buildFrontDoor(scope: Construct, ctx: string, props: GatewayApiFrontDoorProps, route: RouteKind): FrontDoor {
  const out: { -readonly [K in keyof FrontDoor]?: FrontDoor[K] } = {};
  const gw = props.gateway;
  const impl = gw._implementation;
  const eg = impl._kind === 'envoy-gateway';
  const namespace = chartNamespace(ctx, scope, 'the routes, the Gateway and its policies live there');
  nameObjects(scope, ctx, 'name', props.name);
  const hostList: string[] = [];
  const addHost = (h: string, at: string) => {
    checkHostname(ctx, at, h, { wildcard: true });
    if (hostList.includes(h)) {
      fail(ctx, at, h, 'each host once (it is listed already)');
    }
    if (hostList.length === 16) {
      fail(ctx, at, h, 'at most 16 host names (a Gateway API route holds 16)');
    }
    if (props.jwt !== undefined && !eg && h.startsWith('*.')) {
      fail(ctx, at, h,
        'a host name without a wildcard with jwt on Istio: a route cannot refuse a Host header with another port, and Istio\'s DENY rule ' +
        'matches a wildcard host only without a port or with a port it lists, so such a request would reach the backend without a token');
    }
    // Gateway API leaves the order between a GRPCRoute and an HTTPRoute of the same host to the
    // implementation: which one serves a path (and so which authentication applies) would be
    // up to the controller. One route kind per host.
    const other = route.kind === 'GRPCRoute' ? 'HTTPRoute' : 'GRPCRoute';
    const holder = heldBy(scope, `${other} host ${h}`);
    if (holder !== undefined) {
      fail(ctx, at, h, `a host without a ${other} (${holder} routes it): give gRPC and REST front doors hosts of their own`);
    }
    // Every check before any claim: a host refused leaves nothing claimed.
    for (const prefix of route.pathPrefixes) {
      const door = heldBy(scope, `front door ${h} ${prefix}`);
      if (door !== undefined) {
        fail(ctx, at, h, `a host that no other front door of the app serves at path "${prefix}": ${door} does`);
      }
    }
    for (const prefix of route.pathPrefixes) {
      claimFrontDoor(scope, ctx, at, h, prefix);
    }
    claim(scope, `${route.kind} host ${h}`);
    hostList.push(h);
  };
  if (props.hosts.length > 16) {
    fail(ctx, 'hosts', props.hosts, 'at most 16 host names (a Gateway API route holds 16)');
  }
  if (props.backend.namespace !== undefined && props.backend.namespace !== namespace) {
    fail(ctx, 'backend', `${props.backend.namespace}/${props.backend.serviceName}`,
      'a Service in the chart\'s namespace (a route to another namespace needs a ReferenceGrant there)');
  }

  const open = checkBoolean(ctx, 'allowUnauthenticated', props.allowUnauthenticated ?? false);
  const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
  const authenticated = props.jwt !== undefined || props.externalAuthorization !== undefined;
  if (!authenticated && !open) {
    fail(ctx, 'jwt', undefined,
      `jwt${eg ? ' or externalAuthorization' : ''}: without it, anyone who reaches the gateway can call the backend (allowUnauthenticated: true if that is intended)`);
  }
  if (authenticated && open) {
    fail(ctx, 'allowUnauthenticated', true, `false (or unset) with ${props.jwt !== undefined ? 'jwt' : 'externalAuthorization'}`);
  }
  if (props.externalAuthorization !== undefined && !eg) {
    fail(ctx, 'externalAuthorization', new ShownProvider(props.externalAuthorization),
      'GatewayImplementation.envoyGateway() for externalAuthorization; on Istio, IstioExternalAuthorization sends the gateway pods\' requests to the authorizer');
  }
  props.hosts.forEach((h, i) => addHost(h, `hosts[${i}]`));
  out.addHost = addHost;
  // Host lists are read at synth, with the hosts `addHost` added.
  const hosts = () => [...hostList];
  const hostnames = Lazy.any({ produce: hosts }) as unknown as string[];
  out.hosts = hosts;
  if (props.jwt !== undefined && gw._existing !== undefined && !eg) {
    checkGatewayWideJwtAcknowledged(ctx, 'jwt on an existing Gateway', props.acknowledgeGatewayWideJwt, 'the Gateway\'s pods');
  }
  if (eg && props.acknowledgeGatewayWideJwt !== undefined) {
    fail(ctx, 'acknowledgeGatewayWideJwt', props.acknowledgeGatewayWideJwt,
      'no acknowledgeGatewayWideJwt with Envoy Gateway: its SecurityPolicy applies to this route only');
  }
  const timeout = props.timeout === undefined ? undefined : gatewayDuration(checkDuration(ctx, 'timeout', props.timeout, { max: Duration.hours(99999) }));

  // The Gateway: created, or an existing one's listener.
  let parent: { namespace?: string; name: string; sectionName: string };
  let gateway: { namespace: string; name: string };
  let tls: ResolvedTls | undefined;
  const create = gw._create;
  if (create === undefined) {
    const ex = gw._existing!;
    const listener = checkDnsLabel(ctx, 'gateway.listenerName', ex.listenerName ?? 'https');
    // A DNS label: the name is a label value on the Gateway's pods (at most 63 characters).
    const ref = { namespace: checkDnsLabel(ctx, 'gateway.namespace', ex.namespace), name: checkDnsLabel(ctx, 'gateway.name', ex.name) };
    parent = { ...ref, sectionName: listener };
    gateway = ref;
  } else {
    const gatewayName = create.name === undefined ? childName(scope, 'Gateway') : checkDnsLabel(ctx, 'gateway.name', create.name);
    if (!eg && create.name !== undefined && create.name.length > 57) {
      // Istio names the Gateway's Service and service account `<name>-istio`: a DNS label too.
      fail(ctx, 'gateway.name', create.name, 'at most 57 characters: Istio names the Gateway\'s Service `<name>-istio`, a DNS label of 63 at most');
    }
    tls = resolveTls(scope, ctx, 'gateway.tls', create.tls, {
      modes: ['lb', 'proxy'], namespace, dnsNames: hosts, certificateName: childName(scope, 'Certificate'),
    });
    const entries = Object.keys(create.infrastructureAnnotations ?? {});
    if (entries.length > 16) {
      fail(ctx, 'gateway.infrastructureAnnotations', new Shown(`{${entries.length} annotations}`), 'at most 16 annotations (the Gateway\'s infrastructure holds 16)');
    }
    const annotations = create.infrastructureAnnotations === undefined ? undefined
      : checkAnnotations(ctx, 'gateway.infrastructureAnnotations', create.infrastructureAnnotations);
    const sameNamespace = { namespaces: { from: gwapi.GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } };
    const redirect = create.httpsRedirect ?? true;
    const secret = tls.secretName;
    const listeners: gwapi.GatewaySpecListeners[] = [];
    if (redirect) {
      listeners.push({ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: sameNamespace });
    }
    listeners.push(secret === undefined
      ? { name: 'https', port: 443, protocol: 'HTTP', allowedRoutes: sameNamespace }
      : {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        allowedRoutes: sameNamespace,
        tls: { mode: gwapi.GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ kind: 'Secret', name: secret }] },
      });
    const created = new gwapi.Gateway(scope, 'Gateway', {
      metadata: { ...named(gatewayName) },
      spec: {
        gatewayClassName: impl.gatewayClassName,
        infrastructure: annotations ? { annotations } : undefined,
        listeners,
      },
    });
    out.gateway = created;
    parent = { name: created.name, sectionName: 'https' };
    gateway = { namespace, name: created.name };
    if (redirect) {
      out.redirectRoute = new gwapi.HttpRoute(scope, 'HttpsRedirect', {
        metadata: { ...named(childName(scope, 'HttpsRedirect')) },
        spec: {
          parentRefs: [{ name: created.name, sectionName: 'http' }],
          hostnames,
          rules: [{
            filters: [{
              type: gwapi.HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
              requestRedirect: {
                scheme: gwapi.HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
                statusCode: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
              },
            }],
          }],
        },
      });
    }
    if (eg && secret !== undefined) {
      // TLS 1.2 at least, forward-secret AEAD suites, and ALPN h2 first (gRPC needs HTTP/2).
      out.clientTrafficPolicy = new ApiObject(scope, 'ClientTrafficPolicy', {
        apiVersion: EG,
        kind: 'ClientTrafficPolicy',
        metadata: { ...named(childName(scope, 'ClientTrafficPolicy')) },
        spec: {
          targetRefs: [{ group: GATEWAY_API, kind: 'Gateway', name: created.name, sectionName: 'https' }],
          tls: { minVersion: '1.2', ciphers: [...MODERN_CIPHERS], alpnProtocols: ['h2', 'http/1.1'] },
        },
      });
    }
  }
  out.gatewayRef = `${gateway.namespace}/${gateway.name}`;
  out.certificate = tls?.certificate;

  // Istio: the token is checked at the Gateway's pods and again at the backend's sidecar.
  const rule = props.jwt !== undefined && !eg ? jwtRule(ctx, 'jwt', props.jwt) : undefined;
  const twice = rule !== undefined && !direct && props.backend._serviceObject !== undefined ? gatewayAndBackendRules(rule) : undefined;
  // Envoy Gateway forwards the token to the backend (jwt_authn `forward: true`): the route drops it
  // unless the user wants it passed on.
  const dropToken = eg && props.jwt !== undefined && props.jwt.forwardToken !== true;
  const filters = dropToken
    ? [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['authorization'] } }]
    : [];
  const routeTimeout = !eg ? timeout : undefined;
  const routeSpec = {
    parentRefs: [parent],
    hostnames,
    rules: route.rules({ name: props.backend.serviceName, port: props.backend.port }, filters, routeTimeout),
  };
  out.route = route.kind === 'GRPCRoute'
    ? new gwapi.GrpcRoute(scope, 'Resource', { metadata: { ...named(childName(scope, 'Resource')) }, spec: routeSpec as gwapi.GrpcRouteSpec })
    : new gwapi.HttpRoute(scope, 'Resource', { metadata: { ...named(childName(scope, 'Resource')) }, spec: routeSpec as gwapi.HttpRouteSpec });
  const routeRef = { group: GATEWAY_API, kind: route.kind, name: out.route.name };

  if (rule !== undefined) {
    const jwt = requireJwt(scope, { namespace: gateway.namespace, attach: { gateway: gateway.name }, jwt: twice?.gateway ?? rule, hosts });
    out.requestAuthentication = jwt.requestAuthentication;
    out.jwtDenyPolicy = jwt.denyPolicy;
  }
  if (eg && authenticated) {
    const spec: any = { targetRefs: [routeRef] };
    if (props.jwt !== undefined) {
      const issuer = checkJwtIssuer(ctx, 'jwt', props.jwt);
      spec.jwt = {
        providers: [{
          name: 'issuer',
          issuer: issuer.issuer,
          audiences: issuer.audiences,
          remoteJWKS: issuer.jwksUri === undefined ? undefined : { uri: issuer.jwksUri.toString() },
          localJWKS: issuer.jwks === undefined ? undefined : { type: 'Inline', inline: issuer.jwks.toJson() },
          claimToHeaders: [{ claim: 'exp', header: EXPIRY_HEADER }],
          // The Authorization header only (Envoy Gateway also reads an `access_token` query
          // parameter by default: a token in a URL ends up in logs, and the route could not drop it).
          extractFrom: { headers: [{ name: 'Authorization', valuePrefix: 'Bearer ' }] },
        }],
      };
      // Envoy's JWT library accepts a token without `exp` (or with 0) as one that never expires:
      // only a verified token with a real expiry is allowed (jwt_authn writes the header after it
      // removes any copy the client sent).
      spec.authorization = { defaultAction: 'Deny', rules: [{ name: 'token-with-expiry', action: 'Allow', cel: EXPIRY_CEL }] };
    }
    if (props.externalAuthorization !== undefined) {
      const ext = externalAuth(ctx, props.externalAuthorization);
      spec.extAuth = ext.extAuth;
      if (ext.namespace !== namespace) {
        // A route's policy may reference a Service of another namespace only if that namespace allows it.
        out.referenceGrant = new ApiObject(scope, 'ExternalAuthorizationGrant', {
          apiVersion: `${GATEWAY_API}/v1beta1`,
          kind: 'ReferenceGrant',
          metadata: { ...named(childName(scope, 'ExternalAuthorizationGrant')), namespace: ext.namespace },
          spec: {
            from: [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace }],
            to: [{ group: '', kind: 'Service', name: ext.service }],
          },
        });
      }
    }
    out.securityPolicy = new ApiObject(scope, 'SecurityPolicy', {
      apiVersion: EG, kind: 'SecurityPolicy', metadata: { ...named(childName(scope, 'SecurityPolicy')) }, spec,
    });
  }
  if (eg) {
    // Envoy's default route timeout (15 s) would cut long inference calls: none unless asked.
    out.backendTrafficPolicy = new ApiObject(scope, 'BackendTrafficPolicy', {
      apiVersion: EG,
      kind: 'BackendTrafficPolicy',
      metadata: { ...named(childName(scope, 'BackendTrafficPolicy')) },
      spec: { targetRefs: [routeRef], timeout: { http: { requestTimeout: timeout ?? '0s' } } },
    });
  }

  if (!direct) {
    // Istio deploys a Gateway's pods in its namespace, labelled with its name, under the service
    // account `<name>-istio` (istio/istio pilot/pkg/config/kube/gatewaycommon); Envoy Gateway runs
    // them in its own namespace, labelled with the Gateway's name and namespace.
    const peers = eg
      ? [{
        namespace: impl._proxyNamespace!,
        labels: () => ({ 'gateway.envoyproxy.io/owning-gateway-name': gateway.name, 'gateway.envoyproxy.io/owning-gateway-namespace': gateway.namespace }),
      }]
      : [{ namespace: gateway.namespace, labels: () => ({ 'gateway.networking.k8s.io/gateway-name': gateway.name }) }];
    const isolation = isolateBackend(scope, ctx, props.backend, {
      peers,
      meshSources: eg ? undefined : { principals: [`*/ns/${gateway.namespace}/sa/${gateway.name}-istio`] },
      jwt: twice && { rule: twice.backend, issuer: rule!.issuer, audiences: rule!.audiences, expiryHeader: EXPIRY_HEADER },
    });
    out.backendNetworkPolicy = isolation?.networkPolicy;
    out.backendAuthorizationPolicy = isolation?.authorizationPolicy;
    out.backendRequestAuthentication = isolation?.requestAuthentication;
  }
  claimObjectNames(scope, ctx, create?.name === undefined ? {} : { [create.name]: 'gateway.name' }, tls?.writtenSecrets);
  return out as FrontDoor;
}

/** Shows an external authorization provider by its service, not its fields. */
class ShownProvider {
  constructor(private readonly p: ExternalAuthorizationProvider) {}
  public _describe(): string {
    return `{ service: ${JSON.stringify(this.p.service)}, port: ${this.p.port} }`;
  }
}

/** The SecurityPolicy `extAuth` of a provider: HTTP or gRPC, to the Service of its cluster FQDN. */
function externalAuth(ctx: string, p: ExternalAuthorizationProvider): { extAuth: any; namespace: string; service: string } {
  const prop = 'externalAuthorization';
  const c = checkExternalAuthorizationProvider(ctx, prop, p);
  if (c.headersToDownstreamOnDeny !== undefined) {
    fail(ctx, `${prop}.headersToDownstreamOnDeny`, c.headersToDownstreamOnDeny,
      'no headersToDownstreamOnDeny with Envoy Gateway: it returns the authorizer\'s denial response, headers and all');
  }
  if (c.statusOnError !== undefined && !EG_ERROR_STATUSES.includes(c.statusOnError)) {
    fail(ctx, `${prop}.statusOnError`, c.statusOnError, `one of the statuses Envoy Gateway accepts: ${EG_ERROR_STATUSES.join(', ')}`);
  }
  const backendRefs = [{ name: c.serviceName, namespace: c.namespace, port: c.port }];
  const sorted = (list?: string[]) => (list === undefined ? undefined : [...list].sort(byCodeUnits));
  return {
    namespace: c.namespace,
    service: c.serviceName,
    extAuth: {
      ...(c.protocol === ExternalAuthorizationProtocol.GRPC
        ? { grpc: { backendRefs } }
        : { http: { backendRefs, headersToBackend: sorted(c.headersToUpstreamOnAllow) } }),
      headersToExtAuth: sorted(c.includeRequestHeadersInCheck),
      failOpen: c.failOpen,
      statusOnError: c.statusOnError,
      timeout: c.timeout === undefined ? undefined : gatewayDuration(c.timeout),
    },
  };
}

/** A duration as Gateway API and Envoy Gateway write it: `1h2m3s500ms` (units of at most 5 digits). */
export function gatewayDuration(d: Duration): string {
  let ms = d.toMilliseconds();
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(ms / size);
    ms -= n * size;
    if (n > 0) {
      parts.push(`${n}${unit}`);
    }
  }
  return parts.length === 0 ? '0s' : parts.join('');
}
