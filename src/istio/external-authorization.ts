import { ApiObject, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import { abandon, checkHostnames, checkProps, claim, contextOf, fail, protoDuration } from '../_validate';
import { checkExternalAuthorizationProvider } from './_external-authorization-provider';
import { childName, named, nameObjects } from '../_names';
import { checkProxyPods, ISTIO_INGRESS_PODS } from '../_proxy-pods';
import { addValuesFile, valuesFileName } from '../_values-files';
import { ProxyPods } from '../proxy-pods';
import { authorityRegex, checkGatewayWideJwtAcknowledged, hostsWithPorts, jwtRule, requireJwt } from './_jwt';
import { ExternalAuthorizationProtocol, ExternalAuthorizationProvider } from './external-authorization-provider';
import { JwtIssuer } from '../auth/jwt-issuer';

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
  readonly jwt?: JwtIssuer;

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
   * The ingress gateway pods; the policies go in their namespace and select them.
   *
   * @default { namespace: "istio-system", selector: { istio: "ingressgateway" } } (Kubeflow's gateway)
   */
  readonly gatewayPods?: ProxyPods;

  /**
   * The CUSTOM AuthorizationPolicy's name, and the base of the other objects' names
   * (`<name>-request-authentication`, `<name>-require-jwt`, `<name>-deny-forged-identity`,
   * `<name>-path-normalization`).
   *
   * @default - names cdk8s generates from the construct path
   */
  readonly name?: string;

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
   * Merge it with the providers the mesh already has. `App.synth()` writes it as Helm values to
   * `<outdir>/values/<path>.istiod-values.yaml`.
   */
  public readonly meshConfig: any;

  constructor(scope: Construct, id: string, props: IstioExternalAuthorizationProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const provider = providerEntry(ctx, props.provider);
      const checkedPods = checkProxyPods(ctx, 'gatewayPods', props.gatewayPods ?? ISTIO_INGRESS_PODS);
      const selector = checkedPods.selector;
      const namespace = checkedPods.namespace;
      nameObjects(this, ctx, 'name', props.name, namespace);
      // Istio applies one CUSTOM provider per workload: a second one on the same pods conflicts.
      const pods = `${namespace}/${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`;
      const holder = claim(this, `CUSTOM authorization ${pods}`);
      if (holder !== undefined) {
        fail(ctx, 'gatewayPods', checkedPods, `gateway pods other than ${pods}: ${holder} sends them to an external authorizer already (Istio applies one CUSTOM provider per workload)`);
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
        metadata: { ...named(childName(this, 'Resource')), namespace },
        spec: {
          selector: { matchLabels: selector },
          action: security.AuthorizationPolicySpecAction.CUSTOM,
          provider: { name: provider.name },
          rules,
        },
      });

      if (rule !== undefined) {
        const jwt = requireJwt(this, { namespace, attach: { selector }, jwt: rule, hosts: hosts && (() => hosts!), paths });
        this.requestAuthentication = jwt.requestAuthentication;
        this.jwtDenyPolicy = jwt.denyPolicy;
      }
      const identityHeaders = provider.envoyExtAuthzHttp?.headersToUpstreamOnAllow as string[] | undefined;
      if (ex !== undefined && identityHeaders !== undefined) {
        this.forgedHeaderDenyPolicy = new security.AuthorizationPolicy(this, 'DenyForgedIdentity', {
          metadata: { ...named(childName(this, 'DenyForgedIdentity')), namespace },
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
          metadata: { ...named(childName(this, 'PathNormalization')), namespace },
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
      const meshConfig = this.meshConfig;
      addValuesFile(this, valuesFileName(this, 'istiod-values.yaml'), () =>
        `# istiod Helm values (istio/istiod chart) for ${this.node.path}: merge extensionProviders with the mesh's own.\n${Yaml.stringify({ meshConfig })}`);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }
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
