import { ApiObject, Lazy, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import { abandon, checkArgs, checkHostnames, checkProps, claim, contextOf, fail, protoDuration, Shown } from '../_validate';
import { checkExternalAuthorizationProvider } from './_external-authorization-provider';
import { childName, claimObjectNames, named, nameObjects } from '../_names';
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
   * Requests that skip the external check; more with `addExemption`. A request is exempted when
   * one exemption matches it (its host and path), and then needs what that exemption requires.
   *
   * @default - none: every request is checked
   */
  readonly exemptions?: ExternalAuthorizationExemption[];

  /**
   * Confirms that the JWT rules of the exemptions apply to the whole gateway: Istio checks every
   * bearer token that reaches the gateway's pods against the issuers their
   * RequestAuthentications list, so a request that carries a token of an issuer none lists gets
   * 401, whichever app it is for. Required with an exemption's `jwt`.
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
   * The RequestAuthentication for the first exemption with `jwt` (each has its own).
   *
   * @default - none without an exemption's `jwt`
   */
  public get requestAuthentication(): ApiObject | undefined {
    return this.objects.requestAuthentication;
  }

  /**
   * The DENY policy for requests of the first exemption with `jwt` without a valid token (each has its own).
   *
   * @default - none without an exemption's `jwt`
   */
  public get jwtDenyPolicy(): ApiObject | undefined {
    return this.objects.jwtDenyPolicy;
  }

  /**
   * The DENY policy for exempted requests that carry identity headers.
   *
   * @default - none without an exemption and `headersToUpstreamOnAllow`
   */
  public get forgedHeaderDenyPolicy(): ApiObject | undefined {
    return this.objects.forgedHeaderDenyPolicy;
  }

  /**
   * The EnvoyFilter that normalizes paths on the gateway's pods before any policy sees them:
   * `%2F` and `%5C` are unescaped and the client is redirected to the resulting path, dot
   * segments are removed and slashes merged, so that `/v1/models/x%2F..%2F..%2Fadmin` cannot
   * match an exempted path and reach `/admin` on the backend; headers whose names have "_" are
   * dropped (a forged `kubeflow_userid` would pass the identity-header DENY); and requests to the
   * exempted hosts whose path carries a `;` parameter (`/..;/`) are refused.
   *
   * @default - none without exemptions
   */
  public get pathNormalization(): ApiObject | undefined {
    return this.objects.pathNormalization;
  }

  /**
   * The istiod mesh configuration this needs, for the Helm values `meshConfig` (or
   * IstioOperator `spec.meshConfig`): the `extensionProviders` entry, and path normalization
   * `DECODE_AND_MERGE_SLASHES` so that `//v1/...` or `%2F` cannot slip past the path rules.
   * Merge it with the providers the mesh already has. `App.synth()` writes it as Helm values to
   * `<outdir>/values/<path>.istiod-values.yaml`.
   */
  public readonly meshConfig: any;

  private readonly ctx!: string;
  private readonly selector!: { [key: string]: string };
  private readonly namespace!: string;
  private readonly acknowledged?: boolean;
  private readonly identityHeaders?: string[];
  private readonly exemptionList: CheckedExemption[] = [];
  /** The objects written with the first exemptions. */
  private readonly objects: {
    requestAuthentication?: ApiObject; jwtDenyPolicy?: ApiObject; forgedHeaderDenyPolicy?: ApiObject; pathNormalization?: ApiObject;
  } = {};

  constructor(scope: Construct, id: string, props: IstioExternalAuthorizationProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const provider = providerEntry(ctx, props.provider);
      const checkedPods = checkProxyPods(ctx, 'gatewayPods', props.gatewayPods ?? ISTIO_INGRESS_PODS);
      const selector = checkedPods.selector;
      const namespace = checkedPods.namespace;
      nameObjects(this, ctx, 'name', props.name);
      // Istio applies one CUSTOM provider per workload: a second one on the same pods conflicts.
      const pods = `${namespace}/${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`;
      const holder = claim(this, `CUSTOM authorization ${pods}`);
      if (holder !== undefined) {
        fail(ctx, 'gatewayPods', checkedPods, `gateway pods other than ${pods}: ${holder} sends them to an external authorizer already (Istio applies one CUSTOM provider per workload)`);
      }
      this.ctx = ctx;
      this.selector = selector;
      this.namespace = namespace;
      this.acknowledged = props.acknowledgeGatewayWideJwt;
      this.identityHeaders = provider.envoyExtAuthzHttp?.headersToUpstreamOnAllow as string[] | undefined;

      // Read at synth, with the exemptions `addExemption` added.
      this.policy = new security.AuthorizationPolicy(this, 'Resource', {
        metadata: { ...named(childName(this, 'Resource')), namespace },
        spec: {
          selector: { matchLabels: selector },
          action: security.AuthorizationPolicySpecAction.CUSTOM,
          provider: { name: provider.name },
          rules: Lazy.any({ produce: () => customRules(this.exemptionList) }) as unknown as security.AuthorizationPolicySpecRules[],
        },
      });
      (props.exemptions ?? []).forEach((e, i) => this.addExemptionAt(e, `exemptions[${i}]`));
      claimObjectNames(this, ctx);
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

  /**
   * Exempts more requests from the external check, with what they need instead.
   *
   * @param exemption the hosts and paths, and the JWT they need (or `allowAnonymous`)
   */
  public addExemption(exemption: ExternalAuthorizationExemption): void {
    [exemption] = checkArgs(this.ctx, CLASS, 'addExemption', [exemption]);
    this.addExemptionAt(exemption, 'addExemption(exemption)');
  }

  private addExemptionAt(ex: ExternalAuthorizationExemption, prop: string): void {
    const ctx = this.ctx;
    if (this.exemptionList.length === MAX_EXEMPTIONS) {
      fail(ctx, prop, new Shown(`{ hosts: ${JSON.stringify(ex.hosts)} }`),
        `at most ${MAX_EXEMPTIONS} exemptions (the CUSTOM policy lists every combination of their hosts and paths): put hosts that need the same thing in one exemption`);
    }
    const paths = checkPaths(ctx, `${prop}.paths`, ex.paths ?? KSERVE_PATHS);
    let hosts: string[] | undefined;
    if (ex.unsafeAllHosts === true) {
      if (ex.hosts !== undefined) {
        fail(ctx, `${prop}.hosts`, ex.hosts, `no hosts with ${prop}.unsafeAllHosts (it exempts the paths on every host)`);
      }
    } else {
      if (ex.hosts === undefined) {
        fail(ctx, `${prop}.hosts`, undefined,
          `the host names of the exempted apps: a path-only exemption exempts those paths on every app behind the gateway (${prop}.unsafeAllHosts: true if that is intended)`);
      }
      hosts = checkHostnames(ctx, `${prop}.hosts`, ex.hosts, { wildcard: true });
    }
    if (ex.jwt === undefined && ex.allowAnonymous !== true) {
      fail(ctx, `${prop}.jwt`, undefined, `JWT options for exempted requests, or ${prop}.allowAnonymous: true to let them through without any credential`);
    }
    if (ex.jwt !== undefined && ex.allowAnonymous === true) {
      fail(ctx, `${prop}.allowAnonymous`, true, `false with ${prop}.jwt`);
    }
    const rule = ex.jwt !== undefined ? jwtRule(ctx, `${prop}.jwt`, ex.jwt) : undefined;
    if (rule !== undefined) {
      checkGatewayWideJwtAcknowledged(ctx, `${prop}.jwt`, this.acknowledged, 'the gateway pods');
    }
    const first = this.exemptionList.length === 0;
    const n = this.exemptionList.filter(e => e.jwt).length;
    this.exemptionList.push({ hosts, paths, jwt: rule !== undefined });
    const attach = { selector: this.selector };

    if (rule !== undefined) {
      // One pair of policies per exemption with a JWT: the DENY covers that exemption's hosts and paths.
      const jwt = requireJwt(this, {
        namespace: this.namespace, attach, jwt: rule, hosts: hosts && (() => hosts!), paths, idSuffix: n === 0 ? '' : String(n + 1),
      });
      this.objects.requestAuthentication ??= jwt.requestAuthentication;
      this.objects.jwtDenyPolicy ??= jwt.denyPolicy;
    }
    if (!first) {
      claimObjectNames(this, ctx);
      return;
    }
    const headers = this.identityHeaders;
    if (headers !== undefined) {
      this.objects.forgedHeaderDenyPolicy = new security.AuthorizationPolicy(this, 'DenyForgedIdentity', {
        metadata: { ...named(childName(this, 'DenyForgedIdentity')), namespace: this.namespace },
        spec: {
          selector: { matchLabels: this.selector },
          action: security.AuthorizationPolicySpecAction.DENY,
          rules: Lazy.any({
            produce: () => this.exemptionList.flatMap(e => headers.map(h => ({
              to: [{ operation: { hosts: e.hosts ? hostsWithPorts(e.hosts) : undefined, paths: e.paths } }],
              when: [{ key: `request.headers[${h}]`, values: ['*'] }],
            }))),
          }) as unknown as security.AuthorizationPolicySpecRules[],
        },
      });
    }
    this.objects.pathNormalization = pathNormalization(this, this.namespace, this.selector, () => this.exemptionList);
    claimObjectNames(this, ctx);
  }
}

/** How many exemptions one policy takes: the CUSTOM rules are every combination (2^n) of their hosts and paths. */
const MAX_EXEMPTIONS = 6;

/** An exemption, checked: its hosts (none: every host) and paths. */
interface CheckedExemption {
  readonly hosts?: string[];
  readonly paths: string[];
  readonly jwt?: boolean;
}

/**
 * The CUSTOM policy's rules: it applies to a request no exemption matches. A request is exempted
 * when, for some exemption, its host is one of the hosts AND its path one of the paths; so the
 * policy applies when for EVERY exemption the host is not one of its hosts OR the path not one of
 * its paths. Rules are ORed and a rule's operation fields ANDed, so that conjunction of
 * disjunctions is written out: one rule per choice of "not its hosts" or "not its paths" for each
 * exemption.
 */
function customRules(exemptions: CheckedExemption[]): security.AuthorizationPolicySpecRules[] {
  if (exemptions.length === 0) {
    return [{}];
  }
  let terms: { notHosts: string[]; notPaths: string[] }[] = [{ notHosts: [], notPaths: [] }];
  for (const e of exemptions) {
    const notPaths = { notHosts: [], notPaths: e.paths };
    const choices = e.hosts === undefined ? [notPaths] : [{ notHosts: hostsWithPorts(e.hosts), notPaths: [] }, notPaths];
    terms = terms.flatMap(t => choices.map(c => ({ notHosts: [...t.notHosts, ...c.notHosts], notPaths: [...t.notPaths, ...c.notPaths] })));
  }
  const seen = new Set<string>();
  const rules: security.AuthorizationPolicySpecRules[] = [];
  for (const t of terms) {
    const operation = {
      notHosts: t.notHosts.length > 0 ? [...new Set(t.notHosts)] : undefined,
      notPaths: t.notPaths.length > 0 ? [...new Set(t.notPaths)] : undefined,
    };
    const key = JSON.stringify(operation);
    if (!seen.has(key)) {
      seen.add(key);
      rules.push({ to: [{ operation }] });
    }
  }
  return rules;
}

/**
 * The EnvoyFilter that normalizes paths on the gateway's pods, drops headers with "_", and refuses
 * `;` path parameters on the exempted hosts (see `pathNormalization` of the construct).
 */
function pathNormalization(scope: Construct, namespace: string, selector: { [key: string]: string },
  exemptions: () => CheckedExemption[]): ApiObject {
  // The exemption matches paths: the path each policy sees must be the one the backend serves.
  // Istio's default normalization (BASE) keeps %2F and does not merge slashes.
  return new ApiObject(scope, 'PathNormalization', {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { ...named(childName(scope, 'PathNormalization')), namespace },
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
                        // Read at synth: every exempted host (none when an exemption covers every host).
                        rules: Lazy.any({
                          produce: () => {
                            const list = exemptions();
                            const all = list.some(e => e.hosts === undefined);
                            const hosts = [...new Set(list.flatMap(e => e.hosts ?? []))];
                            return [
                              ...(all ? [] : [{ header: { name: ':authority', string_match: { safe_regex: { regex: authorityRegex(hosts, false, '[0-9]+') } } } }]),
                              { url_path: { path: { safe_regex: { regex: '.*(;|%3[Bb]).*' } } } },
                            ];
                          },
                        }),
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

function checkPaths(ctx: string, prop: string, paths: string[]): string[] {
  if (!Array.isArray(paths) || paths.length === 0) {
    fail(ctx, prop, paths, 'at least one path pattern');
  }
  paths.forEach((p, i) => {
    const inner = typeof p === 'string' ? p.replace(/^\*/, '').replace(/\*$/, '') : '';
    if (typeof p !== 'string' || p === '*' || inner.includes('*') || !(p.startsWith('/') || p.startsWith('*')) || /\s/.test(p)) {
      fail(ctx, `${prop}[${i}]`, p, 'a path starting with "/", with "*" only as the first or last character (prefix or suffix match)');
    }
  });
  return [...paths];
}
