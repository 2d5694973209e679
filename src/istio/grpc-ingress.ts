import { ApiObject, Duration, Lazy, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import * as extensions from '../../imports/extensions.istio.io';
import * as networking from '../../imports/networking.istio.io';
import { isolateBackend } from '../_backend-isolation';
import { IstioGateway } from './gateway';
import { childName, claimObjectNames, named, nameObjects } from '../_names';
import { checkProxyPods, ISTIO_INGRESS_PODS } from '../_proxy-pods';
import { resolveTls, ResolvedTls } from '../_tls';
import { byCodeUnits, checkBoolean, checkDnsLabel, checkArgs, checkDnsSubdomain, checkDuration, checkHostname, checkHostnames, checkInteger, contextOf, fail, protoDuration, REDACTED, abandon, chartNamespace, checkAnnotations, checkProps, checkUsername, claimFrontDoor } from '../_validate';
import { authorityRegex, checkGatewayWideJwtAcknowledged, EXPIRY_HEADER, gatewayAndBackendRules, jwtRule, requireJwt } from './_jwt';
import { addValuesFile, valuesFileName } from '../_values-files';
import { JwtIssuer } from '../auth/jwt-issuer';
import { Backend } from '../backend';
import { RULES } from '../lint/_rules';
import { suppressLint } from '../lint/_suppress';

/**
 * A username and password for the basic_auth Wasm plugin.
 */
export interface IstioBasicAuthCredential {
  /** The user name: not empty, no ':'. */
  readonly username: string;
  /** The password: not empty. */
  readonly password: string;
}

/**
 * HTTP basic authentication on the ingress gateway with Istio's basic_auth Wasm plugin.
 *
 * The plugin takes credentials only in its configuration: the WasmPlugin object holds each
 * `user:password` base64-encoded, which anyone who can read WasmPlugins in the gateway's
 * namespace can decode. Restrict that access with RBAC, or prefer JWT (`jwt`).
 *
 * The password is checked at the gateway only: another namespace's Gateway or VirtualService on
 * the same gateway pods could route its own host to the backend without it. Give basic auth
 * gateway pods of its own (`IstioGateway` `pods`) with istiod's `PILOT_SCOPE_GATEWAY_TO_NAMESPACE`,
 * or prefer JWT, which the backend's sidecar checks again.
 */
export interface IstioBasicAuthOptions {
  /** The users (at least one). */
  readonly credentials: IstioBasicAuthCredential[];

  /**
   * HTTP methods that require credentials. Requests with any other method pass without
   * authentication, and gRPC calls are POST, so the list must include POST.
   *
   * @default - every standard method: CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE
   */
  readonly methods?: string[];

  /**
   * Requests whose path starts with this prefix require credentials; other paths pass
   * without authentication.
   *
   * @default "/"
   */
  readonly pathPrefix?: string;

  /**
   * The realm of the `WWW-Authenticate` challenge.
   *
   * @default "istio"
   */
  readonly realm?: string;

  /**
   * The plugin image (oci://, https:// or file:// URL).
   *
   * @default "oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0"
   */
  readonly pluginUrl?: string;

  /**
   * SHA-256 of the plugin module (64 lowercase hex digits), checked by the proxy.
   *
   * @default - not checked
   */
  readonly pluginSha256?: string;
}

/**
 * Retries of the route to the backend.
 */
export interface IstioRetryOptions {
  /**
   * Number of retries (0 disables retries).
   *
   * @default 2
   */
  readonly attempts?: number;

  /**
   * Timeout of each try.
   *
   * @default - the route's timeout
   */
  readonly perTryTimeout?: Duration;

  /**
   * Conditions that trigger a retry: Envoy retry policies (`connect-failure`,
   * `refused-stream`, `reset`, `5xx`, `gateway-error`, ...), gRPC status names (`cancelled`,
   * `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`) or HTTP status codes.
   *
   * @default ["connect-failure", "refused-stream", "unavailable", "cancelled"]
   */
  readonly retryOn?: string[];
}

/**
 * Props of `IstioGrpcIngress`.
 */
export interface IstioGrpcIngressProps {
  /** Host names clients use (`ml.example.com`, or a wildcard such as `*.example.com`). */
  readonly hosts: string[];

  /**
   * The gRPC Service and port. A Service from cdk8s-plus must name the port `grpc` or
   * `grpc-*`, or Istio forwards HTTP/1.1 and gRPC fails.
   */
  readonly backend: Backend;

  /**
   * The Istio Gateway: `IstioGateway.create({ tls, ... })` writes one for the hosts;
   * `IstioGateway.existing({ name, namespace, pods })` binds to a shared one.
   */
  readonly gateway: IstioGateway;

  /**
   * The VirtualService's name, and the base of the other objects' names (`<name>-basic-auth`,
   * `<name>-request-authentication`, `<name>-require-jwt`, `<name>-backend-network-policy`, ...;
   * a created Gateway without a name of its own is `<name>`).
   *
   * @default - names cdk8s generates from the construct path
   */
  readonly name?: string;

  /**
   * Timeout of a whole request (gRPC streams included).
   *
   * @default - no timeout, so long inference calls are not cut
   */
  readonly timeout?: Duration;

  /**
   * Retries.
   *
   * @default - Istio's default retry policy
   */
  readonly retries?: IstioRetryOptions;

  /**
   * Basic authentication with the basic_auth Wasm plugin. Not with `jwt`.
   *
   * @default - none
   */
  readonly basicAuth?: IstioBasicAuthOptions;

  /**
   * Require a valid JWT from this issuer for every request to the hosts. Not with `basicAuth`.
   *
   * @default - none
   */
  readonly jwt?: JwtIssuer;

  /**
   * Confirms that the JWT rules apply to the whole gateway: Istio checks every bearer token that
   * reaches the gateway's pods against the issuers their RequestAuthentications list, so on a
   * gateway shared with other apps a request that carries a token of an issuer none lists gets
   * 401, whichever app it is for. Required with `jwt`.
   *
   * @default false
   */
  readonly acknowledgeGatewayWideJwt?: boolean;

  /**
   * Route to the backend without any authentication: anyone who reaches the gateway can call
   * it. Without `jwt` or `basicAuth`, this must be true.
   *
   * @default false
   */
  readonly allowUnauthenticated?: boolean;

  /**
   * Write no NetworkPolicy and no AuthorizationPolicy for the backend's pods. By default, for a
   * backend from `Backend.fromService`, only the gateway's pods may reach the backend (a
   * NetworkPolicy) and, in the mesh, only workloads of the gateway's namespace (an ALLOW
   * AuthorizationPolicy), so no other workload can call it around the authentication.
   *
   * @default false
   */
  readonly allowDirectBackendAccess?: boolean;
}

const CLASS = 'IstioGrpcIngress';
const DEFAULT_PLUGIN = 'oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0';
const ALL_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];
const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'];
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/**
 * A gRPC model server behind the Istio ingress gateway, with TLS at the load balancer or at
 * the gateway, and optional basic authentication (Wasm plugin) or JWT.
 *
 * Writes a Gateway (networking.istio.io/v1; with `IstioGateway.create`) with an HTTP server on
 * port 80 that redirects to HTTPS and a 443 server that fits where TLS ends; a VirtualService
 * to the backend; a WasmPlugin for basic auth; or a RequestAuthentication with a DENY
 * AuthorizationPolicy for requests without a valid token.
 */
export class IstioGrpcIngress extends Construct {
  /**
   * The Gateway.
   *
   * @default - none with `IstioGateway.existing`
   */
  public readonly gateway?: ApiObject;

  /** The VirtualService; also the construct's default child. */
  public readonly virtualService: ApiObject;

  /**
   * The basic_auth WasmPlugin.
   *
   * @default - none without `basicAuth`
   */
  public readonly basicAuthPlugin?: ApiObject;

  /**
   * The RequestAuthentication.
   *
   * @default - none without `jwt`
   */
  public readonly requestAuthentication?: ApiObject;

  /**
   * The DENY AuthorizationPolicy for requests without a valid JWT.
   *
   * @default - none without `jwt`
   */
  public readonly jwtDenyPolicy?: ApiObject;

  /**
   * The cert-manager Certificate for the created Gateway.
   *
   * @default - none unless the certificate is `TlsCertificate.fromCertManager`
   */
  public readonly certificate?: ApiObject;

  /** The Gateway the VirtualService is bound to, as `namespace/name`. */
  public readonly gatewayRef: string;

  /**
   * The NetworkPolicy that admits only the gateway's pods to the backend.
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendNetworkPolicy?: ApiObject;

  /**
   * The ALLOW AuthorizationPolicy on the backend's pods for the gateway's namespace (with `jwt`:
   * and a valid token of the issuer).
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendAuthorizationPolicy?: ApiObject;

  /**
   * The RequestAuthentication on the backend's pods, which check the token again (the gateway
   * forwards it to them).
   *
   * @default - none without `jwt`, with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendRequestAuthentication?: ApiObject;

  private readonly ctx: string;
  private readonly hostList: string[] = [];
  private readonly hostRules: { readonly basicAuth: boolean; readonly pathPrefix: string };

  constructor(scope: Construct, id: string, props: IstioGrpcIngressProps) {
    super(scope, id);
    try {
      const ctx = this.ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const given = checkHostnames(ctx, 'hosts', props.hosts, { wildcard: true });
      Backend._checkGrpc(ctx, props.backend);
      const namespace = chartNamespace(ctx, this,
        'the VirtualService names the backend by its cluster DNS name, and a Gateway admits VirtualServices for its hosts from that namespace only');
      nameObjects(this, ctx, 'name', props.name);
      const gw = props.gateway;
      const create = gw._create;
      const pods = checkProxyPods(ctx, 'gateway.pods', create ? create.pods ?? ISTIO_INGRESS_PODS : gw._existing!.pods);
      const selector = pods.selector;
      const gatewayNamespace = pods.namespace;
      const open = checkBoolean(ctx, 'allowUnauthenticated', props.allowUnauthenticated ?? false);
      const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
      const authenticated = props.basicAuth !== undefined || props.jwt !== undefined;
      if (!authenticated && !open) {
        fail(ctx, 'jwt', undefined,
          'jwt or basicAuth: without either, anyone who reaches the gateway can call the backend (allowUnauthenticated: true if that is intended)');
      }
      if (authenticated && open) {
        fail(ctx, 'allowUnauthenticated', true, `false (or unset) with ${props.jwt !== undefined ? 'jwt' : 'basicAuth'}`);
      }

      let existingRef: string | undefined;
      let httpsRedirect = true;
      if (create === undefined) {
        const ex = gw._existing!;
        existingRef = `${checkDnsLabel(ctx, 'gateway.namespace', ex.namespace)}/${checkDnsSubdomain(ctx, 'gateway.name', ex.name)}`;
      } else {
        httpsRedirect = create.httpsRedirect ?? true;
        if (create.name !== undefined) {
          checkDnsSubdomain(ctx, 'gateway.name', create.name);
        }
        if (create.loadBalancerAnnotations !== undefined) {
          const annotations = checkAnnotations(ctx, 'gateway.loadBalancerAnnotations', create.loadBalancerAnnotations);
          addValuesFile(this, valuesFileName(this, 'istio-gateway-values.yaml'), () =>
            `# Helm values of the Istio gateway chart (istio/gateway) that serves ${this.node.path}.\n${Yaml.stringify({ service: { annotations } })}`);
        }
      }
      const route = routeSpec(ctx, props);
      if (props.basicAuth !== undefined && props.jwt !== undefined) {
        fail(ctx, 'jwt', props.jwt.issuer, 'either basicAuth or jwt, not both');
      }
      const basicAuth = props.basicAuth !== undefined ? basicAuthPlugin(ctx, props.basicAuth, () => this.hosts) : undefined;
      this.hostRules = { basicAuth: basicAuth !== undefined, pathPrefix: basicAuth?.pathPrefix ?? '/' };
      given.forEach((h, i) => this.addHostAt(h, `hosts[${i}]`));
      // Host lists are read at synth, with the hosts `addHost` added.
      const hosts = () => this.hosts;
      const lazy = <T>(produce: () => T): T => Lazy.any({ produce }) as unknown as T;
      const rule = props.jwt !== undefined ? jwtRule(ctx, 'jwt', props.jwt) : undefined;
      if (rule !== undefined) {
        // the gateway's pods can be pods that serve only these hosts
        checkGatewayWideJwtAcknowledged(ctx, 'jwt', props.acknowledgeGatewayWideJwt, 'the gateway pods');
      }

      let writtenSecrets: { namespace: string; name: string; prop?: string }[] = [];
      if (create !== undefined) {
        const tls = resolveTls(this, ctx, 'gateway.tls', create.tls, {
          modes: ['lb', 'proxy', 'mutual'],
          namespace: gatewayNamespace,
          dnsNames: hosts,
          certificateName: childName(this, 'Certificate'),
        });
        this.certificate = tls.certificate;
        writtenSecrets = tls.writtenSecrets;
        this.gateway = new networking.Gateway(this, 'Gateway', {
          metadata: { ...named(create.name ?? childName(this, 'Gateway')), namespace: gatewayNamespace },
          spec: { selector, servers: gatewayServers(lazy(() => hosts().map(h => `${namespace}/${h}`)), tls, httpsRedirect) },
        });
        this.gatewayRef = `${gatewayNamespace}/${this.gateway.name}`;
      } else {
        this.gatewayRef = existingRef!;
      }

      // The route matches only requests the authentication covers: the basic_auth plugin compares
      // hosts exactly (case and all) and only the methods it lists, and passes every other request
      // unchecked; a wildcard host's DENY rule covers port 443 only. What the route does not match,
      // the gateway answers with 404.
      const match = lazy((): networking.VirtualServiceSpecHttpMatch => {
        const m: networking.VirtualServiceSpecHttpMatch = { uri: { prefix: basicAuth?.pathPrefix ?? '/' } };
        if (basicAuth !== undefined) {
          return { ...m, authority: { regex: authorityRegex(hosts(), true) }, method: { regex: `(${basicAuth.methods.join('|')})` } };
        }
        return rule !== undefined && hosts().some(h => h.startsWith('*.')) ? { ...m, authority: { regex: authorityRegex(hosts(), false) } } : m;
      });
      this.virtualService = new networking.VirtualService(this, 'Resource', {
        metadata: { ...named(childName(this, 'Resource')) },
        spec: {
          hosts: lazy(hosts),
          gateways: [this.gatewayRef],
          http: [{
            match: [match],
            route: [{ destination: { host: props.backend.fqdn(namespace), port: { number: props.backend.port } } }],
            // The plugin forwards the Authorization header, password and all: the router drops it.
            headers: basicAuth !== undefined ? { request: { remove: ['authorization'] } } : undefined,
            ...route,
          }],
        },
      });

      if (basicAuth !== undefined) {
        const auth = props.basicAuth!;
        this.basicAuthPlugin = new extensions.WasmPlugin(this, 'BasicAuth', {
          metadata: { ...named(childName(this, 'BasicAuth')), namespace: gatewayNamespace },
          spec: {
            selector: { matchLabels: selector },
            url: auth.pluginUrl ?? DEFAULT_PLUGIN,
            sha256: auth.pluginSha256,
            phase: extensions.WasmPluginSpecPhase.AUTHN,
            // If the plugin cannot be fetched, refuse traffic rather than let it through.
            failStrategy: extensions.WasmPluginSpecFailStrategy.FAIL_UNDERSCORE_CLOSE,
            pluginConfig: basicAuth.config,
          },
        });
        suppressLint(this.basicAuthPlugin, RULES.credentialsInClear,
          'basicAuth on IstioGrpcIngress: the basic_auth Wasm plugin reads credentials only from its pluginConfig; who may read WasmPlugins in this namespace can read them');
      }
      // With a backend it can see, the token is checked again at the backend's sidecar: the
      // gateway's pods serve every route that any namespace binds to them.
      const twice = rule !== undefined && !direct && props.backend._serviceObject !== undefined ? gatewayAndBackendRules(rule) : undefined;
      if (rule !== undefined) {
        const jwt = requireJwt(this, { namespace: gatewayNamespace, attach: { selector }, jwt: twice?.gateway ?? rule, hosts });
        this.requestAuthentication = jwt.requestAuthentication;
        this.jwtDenyPolicy = jwt.denyPolicy;
      }
      if (!direct) {
        const isolation = isolateBackend(this, ctx, props.backend, {
          peers: [{ namespace: gatewayNamespace, labels: () => selector }],
          meshSources: { namespaces: [gatewayNamespace] },
          jwt: twice && { rule: twice.backend, issuer: rule!.issuer, audiences: rule!.audiences, expiryHeader: EXPIRY_HEADER },
        });
        this.backendNetworkPolicy = isolation?.networkPolicy;
        this.backendAuthorizationPolicy = isolation?.authorizationPolicy;
        this.backendRequestAuthentication = isolation?.requestAuthentication;
      }
      claimObjectNames(this, ctx, create?.name === undefined ? {} : { [create.name]: 'gateway.name' }, writtenSecrets);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /** The host names, in the order given. */
  public get hosts(): string[] {
    return [...this.hostList];
  }

  /**
   * Adds a host name to the Gateway, the route and the authentication.
   *
   * @param host the host name (`ml.example.com`, or with `jwt` a wildcard such as `*.example.com`)
   */
  public addHost(host: string): void {
    [host] = checkArgs(this.ctx, CLASS, 'addHost', [host]);
    this.addHostAt(host, 'addHost(host)');
  }

  private addHostAt(host: string, prop: string): void {
    checkHostname(this.ctx, prop, host, { wildcard: true });
    if (this.hostRules.basicAuth && host.startsWith('*.')) {
      fail(this.ctx, prop, host,
        'a host name without a wildcard with basicAuth: the plugin matches a wildcard host only as a suffix, so "host:port" would skip authentication');
    }
    if (this.hostList.includes(host)) {
      fail(this.ctx, prop, host, 'each host once (it is listed already)');
    }
    claimFrontDoor(this, this.ctx, prop, host, this.hostRules.pathPrefix);
    this.hostList.push(host);
  }
}

function gatewayServers(hosts: string[], tls: ResolvedTls, httpsRedirect: boolean): networking.GatewaySpecServers[] {
  const servers: networking.GatewaySpecServers[] = [];
  if (httpsRedirect) {
    servers.push({ hosts, port: { number: 80, name: 'http', protocol: 'HTTP' }, tls: { httpsRedirect: true } });
  }
  if (tls.mode === 'lb') {
    servers.push({ hosts, port: { number: 443, name: 'https', protocol: 'HTTP' } });
  } else {
    servers.push({
      hosts,
      port: { number: 443, name: 'https', protocol: 'HTTPS' },
      tls: {
        mode: tls.mode === 'proxy' ? networking.GatewaySpecServersTlsMode.SIMPLE : networking.GatewaySpecServersTlsMode.MUTUAL,
        credentialName: tls.secretName,
        minProtocolVersion: networking.GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
      },
    });
  }
  return servers;
}

function routeSpec(ctx: string, props: IstioGrpcIngressProps): { timeout?: string; retries?: networking.VirtualServiceSpecHttpRetries } {
  const out: { timeout?: string; retries?: networking.VirtualServiceSpecHttpRetries } = {};
  if (props.timeout !== undefined) {
    out.timeout = protoDuration(checkDuration(ctx, 'timeout', props.timeout));
  }
  const r = props.retries;
  if (r !== undefined) {
    const attempts = checkInteger(ctx, 'retries.attempts', r.attempts ?? 2, 0, 100);
    const retryOn = r.retryOn ?? DEFAULT_RETRY_ON;
    if (!Array.isArray(retryOn) || retryOn.length === 0) {
      fail(ctx, 'retries.retryOn', retryOn, 'at least one retry condition');
    }
    retryOn.forEach((c, i) => {
      if (!RETRY_ON.has(c) && !/^[1-5]\d\d$/.test(c)) {
        fail(ctx, `retries.retryOn[${i}]`, c, `an Envoy retry condition, a gRPC status name or an HTTP status code: ${[...RETRY_ON].join(', ')}`);
      }
    });
    out.retries = {
      attempts,
      perTryTimeout: r.perTryTimeout !== undefined ? protoDuration(checkDuration(ctx, 'retries.perTryTimeout', r.perTryTimeout)) : undefined,
      retryOn: attempts > 0 ? retryOn.join(',') : undefined,
    };
  }
  return out;
}

/** The basic_auth plugin's configuration, and the methods and path prefix the route must match. */
function basicAuthPlugin(ctx: string, auth: IstioBasicAuthOptions, hosts: () => string[]): { config: any; methods: string[]; pathPrefix: string } {
  if (auth === null || typeof auth !== 'object') {
    fail(ctx, 'basicAuth', auth, 'basic auth options with credentials');
  }
  const creds = auth.credentials;
  if (!Array.isArray(creds) || creds.length === 0) {
    fail(ctx, 'basicAuth.credentials', creds, 'at least one credential');
  }
  const seen = new Set<string>();
  const encoded = creds.map((c, i) => {
    const prop = `basicAuth.credentials[${i}]`;
    checkUsername(ctx, `${prop}.username`, c.username);
    if (c.password.length === 0) {
      fail(ctx, `${prop}.password`, REDACTED, `a non-empty password for user "${c.username}"`);
    }
    if (seen.has(c.username)) {
      fail(ctx, `${prop}.username`, c.username, 'each user once');
    }
    seen.add(c.username);
    return { username: c.username, value: Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64') };
  }).sort((a, b) => byCodeUnits(a.username, b.username)).map(c => c.value);

  const methods = auth.methods ?? ALL_METHODS;
  if (!Array.isArray(methods) || methods.length === 0) {
    fail(ctx, 'basicAuth.methods', methods, 'at least one HTTP method, including POST (gRPC)');
  }
  methods.forEach((m, i) => {
    if (typeof m !== 'string' || !/^[A-Z]+$/.test(m)) {
      fail(ctx, `basicAuth.methods[${i}]`, m, 'an uppercase HTTP method such as "POST" (the plugin matches :method exactly)');
    }
  });
  if (!methods.includes('POST')) {
    fail(ctx, 'basicAuth.methods', methods, 'a list that includes POST: gRPC calls are POST, and methods not listed pass unauthenticated');
  }
  const prefix = auth.pathPrefix ?? '/';
  if (typeof prefix !== 'string' || !/^\/[^\s]*$/.test(prefix)) {
    fail(ctx, 'basicAuth.pathPrefix', prefix, 'a path starting with "/"');
  }
  const url = auth.pluginUrl;
  if (url !== undefined && (typeof url !== 'string' || !/^(oci|https|file):\/\/\S+$/.test(url))) {
    fail(ctx, 'basicAuth.pluginUrl', url, 'an oci://, https:// or file:// URL');
  }
  const sha = auth.pluginSha256;
  if (sha !== undefined && (typeof sha !== 'string' || !/^[a-f0-9]{64}$/.test(sha))) {
    fail(ctx, 'basicAuth.pluginSha256', sha, '64 lowercase hexadecimal digits');
  }
  const realm = auth.realm;
  if (realm !== undefined && (typeof realm !== 'string' || !/^[A-Za-z0-9._~-]+$/.test(realm))) {
    fail(ctx, 'basicAuth.realm', realm, 'a realm of letters, digits, ".", "_", "~" or "-" (the plugin writes it unquoted in WWW-Authenticate)');
  }
  const sortedMethods = [...new Set(methods)].sort(byCodeUnits);
  return {
    methods: sortedMethods,
    pathPrefix: prefix,
    config: {
      realm,
      basic_auth_rules: [{
        prefix,
        request_methods: sortedMethods,
        credentials: encoded,
        // The plugin drops the port of the Host header and compares the rest exactly.
        hosts: Lazy.any({ produce: hosts }),
      }],
    },
  };
}
