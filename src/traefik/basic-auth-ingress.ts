import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as traefik from '../../imports/traefik.io';
import { checkBackend } from '../backend';
import { isolateBackend } from '../_backend-isolation';
import { checkBoolean, checkDnsLabel, checkHostname, checkLabels, contextOf, fail, abandon, chartNamespace, checkArgs, REDACTED, checkProps, claimFrontDoor } from '../_validate';
import { BasicAuthUser } from '../auth/basic-auth-user';
import { Backend } from '../backend';
import { ACCEPTED_SET, MODERN_SUITES } from './_cipher-suites';
import { TraefikTls, TraefikTlsOptions, TraefikTlsVersion } from './tls';

/**
 * Which Kubernetes objects route traffic to the backend.
 */
export enum TraefikRouteKind {
  /** Traefik's own `IngressRoute` (traefik.io/v1alpha1). */
  INGRESS_ROUTE = 'IngressRoute',
  /** A networking.k8s.io/v1 `Ingress` with Traefik annotations, for clusters that use plain Ingress. */
  INGRESS = 'Ingress',
}

/**
 * Props of `TraefikBasicAuthIngress`.
 */
export interface TraefikBasicAuthIngressProps {
  /** The host name clients use, for example `scoring.example.com`. */
  readonly host: string;

  /** The Service and port to forward to. */
  readonly backend: Backend;

  /** The users allowed in (at least one). More can be added with `addUser`. */
  readonly users: BasicAuthUser[];

  /**
   * Where the certificate comes from. Basic auth sends the password with every request, so
   * plain HTTP needs the explicit `TraefikTls.insecurePlainHttp()`.
   */
  readonly tls: TraefikTls;

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
   * @default true (false with `TraefikTls.insecurePlainHttp()`)
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
   * @default TraefikRouteKind.INGRESS_ROUTE
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
   * The ingress class of the `Ingress` objects (route kind `INGRESS` only).
   *
   * @default "traefik"
   */
  readonly ingressClassName?: string;

  /**
   * The namespace of Traefik's pods. With a backend from `Backend.fromService`, a NetworkPolicy
   * admits only Traefik's pods (`traefikNamespace` and `traefikSelector`) to the backend's pods,
   * so that no other workload can call the model server around the basic auth.
   *
   * @default - none: required with a backend from `Backend.fromService`, unless `allowDirectBackendAccess`
   */
  readonly traefikNamespace?: string;

  /**
   * Labels of Traefik's pods, for the NetworkPolicy.
   *
   * @default { "app.kubernetes.io/name": "traefik" } (the Traefik Helm chart's label)
   */
  readonly traefikSelector?: { [key: string]: string };

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
   * @default - none with `TraefikTls.insecurePlainHttp()`
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

  private readonly ctx: string;
  private readonly users = new Map<string, BasicAuthUser>();

  constructor(scope: Construct, id: string, props: TraefikBasicAuthIngressProps) {
    super(scope, id);
    try {
      const ctx = this.ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const host = checkHostname(ctx, 'host', props.host);
      checkBackend(ctx, props.backend);
      if (!(props.tls instanceof TraefikTls)) {
        fail(ctx, 'tls', props.tls,
          'TraefikTls.certResolver(name) or TraefikTls.fromSecret(name); basic auth over plain HTTP needs the explicit TraefikTls.insecurePlainHttp()');
      }
      const encrypted = props.tls.encrypted;
      const pathPrefix = props.pathPrefix ?? '/';
      if (typeof pathPrefix !== 'string' || !PATH_PREFIX.test(pathPrefix)) {
        fail(ctx, 'pathPrefix', pathPrefix, 'a URL path starting with "/", without spaces or backticks');
      }
      claimFrontDoor(this, ctx, 'host', host, pathPrefix);
      const routeKind = props.routeKind ?? TraefikRouteKind.INGRESS_ROUTE;
      if (!Object.values(TraefikRouteKind).includes(routeKind)) {
        fail(ctx, 'routeKind', routeKind, 'TraefikRouteKind.INGRESS_ROUTE or TraefikRouteKind.INGRESS');
      }
      const secureEntryPoint = checkEntryPoint(ctx, 'secureEntryPoint', props.secureEntryPoint ?? 'websecure');
      const webEntryPoint = checkEntryPoint(ctx, 'webEntryPoint', props.webEntryPoint ?? 'web');
      const httpsRedirect = props.httpsRedirect ?? encrypted;
      if (httpsRedirect && !encrypted) {
        fail(ctx, 'httpsRedirect', true, 'false (or unset) with TraefikTls.insecurePlainHttp(): there is no HTTPS route to redirect to');
      }
      if (!encrypted && props.tlsOptions !== undefined) {
        fail(ctx, 'tlsOptions', props.tlsOptions, 'no TLS options with TraefikTls.insecurePlainHttp()');
      }
      const realm = props.realm ?? 'traefik';
      if (typeof realm !== 'string' || realm.length === 0 || /["\\\r\n]/.test(realm)) {
        fail(ctx, 'realm', realm, 'a non-empty realm without quotes, backslashes or line breaks');
      }
      const ingressClassName = props.ingressClassName ?? 'traefik';
      if (routeKind === TraefikRouteKind.INGRESS_ROUTE && props.ingressClassName !== undefined) {
        fail(ctx, 'ingressClassName', props.ingressClassName, 'no ingressClassName with TraefikRouteKind.INGRESS_ROUTE (it applies to Ingress objects)');
      }
      checkDnsLabel(ctx, 'ingressClassName', ingressClassName);
      const tlsSpec = encrypted ? tlsOptionSpec(ctx, props.tlsOptions ?? {}) : undefined;
      const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
      const traefikSelector = checkLabels(ctx, 'traefikSelector', props.traefikSelector ?? { 'app.kubernetes.io/name': 'traefik' });
      const traefikNamespace = props.traefikNamespace === undefined ? undefined : checkDnsLabel(ctx, 'traefikNamespace', props.traefikNamespace);
      if (props.backend._serviceObject !== undefined && !direct && traefikNamespace === undefined) {
        fail(ctx, 'traefikNamespace', undefined,
          'the namespace of Traefik\'s pods: a NetworkPolicy admits only them to the backend\'s pods, so that no other workload can call it without credentials ' +
          '(allowDirectBackendAccess: true to write no NetworkPolicy)');
      }

      if (!Array.isArray(props.users) || props.users.length === 0) {
        fail(ctx, 'users', props.users, 'at least one BasicAuthUser');
      }
      props.users.forEach((u, i) => this.addUserAt(u, `users[${i}]`));

      const namespace = chartNamespace(ctx, this,
        'Traefik routes to Services of the route\'s namespace, and names middlewares as <namespace>-<name>@kubernetescrd');
      const backend = props.backend;
      if (backend.namespace !== undefined && backend.namespace !== namespace) {
        fail(ctx, 'backend', `${backend.namespace}/${backend.serviceName}`,
          `a Service in the route's namespace "${namespace}": Traefik routes to Services of their own namespace`);
      }

      this.secret = new k8s.KubeSecret(this, 'Users', {
        type: 'Opaque',
        // `data`, not `stringData`: GitOps tools see no drift after the API server converts it.
        data: { users: Lazy.any({ produce: () => Buffer.from(this.htpasswd(), 'utf8').toString('base64') }) as unknown as string },
      });

      this.basicAuthMiddleware = new traefik.Middleware(this, 'BasicAuth', {
        metadata: {},
        spec: { basicAuth: { secret: this.secret.name, realm, removeHeader: props.removeHeader ?? true } },
      });
      if (httpsRedirect) {
        this.redirectMiddleware = new traefik.Middleware(this, 'RedirectToHttps', {
          metadata: {},
          spec: { redirectScheme: { scheme: 'https', permanent: true } },
        });
      }
      if (tlsSpec) {
        this.tlsOption = new traefik.TlsOption(this, 'TlsOption', { metadata: {}, spec: tlsSpec });
      }

      const match = pathPrefix === '/' ? `Host(\`${host}\`)` : `Host(\`${host}\`) && PathPrefix(\`${pathPrefix}\`)`;
      if (routeKind === TraefikRouteKind.INGRESS_ROUTE) {
        this.route = new traefik.IngressRoute(this, 'Resource', {
          metadata: {},
          spec: {
            entryPoints: [encrypted ? secureEntryPoint : webEntryPoint],
            routes: [{
              kind: traefik.IngressRouteSpecRoutesKind.RULE,
              match,
              middlewares: [{ name: this.basicAuthMiddleware.name }],
              services: [{ name: backend.serviceName, port: traefik.IngressRouteSpecRoutesServicesPort.fromNumber(backend.port) }],
            }],
            tls: encrypted ? {
              certResolver: props.tls.certResolverName,
              secretName: props.tls.secretName,
              options: { name: this.tlsOption!.name },
            } : undefined,
          },
        });
        if (this.redirectMiddleware) {
          this.redirectRoute = new traefik.IngressRoute(this, 'HttpRedirect', {
            metadata: {},
            spec: {
              entryPoints: [webEntryPoint],
              routes: [{
                kind: traefik.IngressRouteSpecRoutesKind.RULE,
                match,
                middlewares: [{ name: this.redirectMiddleware.name }],
                // The redirect answers every request: nothing reaches a real Service over plain HTTP.
                services: [{ name: 'noop@internal', kind: traefik.IngressRouteSpecRoutesServicesKind.TRAEFIK_SERVICE }],
              }],
            },
          });
        }
      } else {
        const ref = (o: ApiObject) => `${namespace}-${o.name}@kubernetescrd`;
        const rules = [{
          host,
          http: {
            paths: [{
              path: pathPrefix,
              pathType: 'Prefix',
              backend: { service: { name: backend.serviceName, port: { number: backend.port } } },
            }],
          },
        }];
        const annotations: Record<string, string> = {
          [`${ANNOTATION_PREFIX}.entrypoints`]: encrypted ? secureEntryPoint : webEntryPoint,
          [`${ANNOTATION_PREFIX}.middlewares`]: ref(this.basicAuthMiddleware),
        };
        if (encrypted) {
          annotations[`${ANNOTATION_PREFIX}.tls`] = 'true';
          annotations[`${ANNOTATION_PREFIX}.tls.options`] = ref(this.tlsOption!);
          if (props.tls.certResolverName) {
            annotations[`${ANNOTATION_PREFIX}.tls.certresolver`] = props.tls.certResolverName;
          }
        }
        this.route = new k8s.KubeIngress(this, 'Resource', {
          metadata: { annotations },
          spec: {
            ingressClassName,
            rules,
            tls: props.tls.secretName ? [{ hosts: [host], secretName: props.tls.secretName }] : undefined,
          },
        });
        if (this.redirectMiddleware) {
          // An Ingress must name a real Service, and redirectScheme passes a request on when it
          // already looks like HTTPS (X-Forwarded-Proto: https from a trusted proxy, or forged
          // where Traefik trusts it): so basic auth follows the redirect on this route too.
          this.redirectRoute = new k8s.KubeIngress(this, 'HttpRedirect', {
            metadata: {
              annotations: {
                [`${ANNOTATION_PREFIX}.entrypoints`]: webEntryPoint,
                [`${ANNOTATION_PREFIX}.middlewares`]: `${ref(this.redirectMiddleware)},${ref(this.basicAuthMiddleware)}`,
              },
            },
            spec: { ingressClassName, rules },
          });
        }
      }

      if (!direct && traefikNamespace !== undefined) {
        this.backendNetworkPolicy = isolateBackend(this, ctx, backend, {
          peers: [{ namespace: traefikNamespace, labels: () => traefikSelector }],
        })?.networkPolicy;
      }
    } catch (e) {
      abandon(this);
      throw e;
    }
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
