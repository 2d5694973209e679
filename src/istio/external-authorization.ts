import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import { checkDnsLabel, checkDuration, checkHostnames, checkInteger, checkNonEmpty, checkPort, contextOf, fail, protoDuration, abandon, checkProps, claim } from '../_validate';
import { checkSelector } from './_gateway';
import { authorityRegex, checkGatewayWideJwtAcknowledged, hostsWithPorts, jwtRule, requireJwt } from './_jwt';
import { IstioJwtOptions } from './jwt-options';

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

/**
 * Requests that skip the external authorization service, for example inference calls from
 * other services that cannot log in through a browser.
 */
export interface ExternalAuthorizationExemption {
  /**
   * The host names of the exempted apps (for example the KServe model's domain). Exemptions
   * always name hosts: a path-only exemption exempts that path on every app behind the
   * gateway, unless `unsafeAllHosts` says so.
   *
   * @default - none: only with `unsafeAllHosts`
   */
  readonly hosts?: string[];

  /**
   * Path patterns (exact, `prefix*` or `*suffix`) exempted on those hosts.
   *
   * @default - the KServe inference paths: `/v1/models/*`, `/v2/models/*`, `/inference.GRPCInferenceService/*`
   */
  readonly paths?: string[];

  /**
   * Exempted requests must still carry a valid JWT from this issuer (for example Kubernetes
   * service-account tokens), so that exempted does not mean anonymous.
   *
   * @default - none: only with `allowAnonymous`
   */
  readonly jwt?: IstioJwtOptions;

  /**
   * Let exempted requests through without any credential.
   *
   * @default false
   */
  readonly allowAnonymous?: boolean;

  /**
   * Exempt the paths on EVERY host behind the gateway, as a path-only rule such as
   * `notPaths: ["/v1*"]` does: any app with such a path is then reachable without
   * authorization. Only for gateways that serve nothing else.
   *
   * @default false
   */
  readonly unsafeAllHosts?: boolean;
}

/**
 * Props of `IstioExternalAuthorization`.
 */
export interface IstioExternalAuthorizationProps {
  /** The external authorization service. */
  readonly provider: ExternalAuthorizationProvider;

  /**
   * Labels of the ingress gateway pods.
   *
   * @default { istio: "ingressgateway" } (Kubeflow's gateway)
   */
  readonly gatewaySelector?: { [key: string]: string };

  /**
   * Namespace of the ingress gateway pods; the policies go there.
   *
   * @default "istio-system"
   */
  readonly gatewayNamespace?: string;

  /**
   * Requests that skip the external check.
   *
   * @default - none: every request is checked
   */
  readonly exempt?: ExternalAuthorizationExemption;

  /**
   * Confirms that the JWT rules of `exempt.jwt` apply to the whole gateway: Istio checks every
   * bearer token that reaches the gateway's pods against the issuers their
   * RequestAuthentications list, so a request that carries a token of an issuer none lists gets
   * 401, whichever app it is for. Required with `exempt.jwt`.
   *
   * @default false
   */
  readonly acknowledgeGatewayWideJwt?: boolean;
}

const CLASS = 'IstioExternalAuthorization';
const KSERVE_PATHS = ['/v1/models/*', '/v2/models/*', '/inference.GRPCInferenceService/*'];
const HEADER = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * External authorization (Dex, oauth2-proxy) on the Istio ingress gateway, with inference
 * traffic exempted safely.
 *
 * Writes a CUSTOM AuthorizationPolicy that sends every request to the extension provider
 * except the exempted ones, which are matched by host AND path: a request to another app's
 * `/v1/...` is still checked. Exempted requests need a valid JWT by default
 * (RequestAuthentication + DENY without a principal), and are denied when they carry a header
 * the authorization service would set (`headersToUpstreamOnAllow`), so they cannot forge an
 * identity. `meshConfig` is the matching istiod configuration.
 */
export class IstioExternalAuthorization extends Construct {
  /** The CUSTOM AuthorizationPolicy; also the construct's default child. */
  public readonly policy: ApiObject;

  /**
   * The RequestAuthentication for exempted requests.
   *
   * @default - none without `exempt.jwt`
   */
  public readonly requestAuthentication?: ApiObject;

  /**
   * The DENY policy for exempted requests without a valid JWT.
   *
   * @default - none without `exempt.jwt`
   */
  public readonly jwtDenyPolicy?: ApiObject;

  /**
   * The DENY policy for exempted requests that carry identity headers.
   *
   * @default - none without an exemption and `headersToUpstreamOnAllow`
   */
  public readonly forgedHeaderDenyPolicy?: ApiObject;

  /**
   * The EnvoyFilter that normalizes paths on the gateway's pods before any policy sees them:
   * `%2F` and `%5C` are unescaped and the client is redirected to the resulting path, dot
   * segments are removed and slashes merged, so that `/v1/models/x%2F..%2F..%2Fadmin` cannot
   * match an exempted path and reach `/admin` on the backend; headers whose names have "_" are
   * dropped (a forged `kubeflow_userid` would pass the identity-header DENY); and requests to the
   * exempted hosts whose path carries a `;` parameter (`/..;/`) are refused.
   *
   * @default - none without `exempt`
   */
  public readonly pathNormalization?: ApiObject;

  /**
   * The istiod mesh configuration this needs, for the Helm values `meshConfig` (or
   * IstioOperator `spec.meshConfig`): the `extensionProviders` entry, and path normalization
   * `DECODE_AND_MERGE_SLASHES` so that `//v1/...` or `%2F` cannot slip past the path rules.
   * Merge it with the providers the mesh already has.
   */
  public readonly meshConfig: any;

  constructor(scope: Construct, id: string, props: IstioExternalAuthorizationProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const provider = providerEntry(ctx, props.provider);
      const selector = checkSelector(ctx, props.gatewaySelector ?? { istio: 'ingressgateway' });
      const namespace = checkDnsLabel(ctx, 'gatewayNamespace', props.gatewayNamespace ?? 'istio-system');
      // Istio applies one CUSTOM provider per workload: a second one on the same pods conflicts.
      const pods = `${namespace}/${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`;
      const holder = claim(this, `CUSTOM authorization ${pods}`);
      if (holder !== undefined) {
        fail(ctx, 'gatewaySelector', selector, `gateway pods other than ${pods}: ${holder} sends them to an external authorizer already (Istio applies one CUSTOM provider per workload)`);
      }
      const ex = props.exempt;

      let rules: security.AuthorizationPolicySpecRules[] = [{}];
      let hosts: string[] | undefined;
      let paths: string[] | undefined;
      if (ex !== undefined) {
        paths = checkPaths(ctx, ex.paths ?? KSERVE_PATHS);
        if (ex.unsafeAllHosts === true) {
          if (ex.hosts !== undefined) {
            fail(ctx, 'exempt.hosts', ex.hosts, 'no hosts with exempt.unsafeAllHosts (it exempts the paths on every host)');
          }
        } else {
          if (ex.hosts === undefined) {
            fail(ctx, 'exempt.hosts', undefined,
              'the host names of the exempted apps: a path-only exemption exempts those paths on every app behind the gateway (exempt.unsafeAllHosts: true if that is intended)');
          }
          hosts = checkHostnames(ctx, 'exempt.hosts', ex.hosts, { wildcard: true });
        }
        if (ex.jwt === undefined && ex.allowAnonymous !== true) {
          fail(ctx, 'exempt.jwt', undefined, 'JWT options for exempted requests, or exempt.allowAnonymous: true to let them through without any credential');
        }
        if (ex.jwt !== undefined && ex.allowAnonymous === true) {
          fail(ctx, 'exempt.allowAnonymous', true, 'false with exempt.jwt');
        }
        // CUSTOM applies when a rule matches: NOT (host in H AND path in P) = host not in H OR path not in P.
        rules = hosts === undefined
          ? [{ to: [{ operation: { notPaths: paths } }] }]
          : [{ to: [{ operation: { notHosts: hostsWithPorts(hosts) } }] }, { to: [{ operation: { notPaths: paths } }] }];
      }
      const rule = ex?.jwt !== undefined ? jwtRule(ctx, 'exempt.jwt', ex.jwt) : undefined;
      if (rule !== undefined) {
        checkGatewayWideJwtAcknowledged(ctx, 'exempt.jwt', props.acknowledgeGatewayWideJwt, 'the gateway pods');
      }

      this.policy = new security.AuthorizationPolicy(this, 'Resource', {
        metadata: { namespace },
        spec: {
          selector: { matchLabels: selector },
          action: security.AuthorizationPolicySpecAction.CUSTOM,
          provider: { name: provider.name },
          rules,
        },
      });

      if (rule !== undefined) {
        const jwt = requireJwt(this, { namespace, attach: { selector }, jwt: rule, hosts, paths });
        this.requestAuthentication = jwt.requestAuthentication;
        this.jwtDenyPolicy = jwt.denyPolicy;
      }
      const identityHeaders = provider.envoyExtAuthzHttp?.headersToUpstreamOnAllow as string[] | undefined;
      if (ex !== undefined && identityHeaders !== undefined) {
        this.forgedHeaderDenyPolicy = new security.AuthorizationPolicy(this, 'DenyForgedIdentity', {
          metadata: { namespace },
          spec: {
            selector: { matchLabels: selector },
            action: security.AuthorizationPolicySpecAction.DENY,
            rules: identityHeaders.map(h => ({
              to: [{ operation: { hosts: hosts ? hostsWithPorts(hosts) : undefined, paths } }],
              when: [{ key: `request.headers[${h}]`, values: ['*'] }],
            })),
          },
        });
      }
      if (ex !== undefined) {
        // The exemption matches paths: the path each policy sees must be the one the backend serves.
        // Istio's default normalization (BASE) keeps %2F and does not merge slashes.
        this.pathNormalization = new ApiObject(this, 'PathNormalization', {
          apiVersion: 'networking.istio.io/v1alpha3',
          kind: 'EnvoyFilter',
          metadata: { namespace },
          spec: {
            workloadSelector: { labels: selector },
            configPatches: [{
              applyTo: 'NETWORK_FILTER',
              match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
              patch: {
                operation: 'MERGE',
                value: {
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    'normalize_path': true,
                    'merge_slashes': true,
                    'path_with_escaped_slashes_action': 'UNESCAPE_AND_REDIRECT',
                    // `kubeflow_userid` would slip past the DENY on `kubeflow-userid`, and some backends
                    // (CGI-style header names) read the two as one: headers with "_" are dropped.
                    'common_http_protocol_options': { headers_with_underscores_action: 'DROP_HEADER' },
                  },
                },
              },
            }, {
              // Envoy does not normalize `;` path parameters: a backend that reads `/v1/models/m/..;/..;/admin`
              // as `/admin` (Java servlet containers do) would serve a path the exemption does not cover.
              // Such requests to the exempted hosts are refused before any policy runs.
              applyTo: 'HTTP_FILTER',
              match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
              patch: {
                operation: 'INSERT_FIRST',
                value: {
                  name: 'envoy.filters.http.rbac',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
                    'rules': {
                      action: 'DENY',
                      policies: {
                        'path-parameters-on-exempted-hosts': {
                          permissions: [{
                            and_rules: {
                              rules: [
                                ...(hosts === undefined ? [] : [{ header: { name: ':authority', string_match: { safe_regex: { regex: authorityRegex(hosts, false, '[0-9]+') } } } }]),
                                { url_path: { path: { safe_regex: { regex: '.*(;|%3[Bb]).*' } } } },
                              ],
                            },
                          }],
                          principals: [{ any: true }],
                        },
                      },
                    },
                  },
                },
              },
            }],
          },
        });
      }
      // Through JSON to drop unset (undefined) members.
      this.meshConfig = JSON.parse(JSON.stringify({
        extensionProviders: [provider],
        pathNormalization: { normalization: 'DECODE_AND_MERGE_SLASHES' },
      }));
    } catch (e) {
      abandon(this);
      throw e;
    }
  }
}

function headerList(ctx: string, prop: string, value: string[] | undefined): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    fail(ctx, prop, value, 'a non-empty list of header names, or no list');
  }
  value.forEach((h, i) => {
    if (typeof h !== 'string' || !HEADER.test(h)) {
      fail(ctx, `${prop}[${i}]`, h, 'a lowercase HTTP header name');
    }
  });
  return [...value];
}

/** An external authorization provider, checked (see `checkExternalAuthorizationProvider`). */
export interface CheckedExternalAuthorizationProvider {
  readonly name: string;
  readonly protocol: ExternalAuthorizationProtocol;
  /** The cluster FQDN, and the Service's name and namespace in it. */
  readonly service: string;
  readonly serviceName: string;
  readonly namespace: string;
  readonly port: number;
  readonly includeRequestHeadersInCheck?: string[];
  readonly headersToUpstreamOnAllow?: string[];
  readonly headersToDownstreamOnDeny?: string[];
  readonly timeout?: Duration;
  readonly failOpen: boolean;
  readonly statusOnError?: number;
}

/**
 * Checks an external authorization provider, the same for every construct that takes one;
 * `prop` is where it sits in the props (`provider`, `externalAuthorization`).
 */
export function checkExternalAuthorizationProvider(ctx: string, prop: string,
  p: ExternalAuthorizationProvider): CheckedExternalAuthorizationProvider {
  checkNonEmpty(ctx, `${prop}.name`, p.name);
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(p.name)) {
    fail(ctx, `${prop}.name`, p.name, 'letters, digits, "-", "_" or "."');
  }
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.exec(p.service);
  if (!m) {
    fail(ctx, `${prop}.service`, p.service, 'a cluster FQDN "<service>.<namespace>.svc.cluster.local"');
  }
  checkPort(ctx, `${prop}.port`, p.port);
  const protocol = p.protocol ?? ExternalAuthorizationProtocol.HTTP;
  if (protocol === ExternalAuthorizationProtocol.GRPC) {
    // A gRPC authorizer receives every header and says itself which headers to add.
    for (const field of ['includeRequestHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny'] as const) {
      if (p[field] !== undefined) {
        fail(ctx, `${prop}.${field}`, p[field], `no ${field} with ExternalAuthorizationProtocol.GRPC: the gRPC check request carries every header, and the authorizer's answer says which to add`);
      }
    }
  }
  const failOpen = p.failOpen ?? false;
  if (failOpen && p.acknowledgeFailOpen !== true) {
    fail(ctx, `${prop}.failOpen`, true, 'false, or acknowledgeFailOpen: true (when the authorization service is down, every protected app is open)');
  }
  if (!failOpen && p.acknowledgeFailOpen !== undefined) {
    fail(ctx, `${prop}.acknowledgeFailOpen`, p.acknowledgeFailOpen, `no acknowledgeFailOpen without ${prop}.failOpen`);
  }
  return {
    name: p.name,
    protocol,
    service: p.service,
    serviceName: m[1],
    namespace: m[3],
    port: p.port,
    includeRequestHeadersInCheck: protocol === ExternalAuthorizationProtocol.GRPC ? undefined
      : headerList(ctx, `${prop}.includeRequestHeadersInCheck`, p.includeRequestHeadersInCheck ?? ['authorization', 'cookie']),
    headersToUpstreamOnAllow: headerList(ctx, `${prop}.headersToUpstreamOnAllow`, p.headersToUpstreamOnAllow),
    headersToDownstreamOnDeny: headerList(ctx, `${prop}.headersToDownstreamOnDeny`, p.headersToDownstreamOnDeny),
    timeout: p.timeout === undefined ? undefined : checkDuration(ctx, `${prop}.timeout`, p.timeout),
    failOpen,
    statusOnError: p.statusOnError === undefined ? undefined : checkInteger(ctx, `${prop}.statusOnError`, p.statusOnError, 400, 599),
  };
}

/** The mesh config's `extensionProviders` entry. */
function providerEntry(ctx: string, p: ExternalAuthorizationProvider): any {
  const c = checkExternalAuthorizationProvider(ctx, 'provider', p);
  const common = {
    service: c.service,
    port: c.port,
    timeout: c.timeout === undefined ? undefined : protoDuration(c.timeout),
    failOpen: c.failOpen,
    statusOnError: c.statusOnError === undefined ? undefined : String(c.statusOnError),
  };
  return c.protocol === ExternalAuthorizationProtocol.GRPC
    ? { name: c.name, envoyExtAuthzGrpc: common }
    : {
      name: c.name,
      envoyExtAuthzHttp: {
        ...common,
        includeRequestHeadersInCheck: c.includeRequestHeadersInCheck,
        headersToUpstreamOnAllow: c.headersToUpstreamOnAllow,
        headersToDownstreamOnDeny: c.headersToDownstreamOnDeny,
      },
    };
}

function checkPaths(ctx: string, paths: string[]): string[] {
  if (!Array.isArray(paths) || paths.length === 0) {
    fail(ctx, 'exempt.paths', paths, 'at least one path pattern');
  }
  paths.forEach((p, i) => {
    const inner = typeof p === 'string' ? p.replace(/^\*/, '').replace(/\*$/, '') : '';
    if (typeof p !== 'string' || p === '*' || inner.includes('*') || !(p.startsWith('/') || p.startsWith('*')) || /\s/.test(p)) {
      fail(ctx, `exempt.paths[${i}]`, p, 'a path starting with "/", with "*" only as the first or last character (prefix or suffix match)');
    }
  });
  return [...paths];
}
