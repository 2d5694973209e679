import { ApiObject, Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as traefik from '../../imports/traefik.io';
import { isolateBackend } from '../_backend-isolation';
import { childName, claimObjectNames, named, nameObjects } from '../_names';
import { checkProxyPods } from '../_proxy-pods';
import { resolveTls, ResolvedTls } from '../_tls';
import { checkAnnotations, checkBoolean, checkDnsLabel, checkDnsSubdomain, checkHostname, checkHostnames, contextOf, fail, abandon, chartNamespace, checkArgs, made, REDACTED, checkProps, claimFrontDoor } from '../_validate';
import { addValuesFile, valuesFileName } from '../_values-files';
import { BasicAuthUser } from '../auth/basic-auth-user';
import { Backend } from '../backend';
import { ProxyPods } from '../proxy-pods';
import { TlsTermination } from '../tls';
import { ACCEPTED_SET, MODERN_SUITES } from './_cipher-suites';
import { TraefikTlsOptions, TraefikTlsVersion } from './tls';

/**
 * Options of `TraefikRouteKind.ingress`.
 */
export interface TraefikIngressOptions {
  /**
   * The ingress class of the `Ingress` objects.
   *
   * @default "traefik"
   */
  readonly ingressClassName?: string;
}

/**
 * Which Kubernetes objects route traffic to the backend.
 */
export class TraefikRouteKind {
  /** Traefik's own `IngressRoute` (traefik.io/v1alpha1). */
  public static ingressRoute(): TraefikRouteKind {
    return new TraefikRouteKind('IngressRoute', undefined);
  }

  /**
   * A networking.k8s.io/v1 `Ingress` with Traefik annotations, for clusters that use plain Ingress.
   *
   * @param options the ingress class
   */
  public static ingress(options: TraefikIngressOptions = {}): TraefikRouteKind {
    const ctx = 'TraefikRouteKind.ingress';
    [options] = checkArgs(ctx, 'TraefikRouteKind', 'ingress', [options]);
    return new TraefikRouteKind('Ingress', checkDnsLabel(ctx, 'options.ingressClassName', options?.ingressClassName ?? 'traefik'));
  }

  /** The kind of the route objects: `IngressRoute` or `Ingress`. */
  public readonly kind: string;

  /**
   * The ingress class of `Ingress` objects.
   *
   * @default - none for an IngressRoute
   */
  public readonly ingressClassName?: string;

  private constructor(kind: 'IngressRoute' | 'Ingress', ingressClassName: string | undefined) {
    made(this);
    this.kind = kind;
    this.ingressClassName = ingressClassName;
  }
}

/**
 * Props of `TraefikBasicAuthIngress`.
 */
export interface TraefikBasicAuthIngressProps {
  /** The host names clients use, for example `scoring.example.com`. More can be added with `addHost`. */
  readonly hosts: string[];

  /** The Service and port to forward to. */
  readonly backend: Backend;

  /** The users allowed in (at least one). More can be added with `addUser`. */
  readonly users: BasicAuthUser[];

  /**
   * Where TLS ends: `TlsTermination.atProxy(certificate)` with a Secret in the route's namespace,
   * a cert-manager certificate for the hosts or a Traefik certificate resolver
   * (`TlsCertificate.fromTraefikCertResolver`). Basic auth sends the password with every request,
   * so plain HTTP needs the explicit `TlsTermination.insecurePlainHttp()`.
   */
  readonly tls: TlsTermination;

  /**
   * The route's name, and the base of the other objects' names (`<name>-users` for the
   * htpasswd Secret, `<name>-basic-auth`, `<name>-http-redirect`, `<name>-tls-option`, ...).
   *
   * @default - names cdk8s generates from the construct path
   */
  readonly name?: string;

  /**
   * The name of the Secret with the htpasswd lines, for tools that refer to it.
   *
   * @default - `<name>-users`, or a name cdk8s generates
   */
  readonly usersSecretName?: string;

  /**
   * Annotations for Traefik's load balancer Service. The Traefik Helm chart owns that Service:
   * `App.synth()` writes them as the chart's values (`service.annotations`) to
   * `<outdir>/values/<path>.traefik-values.yaml`.
   *
   * @default - none
   */
  readonly loadBalancerAnnotations?: { [key: string]: string };

  /**
   * Only requests whose path starts with this prefix are routed.
   *
   * @default "/"
   */
  readonly pathPrefix?: string;

  /**
   * TLS version, cipher suites and SNI checking, written as a `TLSOption`.
   *
   * @default - TLS 1.2 minimum, the `TraefikCipherSuites.MODERN` suites, strict SNI
   */
  readonly tlsOptions?: TraefikTlsOptions;

  /**
   * Redirect plain HTTP requests (the `web` entry point) to HTTPS with a permanent redirect.
   *
   * @default true (false with `TlsTermination.insecurePlainHttp()`)
   */
  readonly httpsRedirect?: boolean;

  /**
   * The realm shown in the browser's login prompt.
   *
   * @default "traefik"
   */
  readonly realm?: string;

  /**
   * Remove the `Authorization` header before forwarding, so the credentials never reach the
   * model server.
   *
   * @default true
   */
  readonly removeHeader?: boolean;

  /**
   * Route with a Traefik `IngressRoute` or a plain `Ingress`.
   *
   * @default TraefikRouteKind.ingressRoute()
   */
  readonly routeKind?: TraefikRouteKind;

  /**
   * Traefik's HTTPS entry point.
   *
   * @default "websecure"
   */
  readonly secureEntryPoint?: string;

  /**
   * Traefik's plain HTTP entry point.
   *
   * @default "web"
   */
  readonly webEntryPoint?: string;

  /**
   * Traefik's pods. With a backend from `Backend.fromService`, a NetworkPolicy admits only them
   * to the backend's pods, so that no other workload can call the model server around the basic
   * auth. The Traefik Helm chart labels them `{ "app.kubernetes.io/name": "traefik" }`.
   *
   * @default - none: required with a backend from `Backend.fromService`, unless `allowDirectBackendAccess`
   */
  readonly traefikPods?: ProxyPods;

  /**
   * Write no NetworkPolicy for the backend: any pod that can reach the backend Service can call
   * it without credentials. For backends whose access something else already restricts.
   *
   * @default false
   */
  readonly allowDirectBackendAccess?: boolean;
}

const CLASS = 'TraefikBasicAuthIngress';
const ENTRY_POINT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const PATH_PREFIX = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const ANNOTATION_PREFIX = 'traefik.ingress.kubernetes.io/router';

/**
 * An HTTPS route through Traefik v3 to a model server, behind HTTP basic authentication.
 *
 * Writes a Secret with the users' `user:hash` lines (never a password), a basicAuth
 * `Middleware` that removes the credentials before forwarding, a `TLSOption` (TLS 1.2 minimum
 * and strict SNI by default), the HTTPS route (an `IngressRoute`, or an `Ingress` with Traefik
 * annotations) and an HTTP route that redirects to HTTPS.
 *
 * Traefik v2 and v3 ignore the v1 `ingress.kubernetes.io/auth-*` annotations: an Ingress that
 * relies on them has no authentication at all. This construct uses the Middleware instead.
 */
export class TraefikBasicAuthIngress extends Construct {
  /** The Secret with the htpasswd lines (one key, `users`). */
  public readonly secret: k8s.KubeSecret;

  /** The basicAuth Middleware. */
  public readonly basicAuthMiddleware: ApiObject;

  /**
   * The redirectScheme Middleware of the HTTP route.
   *
   * @default - none when the HTTPS redirect is off
   */
  public readonly redirectMiddleware?: ApiObject;

  /**
   * The TLSOption.
   *
   * @default - none with `TlsTermination.insecurePlainHttp()`
   */
  public readonly tlsOption?: ApiObject;

  /** The route to the backend (`IngressRoute` or `Ingress`); also the construct's default child. */
  public readonly route: ApiObject;

  /**
   * The HTTP route that redirects to HTTPS.
   *
   * @default - none when the HTTPS redirect is off
   */
  public readonly redirectRoute?: ApiObject;

  /**
   * The NetworkPolicy that admits only Traefik's pods to the backend.
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendNetworkPolicy?: ApiObject;

  /**
   * The cert-manager Certificate for the hosts.
   *
   * @default - none unless the certificate is `TlsCertificate.fromCertManager`
   */
  public readonly certificate?: ApiObject;

  private readonly ctx: string;
  private readonly users = new Map<string, BasicAuthUser>();
  private readonly hostList: string[] = [];
  private readonly pathPrefix: string;

  constructor(scope: Construct, id: string, props: TraefikBasicAuthIngressProps) {
    super(scope, id);
    try {
      const ctx = this.ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      Backend._check(ctx, props.backend);
      const namespace = chartNamespace(ctx, this,
        'Traefik routes to Services of the route\'s namespace, and names middlewares as <namespace>-<name>@kubernetescrd');
      nameObjects(this, ctx, 'name', props.name);
      const pathPrefix = this.pathPrefix = props.pathPrefix ?? '/';
      if (typeof pathPrefix !== 'string' || !PATH_PREFIX.test(pathPrefix)) {
        fail(ctx, 'pathPrefix', pathPrefix, 'a URL path starting with "/", without spaces or backticks');
      }
      checkHostnames(ctx, 'hosts', props.hosts).forEach((h, i) => this.addHostAt(h, `hosts[${i}]`));
      const routeKind = props.routeKind ?? TraefikRouteKind.ingressRoute();
      const tls = resolveTls(this, ctx, 'tls', props.tls, {
        modes: ['proxy', 'none'],
        traefikResolver: true,
        namespace,
        dnsNames: () => this.hosts,
        certificateName: childName(this, 'Certificate'),
      });
      this.certificate = tls.certificate;
      const encrypted = tls.mode !== 'none';
      const secureEntryPoint = checkEntryPoint(ctx, 'secureEntryPoint', props.secureEntryPoint ?? 'websecure');
      const webEntryPoint = checkEntryPoint(ctx, 'webEntryPoint', props.webEntryPoint ?? 'web');
      const httpsRedirect = props.httpsRedirect ?? encrypted;
      if (httpsRedirect && !encrypted) {
        fail(ctx, 'httpsRedirect', true, 'false (or unset) with TlsTermination.insecurePlainHttp(): there is no HTTPS route to redirect to');
      }
      if (!encrypted && props.tlsOptions !== undefined) {
        fail(ctx, 'tlsOptions', props.tlsOptions, 'no TLS options with TlsTermination.insecurePlainHttp()');
      }
      const realm = props.realm ?? 'traefik';
      if (typeof realm !== 'string' || realm.length === 0 || /["\\\r\n]/.test(realm)) {
        fail(ctx, 'realm', realm, 'a non-empty realm without quotes, backslashes or line breaks');
      }
      const tlsSpec = encrypted ? tlsOptionSpec(ctx, props.tlsOptions ?? {}) : undefined;
      const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
      const pods = props.traefikPods === undefined ? undefined
        : checkProxyPods(ctx, 'traefikPods', props.traefikPods, '{ "app.kubernetes.io/name": "traefik" }');
      if (props.backend._serviceObject !== undefined && !direct && pods === undefined) {
        fail(ctx, 'traefikPods', undefined,
          'Traefik\'s pods ({ namespace, selector }): a NetworkPolicy admits only them to the backend\'s pods, so that no other workload can call it without credentials ' +
          '(allowDirectBackendAccess: true to write no NetworkPolicy)');
      }
      if (props.loadBalancerAnnotations !== undefined) {
        const annotations = checkAnnotations(ctx, 'loadBalancerAnnotations', props.loadBalancerAnnotations);
        addValuesFile(this, valuesFileName(this, 'traefik-values.yaml'), () =>
          `# Helm values of the Traefik chart (traefik/traefik) that serves ${this.node.path}.\n${Yaml.stringify({ service: { annotations } })}`);
      }

      if (!Array.isArray(props.users) || props.users.length === 0) {
        fail(ctx, 'users', props.users, 'at least one BasicAuthUser');
      }
      props.users.forEach((u, i) => this.addUserAt(u, `users[${i}]`));

      const backend = props.backend;
      if (backend.namespace !== undefined && backend.namespace !== namespace) {
        fail(ctx, 'backend', `${backend.namespace}/${backend.serviceName}`,
          `a Service in the route's namespace "${namespace}": Traefik routes to Services of their own namespace`);
      }

      this.secret = new k8s.KubeSecret(this, 'Users', {
        metadata: named(props.usersSecretName === undefined ? childName(this, 'Users') : checkDnsSubdomain(ctx, 'usersSecretName', props.usersSecretName)),
        type: 'Opaque',
        // `data`, not `stringData`: GitOps tools see no drift after the API server converts it.
        data: { users: Lazy.any({ produce: () => Buffer.from(this.htpasswd(), 'utf8').toString('base64') }) as unknown as string },
      });

      this.basicAuthMiddleware = new traefik.Middleware(this, 'BasicAuth', {
        metadata: { ...named(childName(this, 'BasicAuth')) },
        spec: { basicAuth: { secret: this.secret.name, realm, removeHeader: props.removeHeader ?? true } },
      });
      if (httpsRedirect) {
        this.redirectMiddleware = new traefik.Middleware(this, 'RedirectToHttps', {
          metadata: { ...named(childName(this, 'RedirectToHttps')) },
          spec: { redirectScheme: { scheme: 'https', permanent: true } },
        });
      }
      if (tlsSpec) {
        this.tlsOption = new traefik.TlsOption(this, 'TlsOption', { metadata: { ...named(childName(this, 'TlsOption')) }, spec: tlsSpec });
      }
      const routes = { backend, tls, entryPoint: encrypted ? secureEntryPoint : webEntryPoint, webEntryPoint, namespace };
      const written = routeKind.kind === 'IngressRoute' ? this.ingressRoutes(routes) : this.ingresses(routes, routeKind.ingressClassName!);
      this.route = written.route;
      this.redirectRoute = written.redirectRoute;

      if (!direct && pods !== undefined) {
        this.backendNetworkPolicy = isolateBackend(this, ctx, backend, {
          peers: [{ namespace: pods.namespace, labels: () => pods.selector }],
        })?.networkPolicy;
      }
      if (tls.secretName !== undefined && tls.secretName === this.secret.name) {
        fail(ctx, 'usersSecretName', this.secret.name, 'a name other than the TLS Secret\'s: the htpasswd Secret would replace the certificate');
      }
      claimObjectNames(this, ctx, props.usersSecretName === undefined ? {} : { [props.usersSecretName]: 'usersSecretName' }, tls.writtenSecrets);
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
   * Adds a host name the route serves, with the same basic auth.
   *
   * @param host the host name, such as `scoring.example.com`
   */
  public addHost(host: string): void {
    [host] = checkArgs(this.ctx, CLASS, 'addHost', [host]);
    this.addHostAt(host, 'addHost(host)');
  }

  /**
   * Adds a user.
   *
   * @param user the user; its name must be new and its hash of the same algorithm as the others
   */
  public addUser(user: BasicAuthUser): void {
    [user] = checkArgs(this.ctx, CLASS, 'addUser', [user]);
    this.addUserAt(user, 'addUser(user)');
  }

  /** The usernames, sorted. */
  public get usernames(): string[] {
    return [...this.users.keys()].sort();
  }

  /** The htpasswd file in the Secret: one `user:hash` line per user, sorted by name. */
  public htpasswd(): string {
    return this.usernames.map(name => this.users.get(name)!.toHtpasswdLine()).join('\n') + '\n';
  }

  private addHostAt(host: string, prop: string): void {
    checkHostname(this.ctx, prop, host);
    if (this.hostList.includes(host)) {
      fail(this.ctx, prop, host, 'each host once (it is listed already)');
    }
    claimFrontDoor(this, this.ctx, prop, host, this.pathPrefix);
    this.hostList.push(host);
  }

  /** The route's rule: any of the hosts (and the path prefix). */
  private match(): string {
    const hosts = this.hostList.map(h => `Host(\`${h}\`)`);
    const host = hosts.length === 1 ? hosts[0] : `(${hosts.join(' || ')})`;
    return this.pathPrefix === '/' ? host : `${host} && PathPrefix(\`${this.pathPrefix}\`)`;
  }

  /** An IngressRoute to the backend behind basic auth, and one on the web entry point that redirects. */
  private ingressRoutes(r: RouteParts): { route: ApiObject; redirectRoute?: ApiObject } {
    const match = Lazy.any({ produce: () => this.match() }) as unknown as string;
    const route = new traefik.IngressRoute(this, 'Resource', {
      metadata: { ...named(childName(this, 'Resource')) },
      spec: {
        entryPoints: [r.entryPoint],
        routes: [{
          kind: traefik.IngressRouteSpecRoutesKind.RULE,
          match,
          middlewares: [{ name: this.basicAuthMiddleware.name }],
          services: [{ name: r.backend.serviceName, port: traefik.IngressRouteSpecRoutesServicesPort.fromNumber(r.backend.port) }],
        }],
        tls: r.tls.mode !== 'none' ? {
          certResolver: r.tls.traefikCertResolver,
          secretName: r.tls.secretName,
          options: { name: this.tlsOption!.name },
        } : undefined,
      },
    });
    if (this.redirectMiddleware === undefined) {
      return { route };
    }
    const redirectRoute = new traefik.IngressRoute(this, 'HttpRedirect', {
      metadata: { ...named(childName(this, 'HttpRedirect')) },
      spec: {
        entryPoints: [r.webEntryPoint],
        routes: [{
          kind: traefik.IngressRouteSpecRoutesKind.RULE,
          match,
          middlewares: [{ name: this.redirectMiddleware.name }],
          // The redirect answers every request: nothing reaches a real Service over plain HTTP.
          services: [{ name: 'noop@internal', kind: traefik.IngressRouteSpecRoutesServicesKind.TRAEFIK_SERVICE }],
        }],
      },
    });
    return { route, redirectRoute };
  }

  /** An Ingress with Traefik annotations to the backend behind basic auth, and one on the web entry point that redirects. */
  private ingresses(r: RouteParts, ingressClassName: string): { route: ApiObject; redirectRoute?: ApiObject } {
    const ref = (o: ApiObject) => `${r.namespace}-${o.name}@kubernetescrd`;
    const rules = Lazy.any({
      produce: () => this.hostList.map(host => ({
        host,
        http: {
          paths: [{
            path: this.pathPrefix,
            pathType: 'Prefix',
            backend: { service: { name: r.backend.serviceName, port: { number: r.backend.port } } },
          }],
        },
      })),
    }) as unknown as k8s.IngressRule[];
    const encrypted = r.tls.mode !== 'none';
    const annotations: Record<string, string> = {
      [`${ANNOTATION_PREFIX}.entrypoints`]: r.entryPoint,
      [`${ANNOTATION_PREFIX}.middlewares`]: ref(this.basicAuthMiddleware),
    };
    if (encrypted) {
      annotations[`${ANNOTATION_PREFIX}.tls`] = 'true';
      annotations[`${ANNOTATION_PREFIX}.tls.options`] = ref(this.tlsOption!);
      if (r.tls.traefikCertResolver) {
        annotations[`${ANNOTATION_PREFIX}.tls.certresolver`] = r.tls.traefikCertResolver;
      }
    }
    const route = new k8s.KubeIngress(this, 'Resource', {
      metadata: { ...named(childName(this, 'Resource')), annotations },
      spec: {
        ingressClassName,
        rules,
        tls: r.tls.secretName ? [{ hosts: Lazy.any({ produce: () => this.hosts }) as unknown as string[], secretName: r.tls.secretName }] : undefined,
      },
    });
    if (this.redirectMiddleware === undefined) {
      return { route };
    }
    // An Ingress must name a real Service, and redirectScheme passes a request on when it
    // already looks like HTTPS (X-Forwarded-Proto: https from a trusted proxy, or forged
    // where Traefik trusts it): so basic auth follows the redirect on this route too.
    const redirectRoute = new k8s.KubeIngress(this, 'HttpRedirect', {
      metadata: {
        ...named(childName(this, 'HttpRedirect')),
        annotations: {
          [`${ANNOTATION_PREFIX}.entrypoints`]: r.webEntryPoint,
          [`${ANNOTATION_PREFIX}.middlewares`]: `${ref(this.redirectMiddleware)},${ref(this.basicAuthMiddleware)}`,
        },
      },
      spec: { ingressClassName, rules },
    });
    return { route, redirectRoute };
  }

  private addUserAt(user: BasicAuthUser, prop: string): void {
    if (!(user instanceof BasicAuthUser)) {
      fail(this.ctx, prop, user, 'a BasicAuthUser from BasicAuthUser.fromPassword or BasicAuthUser.fromHash');
    }
    // The hash goes into the Secret as is: it must be one (an object made some other way
    // could carry a plaintext password).
    try {
      BasicAuthUser.fromHash(user.username, user.hash);
    } catch {
      fail(this.ctx, prop, REDACTED, 'a BasicAuthUser from BasicAuthUser.fromPassword or BasicAuthUser.fromHash, with a valid user name and hash');
    }
    if (this.users.has(user.username)) {
      fail(this.ctx, prop, user.username, 'a username not used by another user of this ingress');
    }
    const first = this.users.values().next().value as BasicAuthUser | undefined;
    if (first && first.algorithm !== user.algorithm) {
      fail(this.ctx, prop, `${user.username} (${user.algorithm.name})`,
        `a ${first.algorithm.name} hash like the other users' (one algorithm per ingress)`);
    }
    this.users.set(user.username, user);
  }
}

/** What both route kinds need. */
interface RouteParts {
  readonly backend: Backend;
  readonly tls: ResolvedTls;
  readonly entryPoint: string;
  readonly webEntryPoint: string;
  readonly namespace: string;
}

function checkEntryPoint(ctx: string, prop: string, value: string): string {
  if (typeof value !== 'string' || !ENTRY_POINT.test(value)) {
    fail(ctx, prop, value, 'the name of a Traefik entry point, such as "websecure"');
  }
  return value;
}

function tlsOptionSpec(ctx: string, options: TraefikTlsOptions): traefik.TlsOptionSpec {
  const minVersion = options.minVersion ?? TraefikTlsVersion.TLS_1_2;
  if (!Object.values(TraefikTlsVersion).includes(minVersion)) {
    fail(ctx, 'tlsOptions.minVersion', minVersion, 'TraefikTlsVersion.TLS_1_2 or TraefikTlsVersion.TLS_1_3');
  }
  const suites = options.cipherSuites;
  if (suites !== undefined) {
    if (minVersion === TraefikTlsVersion.TLS_1_3) {
      fail(ctx, 'tlsOptions.cipherSuites', suites, 'no cipher suites with a TLS 1.3 minimum: TLS 1.3 suites are not configurable');
    }
    if (!Array.isArray(suites) || suites.length === 0) {
      fail(ctx, 'tlsOptions.cipherSuites', suites, 'a non-empty list of cipher suite names, or no list for Go\'s defaults');
    }
    const seen = new Set<string>();
    suites.forEach((s, i) => {
      if (typeof s !== 'string' || !ACCEPTED_SET.has(s)) {
        fail(ctx, `tlsOptions.cipherSuites[${i}]`, s,
          'a forward-secret AEAD TLS 1.2 cipher suite of TraefikCipherSuites.ACCEPTED (static RSA, CBC, RC4 and 3DES suites are refused), for example TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
      }
      if (seen.has(s)) {
        fail(ctx, `tlsOptions.cipherSuites[${i}]`, s, 'each cipher suite once');
      }
      seen.add(s);
    });
  }
  return {
    minVersion,
    cipherSuites: suites ? [...suites] : minVersion === TraefikTlsVersion.TLS_1_2 ? [...MODERN_SUITES] : undefined,
    sniStrict: options.sniStrict ?? true,
  };
}
