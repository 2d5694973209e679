import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from '../../imports/gateway.networking.k8s.io';
import { checkGrpcBackend } from '../_backend-checks';
import { isolateBackend } from '../_backend-isolation';
import { byCodeUnits, checkBoolean, checkDnsLabel, checkDnsSubdomain, checkHostnames, contextOf, fail, abandon, chartNamespace, checkArgs, checkProps, claimFrontDoor } from '../_validate';
import { Backend } from '../backend';
import { checkGatewayWideJwtAcknowledged, EXPIRY_HEADER, gatewayAndBackendRules, jwtRule, requireJwt } from '../istio/_jwt';
import { IstioJwtOptions } from '../istio/jwt-options';

/**
 * Where TLS ends for a Gateway API gateway.
 */
export class GatewayApiTls {
  /**
   * TLS ends at the load balancer in front of the gateway (see `AwsNlbTls.annotations`, which
   * `infrastructureAnnotations` can carry): the 443 listener speaks HTTP (and h2c).
   */
  public static atLoadBalancer(): GatewayApiTls {
    return new GatewayApiTls(undefined);
  }

  /**
   * TLS ends at the gateway with the certificate in a `kubernetes.io/tls` Secret in the
   * Gateway's namespace.
   *
   * @param secretName the Secret's name
   */
  public static fromSecret(secretName: string): GatewayApiTls {
    const ctx = 'GatewayApiTls.fromSecret';
    [secretName] = checkArgs(ctx, 'GatewayApiTls', 'fromSecret', [secretName]);
    return new GatewayApiTls(checkDnsSubdomain(ctx, 'secretName', secretName));
  }

  /**
   * The TLS Secret's name.
   *
   * @default - none: TLS ends at the load balancer
   */
  public readonly secretName?: string;

  private constructor(secretName: string | undefined) {
    this.secretName = secretName;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    return this.secretName === undefined ? 'GatewayApiTls.atLoadBalancer()' : `GatewayApiTls.fromSecret(${JSON.stringify(this.secretName)})`;
  }
}

/**
 * Props of `GatewayApiGrpcIngress`.
 */
export interface GatewayApiGrpcIngressProps {
  /** Host names clients use (`ml.example.com`, or a wildcard such as `*.example.com`). */
  readonly hosts: string[];

  /** The gRPC Service and port, in the chart's namespace. Name the port `grpc` or `grpc-*`. */
  readonly backend: Backend;

  /**
   * Where TLS ends. Required when this construct creates the Gateway; not allowed with
   * `existingGateway`.
   *
   * @default - none: only with `existingGateway`
   */
  readonly tls?: GatewayApiTls;

  /**
   * Attach to an existing Gateway, as `namespace/name`, on its listener `listenerName`. The
   * Gateway must allow routes from this namespace.
   *
   * @default - a Gateway is created in the chart's namespace
   */
  readonly existingGateway?: string;

  /**
   * The listener the GRPCRoute attaches to on an existing Gateway.
   *
   * @default "https"
   */
  readonly listenerName?: string;

  /**
   * The GatewayClass of a created Gateway.
   *
   * @default "istio"
   */
  readonly gatewayClassName?: string;

  /**
   * Annotations for the load balancer Service of a created Gateway
   * (`spec.infrastructure.annotations`), for example `AwsNlbTls.annotations(...)`.
   *
   * @default - none
   */
  readonly infrastructureAnnotations?: { [key: string]: string };

  /**
   * An HTTP listener on port 80 whose HTTPRoute redirects to HTTPS (301).
   *
   * @default true (for a created Gateway)
   */
  readonly httpsRedirect?: boolean;

  /**
   * Require a valid JWT from this issuer for every request to the hosts, with Istio's
   * RequestAuthentication and a DENY AuthorizationPolicy attached to the Gateway (`targetRefs`,
   * Istio 1.22 and later). The Gateway must be implemented by Istio (class `istio`). Not with
   * wildcard hosts: the route cannot refuse a Host header with an unexpected port, which
   * Istio's DENY rule would not match.
   *
   * @default - none: only with `allowUnauthenticated`
   */
  readonly jwt?: IstioJwtOptions;

  /**
   * Confirms that the JWT rules apply to every route of the existing Gateway: Istio checks every
   * bearer token that reaches the Gateway against the issuers its RequestAuthentications list,
   * so a request with a token of another issuer gets 401, whichever route it is for. Required
   * with `jwt` and `existingGateway` (a created Gateway serves only these hosts).
   *
   * @default false
   */
  readonly acknowledgeGatewayWideJwt?: boolean;

  /**
   * Route to the backend without any authentication: anyone who reaches the gateway can call
   * it. Without `jwt`, this must be true.
   *
   * @default false
   */
  readonly allowUnauthenticated?: boolean;

  /**
   * Write no NetworkPolicy and no AuthorizationPolicy for the backend's pods. By default, for a
   * backend from `Backend.fromService`, only the Gateway's pods may reach the backend (a
   * NetworkPolicy on the label `gateway.networking.k8s.io/gateway-name`) and, in the mesh, only
   * the Gateway's service account `<gateway>-istio` (an ALLOW AuthorizationPolicy).
   *
   * @default false
   */
  readonly allowDirectBackendAccess?: boolean;
}

const CLASS = 'GatewayApiGrpcIngress';

/**
 * A gRPC model server behind a Gateway API gateway (Istio's by default): a
 * `gateway.networking.k8s.io/v1` Gateway with an HTTP listener on 80 and a 443 listener that
 * fits where TLS ends, an HTTPRoute that redirects port 80 to HTTPS, and a GRPCRoute to the
 * backend.
 *
 * With `jwt`, Istio's RequestAuthentication and a DENY AuthorizationPolicy attached to the
 * Gateway require a valid token for these hosts; without it, `allowUnauthenticated` must say so.
 */
export class GatewayApiGrpcIngress extends Construct {
  /**
   * The Gateway.
   *
   * @default - none with `existingGateway`
   */
  public readonly gateway?: ApiObject;

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

  constructor(scope: Construct, id: string, props: GatewayApiGrpcIngressProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const hosts = checkHostnames(ctx, 'hosts', props.hosts, { wildcard: true });
      checkGrpcBackend(ctx, props.backend);
      const namespace = chartNamespace(ctx, this, 'the routes, the Gateway and its policies live there');
      claimFrontDoor(this, ctx, 'hosts', hosts, '/');
      if (props.backend.namespace !== undefined && props.backend.namespace !== namespace) {
        fail(ctx, 'backend', `${props.backend.namespace}/${props.backend.serviceName}`,
          'a Service in the chart\'s namespace (a route to another namespace needs a ReferenceGrant there)');
      }

      const open = checkBoolean(ctx, 'allowUnauthenticated', props.allowUnauthenticated ?? false);
      const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
      if (props.jwt === undefined && !open) {
        fail(ctx, 'jwt', undefined, 'jwt: without it, anyone who reaches the gateway can call the backend (allowUnauthenticated: true if that is intended)');
      }
      if (props.jwt !== undefined && open) {
        fail(ctx, 'allowUnauthenticated', true, 'false (or unset) with jwt');
      }
      const rule = props.jwt === undefined ? undefined : jwtRule(ctx, 'jwt', props.jwt);
      if (rule !== undefined) {
        const wildcard = hosts.find(h => h.startsWith('*.'));
        if (wildcard !== undefined) {
          fail(ctx, 'hosts', wildcard,
            'host names without wildcards with jwt: a route cannot refuse a Host header with another port, and Istio\'s DENY rule ' +
            'matches a wildcard host only without a port or with a port it lists, so such a request would reach the backend without a token');
        }
        if (props.existingGateway !== undefined) {
          checkGatewayWideJwtAcknowledged(ctx, 'jwt on an existing Gateway', props.acknowledgeGatewayWideJwt, 'the Gateway\'s pods');
        }
        if (props.existingGateway === undefined && (props.gatewayClassName ?? 'istio') !== 'istio') {
          fail(ctx, 'gatewayClassName', props.gatewayClassName, '"istio" with jwt: the JWT policies are Istio\'s');
        }
      }

      let parent: gwapi.GrpcRouteSpecParentRefs;
      let gateway: { namespace: string; name: string };
      if (props.existingGateway !== undefined) {
        const parts = typeof props.existingGateway === 'string' ? props.existingGateway.split('/') : [];
        if (parts.length !== 2 || !parts.every(p => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))) {
          fail(ctx, 'existingGateway', props.existingGateway, 'a Gateway as "namespace/name"');
        }
        for (const prop of ['tls', 'gatewayClassName', 'infrastructureAnnotations', 'httpsRedirect'] as const) {
          if (props[prop] !== undefined) {
            fail(ctx, prop, props[prop], `no ${prop} with existingGateway: it applies to a Gateway this construct creates`);
          }
        }
        const listener = checkDnsLabel(ctx, 'listenerName', props.listenerName ?? 'https');
        parent = { namespace: parts[0], name: parts[1], sectionName: listener };
        gateway = { namespace: parts[0], name: parts[1] };
      } else {
        if (!(props.tls instanceof GatewayApiTls)) {
          fail(ctx, 'tls', props.tls, 'GatewayApiTls.atLoadBalancer() or GatewayApiTls.fromSecret(secretName)');
        }
        if (props.listenerName !== undefined) {
          fail(ctx, 'listenerName', props.listenerName, 'no listenerName without existingGateway (the created Gateway\'s listener is "https")');
        }
        const className = checkDnsSubdomain(ctx, 'gatewayClassName', props.gatewayClassName ?? 'istio');
        const annotations = props.infrastructureAnnotations;
        if (annotations !== undefined) {
          for (const [k, v] of Object.entries(annotations)) {
            if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k) || typeof v !== 'string') {
              fail(ctx, `infrastructureAnnotations.${k}`, v, 'an annotation key and a string value');
            }
          }
        }
        const sameNamespace = { namespaces: { from: gwapi.GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } };
        const listeners: gwapi.GatewaySpecListeners[] = [];
        const redirect = props.httpsRedirect ?? true;
        if (redirect) {
          listeners.push({ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: sameNamespace });
        }
        const secret = props.tls.secretName;
        listeners.push(secret === undefined
          ? { name: 'https', port: 443, protocol: 'HTTP', allowedRoutes: sameNamespace }
          : {
            name: 'https',
            port: 443,
            protocol: 'HTTPS',
            allowedRoutes: sameNamespace,
            tls: { mode: gwapi.GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ kind: 'Secret', name: secret }] },
          });
        this.gateway = new gwapi.Gateway(this, 'Gateway', {
          metadata: {},
          spec: {
            gatewayClassName: className,
            infrastructure: annotations ? { annotations: sortedMap(annotations) } : undefined,
            listeners,
          },
        });
        parent = { name: this.gateway.name, sectionName: 'https' };
        gateway = { namespace, name: this.gateway.name };
        if (redirect) {
          this.redirectRoute = new gwapi.HttpRoute(this, 'HttpsRedirect', {
            metadata: {},
            spec: {
              parentRefs: [{ name: this.gateway.name, sectionName: 'http' }],
              hostnames: hosts,
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
      }

      this.grpcRoute = new gwapi.GrpcRoute(this, 'Resource', {
        metadata: {},
        spec: {
          parentRefs: [parent],
          hostnames: hosts,
          rules: [{ backendRefs: [{ name: props.backend.serviceName, port: props.backend.port }] }],
        },
      });

      // With a backend it can see, the token is checked again at the backend's sidecar: the
      // Gateway's pods also serve routes of Istio Gateways that select them, from any namespace.
      const twice = rule !== undefined && !direct && props.backend.service !== undefined ? gatewayAndBackendRules(rule) : undefined;
      if (rule !== undefined) {
        const jwt = requireJwt(this, { namespace: gateway.namespace, attach: { gateway: gateway.name }, jwt: twice?.gateway ?? rule, hosts });
        this.requestAuthentication = jwt.requestAuthentication;
        this.jwtDenyPolicy = jwt.denyPolicy;
      }
      if (!direct) {
        // Istio deploys a Gateway's pods in its namespace, labelled with its name, under the
        // service account `<name>-istio` (istio/istio pilot/pkg/config/kube/gatewaycommon).
        const isolation = isolateBackend(this, ctx, props.backend, {
          peers: [{ namespace: gateway.namespace, labels: () => ({ 'gateway.networking.k8s.io/gateway-name': gateway.name }) }],
          meshSources: { principals: [`*/ns/${gateway.namespace}/sa/${gateway.name}-istio`] },
          jwt: twice && { rule: twice.backend, issuer: rule!.issuer, audiences: rule!.audiences, expiryHeader: EXPIRY_HEADER },
        });
        this.backendNetworkPolicy = isolation?.networkPolicy;
        this.backendAuthorizationPolicy = isolation?.authorizationPolicy;
        this.backendRequestAuthentication = isolation?.requestAuthentication;
      }
    } catch (e) {
      abandon(this);
      throw e;
    }
  }
}

function sortedMap(map: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => byCodeUnits(a, b)));
}
