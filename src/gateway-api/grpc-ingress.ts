import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from '../../imports/gateway.networking.k8s.io';
import { checkGrpcBackend } from '../_backend-checks';
import { checkDnsLabel, checkDnsSubdomain, checkHostnames, contextOf, fail } from '../_validate';
import { Backend } from '../backend';

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
    checkDnsSubdomain('GatewayApiTls.fromSecret', 'secretName', secretName);
    return new GatewayApiTls(secretName);
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
}

const CLASS = 'GatewayApiGrpcIngress';

/**
 * A gRPC model server behind a Gateway API gateway (Istio's by default): a
 * `gateway.networking.k8s.io/v1` Gateway with an HTTP listener on 80 and a 443 listener that
 * fits where TLS ends, an HTTPRoute that redirects port 80 to HTTPS, and a GRPCRoute to the
 * backend.
 *
 * Authentication is not part of it: add an Istio RequestAuthentication and a DENY
 * AuthorizationPolicy for the gateway's pods (label `gateway.networking.k8s.io/gateway-name`).
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

  constructor(scope: Construct, id: string, props: GatewayApiGrpcIngressProps) {
    super(scope, id);
    const ctx = contextOf(this, CLASS);
    const hosts = checkHostnames(ctx, 'hosts', props.hosts, { wildcard: true });
    checkGrpcBackend(ctx, props.backend);
    const namespace = Chart.of(this).namespace;
    if (props.backend.namespace !== undefined && props.backend.namespace !== namespace) {
      fail(ctx, 'backend', `${props.backend.namespace}/${props.backend.serviceName}`,
        'a Service in the chart\'s namespace (a route to another namespace needs a ReferenceGrant there)');
    }

    let parent: gwapi.GrpcRouteSpecParentRefs;
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
  }
}

function sortedMap(map: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}
