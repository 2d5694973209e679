import { ApiObject, Duration, JsonPatch, Lazy, Size, SizeRoundingBehavior, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { isolateBackend } from '../_backend-isolation';
import { childName, claimObjectNames, named, nameObjects } from '../_names';
import { resolveTls } from '../_tls';
import { checkArgs, checkBoolean, checkDuration, checkInteger, checkPort, contextOf, fail, abandon, chartNamespace, checkProps, checkRequestWithinLimit, quantityValue } from '../_validate';
import { checkJwtIssuer } from '../auth/_jwt-issuer';
import { JwtIssuer } from '../auth/jwt-issuer';
import { Backend } from '../backend';
import { TlsTermination } from '../tls';
import { ADMIN_PORT, buildBootstrap, BootstrapInput, ENVOY_PATHS, HEALTH_PORT } from './bootstrap';

/** The protocol Envoy speaks to the backend. */
export enum EnvoyBackendProtocol {
  /** HTTP/2 (gRPC). */
  GRPC = 'grpc',
  /** HTTP/1.1. */
  HTTP1 = 'http1',
}

/** How the proxy's Service is exposed. */
export enum EnvoyServiceType {
  /** Inside the cluster only. */
  CLUSTER_IP = 'ClusterIP',
  /** On a port of every node. */
  NODE_PORT = 'NodePort',
  /** Through a cloud load balancer. */
  LOAD_BALANCER = 'LoadBalancer',
}

/** CORS for browser (gRPC-Web) clients. */
export interface EnvoyCorsOptions {
  /** Allowed origins, matched exactly (`https://app.example.com`). */
  readonly allowOrigins: string[];

  /**
   * Allowed methods.
   *
   * @default ["GET", "POST", "OPTIONS"]
   */
  readonly allowMethods?: string[];

  /**
   * Allowed request headers.
   *
   * @default the gRPC-Web headers and authorization
   */
  readonly allowHeaders?: string[];

  /**
   * How long browsers may cache a preflight answer.
   *
   * @default Duration.hours(24)
   */
  readonly maxAge?: Duration;
}

/** Props of `EnvoyJwtProxy`. */
export interface EnvoyJwtProxyProps {
  /** The Service and port to forward to. */
  readonly backend: Backend;

  /** The JWT issuer. */
  readonly jwt: JwtIssuer;

  /**
   * How long a JWKS fetched from `JwksSource.fromUri` is cached.
   *
   * @default Duration.minutes(5)
   */
  readonly jwksCacheDuration?: Duration;

  /**
   * Where TLS ends: `TlsTermination.atProxy(certificate)`, with a `kubernetes.io/tls` Secret
   * in the chart's namespace (`TlsCertificate.fromSecret`) or one cert-manager issues for the
   * Service's cluster DNS names (`TlsCertificate.fromCertManager`).
   */
  readonly tls: TlsTermination;

  /**
   * The name of the proxy's Service and Deployment (clients call `<name>.<namespace>`), and the
   * base of the other objects' names (`<name>-config`, `<name>-jwks`, `<name>-tls`, ...).
   *
   * @default - names cdk8s generates from the construct path
   */
  readonly name?: string;

  /**
   * The protocol to the backend.
   *
   * @default EnvoyBackendProtocol.GRPC
   */
  readonly backendProtocol?: EnvoyBackendProtocol;

  /**
   * The port the proxy listens on for TLS, in its container.
   *
   * @default 8443
   */
  readonly port?: number;

  /**
   * The port of the proxy's Service, which clients call (it forwards to `port`).
   *
   * @default - the same as `port`
   */
  readonly servicePort?: number;

  /**
   * Replicas of the proxy.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * The Envoy image (pin a version).
   *
   * @default "envoyproxy/envoy:v1.36.2"
   */
  readonly image?: string;

  /**
   * Translate gRPC-Web from browsers.
   *
   * @default true
   */
  readonly grpcWeb?: boolean;

  /**
   * CORS for browser clients of other origins. A gRPC-Web app served from the proxy's own origin
   * needs none.
   *
   * @default - no CORS: browsers call only from the proxy's own origin
   */
  readonly cors?: EnvoyCorsOptions;

  /**
   * Path prefixes that need no token (health checks); more with `addUnauthenticatedPath`.
   *
   * @default ["/grpc.health.v1.Health/"]
   */
  readonly unauthenticatedPaths?: string[];

  /**
   * How the Service is exposed.
   *
   * @default EnvoyServiceType.CLUSTER_IP
   */
  readonly serviceType?: EnvoyServiceType;

  /**
   * Timeout of a whole request.
   *
   * @default - none, so long inference calls and streams are not cut (Envoy's own default is 15 s)
   */
  readonly timeout?: Duration;

  /**
   * Resources of the proxy container. With a memory limit, Envoy's overload manager keeps its
   * heap below 80% of it.
   *
   * @default - CPU 100m request / 1 limit, memory 128Mi request / 512Mi limit
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Write no NetworkPolicy for the backend. By default, for a backend from
   * `Backend.fromService`, a NetworkPolicy admits only the proxy's pods to the backend's pods,
   * so no other workload can call it without a token.
   *
   * @default false
   */
  readonly allowDirectBackendAccess?: boolean;
}

const CLASS = 'EnvoyJwtProxy';
/** An open path prefix: path characters without `?`, `#`, `;` or `%`. */
const OPEN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,=:@/]*$/;
const KPLUS_SERVICE_TYPE: Record<EnvoyServiceType, kplus.ServiceType> = {
  [EnvoyServiceType.CLUSTER_IP]: kplus.ServiceType.CLUSTER_IP,
  [EnvoyServiceType.NODE_PORT]: kplus.ServiceType.NODE_PORT,
  [EnvoyServiceType.LOAD_BALANCER]: kplus.ServiceType.LOAD_BALANCER,
};
const WHOLE_SECONDS = { min: Duration.seconds(1), wholeSeconds: true };

/** The oldest Envoy minor release accepted: the bootstrap is written for, and checked against, Envoy 1.3x. */
const MIN_ENVOY_MINOR = 30;

/**
 * An image reference with a tag or digest: not `latest` (or no tag, which means latest),
 * since the proxy must not change under a restart; an Envoy version in the tag (`v1.36.2`,
 * `distroless-v1.36.2`, `contrib-v1.36.2`) at least 1.30.
 */
function checkEnvoyImage(ctx: string, image: string): string {
  const expected = 'an image reference with a pinned tag or digest, such as "envoyproxy/envoy:v1.36.2"';
  if (image.length > 512 || !IMAGE.test(image)) {
    fail(ctx, 'image', image, expected);
  }
  const digest = image.includes('@sha256:');
  const name = image.split('@')[0];
  const tag = /:([^:/]+)$/.exec(name)?.[1];
  if (!digest && (tag === undefined || /(^|-)latest$/.test(tag) || tag === 'dev')) {
    fail(ctx, 'image', image, `${expected}: "${tag ?? 'latest'}" follows new releases, so the proxy would change under a restart`);
  }
  const version = tag === undefined ? null : /(?:^|-)v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(tag);
  if (version && (Number(version[1]) !== 1 || Number(version[2]) < MIN_ENVOY_MINOR)) {
    fail(ctx, 'image', image, `Envoy 1.${MIN_ENVOY_MINOR} or later (1.x): the bootstrap is written for the v3 API of Envoy 1.3x`);
  }
  return image;
}

/** Requests within limits (Kubernetes refuses a Pod whose request exceeds its limit). */
function checkContainerResources(ctx: string, resources: kplus.ContainerResources): void {
  const pairs = [['cpu', resources.cpu, kplus.Cpu, 'kplus.Cpu.millis(500)'], ['memory', resources.memory, Size, 'Size.mebibytes(512)'],
    ['ephemeralStorage', resources.ephemeralStorage, Size, 'Size.gibibytes(1)']] as const;
  for (const [name, pair, type, example] of pairs) {
    if (pair === undefined || pair === null) {
      continue;
    }
    const amounts: { [end: string]: string | undefined } = {};
    for (const end of ['request', 'limit'] as const) {
      const q: unknown = (pair as any)[end];
      if (q !== undefined && !(q instanceof type)) {
        fail(ctx, `resources.${name}.${end}`, q, `a ${type.name}, such as ${example}`);
      }
      amounts[end] = q instanceof kplus.Cpu ? q.amount : q instanceof Size ? q.asString() : undefined;
    }
    checkRequestWithinLimit(ctx, `resources.${name}.request`, amounts.request, `resources.${name}.limit`, amounts.limit);
    if (name === 'memory' && amounts.limit !== undefined && quantityValue(amounts.limit) < MIN_MEMORY_LIMIT) {
      fail(ctx, 'resources.memory.limit', amounts.limit,
        'at least 64Mi: Envoy starts with tens of MiB, and the overload manager (which keeps the heap below the limit) would refuse every request');
    }
  }
}

/** The smallest memory limit accepted for the proxy. */
const MIN_MEMORY_LIMIT = 64 * 2 ** 20;

/**
 * An image reference as the distribution grammar reads it: an optional registry host (with a
 * '.' or a port, or `localhost`: otherwise the first part is a path component), lowercase path
 * components separated by '.', '_', '__' or dashes, a tag and or a digest.
 */
const IMAGE = /^(?:(?:localhost(?::[0-9]+)?|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+(?::[0-9]+)?|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]):[0-9]+)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const DEFAULT_CORS_HEADERS = [
  'authorization', 'content-type', 'grpc-timeout', 'keep-alive', 'user-agent', 'x-accept-content-transfer-encoding',
  'x-accept-response-streaming', 'x-grpc-web', 'x-user-agent',
];

/**
 * A TLS-terminating Envoy that lets through only requests with a valid JWT, in front of a
 * gRPC (or HTTP) service.
 *
 * Writes a ConfigMap with an Envoy v3 bootstrap (TLS listener with ALPN h2 and http/1.1,
 * jwt_authn requiring the issuer on every path but the health checks, gRPC-Web and CORS
 * optional, HTTP/2 to the backend, admin on loopback only), the JWKS ConfigMap, a hardened
 * Deployment (non-root, read-only root filesystem, no capabilities, resources, probes on a
 * health listener) and a Service.
 */
export class EnvoyJwtProxy extends Construct {
  /** The Envoy bootstrap written to the ConfigMap (a copy; changing it changes nothing). */
  public get bootstrap(): any {
    return this.buildBootstrap();
  }

  /** The ConfigMap with `envoy.yaml`. */
  public readonly configMap: kplus.ConfigMap;

  /**
   * The ConfigMap with `jwks.json`.
   *
   * @default - none with `JwksSource.fromUri`
   */
  public readonly jwksConfigMap?: kplus.ConfigMap;

  /** The proxy Deployment; also the construct's default child. */
  public readonly deployment: kplus.Deployment;

  /** The proxy Service. */
  public readonly service: kplus.Service;

  /**
   * The cert-manager Certificate for the Service's names.
   *
   * @default - none unless the certificate is `TlsCertificate.fromCertManager`
   */
  public readonly certificate?: ApiObject;

  /**
   * The NetworkPolicy that admits only the proxy's pods to the backend.
   *
   * @default - none with a backend from `Backend.fromName` or with `allowDirectBackendAccess`
   */
  public readonly backendNetworkPolicy?: ApiObject;

  private readonly ctx!: string;
  private readonly openPaths: string[] = [];
  private readonly bootstrapInput!: Omit<BootstrapInput, 'unauthenticatedPrefixes'>;

  constructor(scope: Construct, id: string, props: EnvoyJwtProxyProps) {
    super(scope, id);
    try {
      const ctx = this.ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      Backend._check(ctx, props.backend);
      const port = checkPort(ctx, 'port', props.port ?? 8443);
      if (port === ADMIN_PORT || port === HEALTH_PORT) {
        fail(ctx, 'port', port, `a port other than ${ADMIN_PORT} (admin) and ${HEALTH_PORT} (health)`);
      }
      const servicePort = checkPort(ctx, 'servicePort', props.servicePort ?? port);
      const replicas = checkInteger(ctx, 'replicas', props.replicas ?? 2, 1, 1000);
      const image = checkEnvoyImage(ctx, props.image ?? 'envoyproxy/envoy:v1.36.2');
      const protocol = props.backendProtocol ?? EnvoyBackendProtocol.GRPC;
      if (!Object.values(EnvoyBackendProtocol).includes(protocol)) {
        fail(ctx, 'backendProtocol', protocol, 'EnvoyBackendProtocol.GRPC or EnvoyBackendProtocol.HTTP1');
      }
      const serviceType = props.serviceType ?? EnvoyServiceType.CLUSTER_IP;
      if (!Object.values(EnvoyServiceType).includes(serviceType)) {
        fail(ctx, 'serviceType', serviceType, `one of ${Object.values(EnvoyServiceType).join(', ')}`);
      }
      const unauthenticated = props.unauthenticatedPaths ?? ['/grpc.health.v1.Health/'];
      if (!Array.isArray(unauthenticated)) {
        fail(ctx, 'unauthenticatedPaths', unauthenticated, 'a list of path prefixes');
      }
      unauthenticated.forEach((p, i) => this.addUnauthenticatedPathAt(p, `unauthenticatedPaths[${i}]`));

      const jwt = props.jwt;
      const issuer = checkJwtIssuer(ctx, 'jwt', jwt);
      const cacheSeconds = checkDuration(ctx, 'jwksCacheDuration', props.jwksCacheDuration ?? Duration.minutes(5), WHOLE_SECONDS).toSeconds();
      const cors = props.cors === undefined ? undefined : corsSpec(ctx, props.cors);
      const routeTimeoutSeconds = props.timeout === undefined ? undefined
        : checkDuration(ctx, 'timeout', props.timeout, WHOLE_SECONDS).toSeconds();

      const direct = checkBoolean(ctx, 'allowDirectBackendAccess', props.allowDirectBackendAccess ?? false);
      const resources = props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
      };
      checkContainerResources(ctx, resources);
      const memoryLimit = resources.memory?.limit;
      const namespace = chartNamespace(ctx, this, 'the proxy routes to the backend by its cluster DNS name, which has the namespace in it');
      const name = nameObjects(this, ctx, 'name', props.name, { service: true });
      const tlsTermination = resolveTls(this, ctx, 'tls', props.tls, {
        modes: ['proxy'],
        namespace,
        // The Service is made below: its names are read at synth.
        dnsNames: () => [`${this.service.name}.${namespace}.svc`, `${this.service.name}.${namespace}.svc.cluster.local`],
        certificateName: childName(this, 'Certificate'),
      });
      this.certificate = tlsTermination.certificate;
      this.bootstrapInput = {
        port,
        backendHost: props.backend.fqdn(namespace),
        backendPort: props.backend.port,
        http2Backend: protocol === EnvoyBackendProtocol.GRPC,
        issuer: issuer.issuer,
        audiences: issuer.audiences,
        localJwks: issuer.jwks !== undefined,
        jwksUri: issuer.jwksUri,
        jwksCacheSeconds: cacheSeconds,
        forwardToken: issuer.forwardToken,
        grpcWeb: props.grpcWeb ?? true,
        cors,
        routeTimeoutSeconds,
        memoryLimitBytes: memoryLimit instanceof Size ? memoryLimit.toKibibytes({ rounding: SizeRoundingBehavior.FLOOR }) * 1024 : undefined,
      };

      this.configMap = new kplus.ConfigMap(this, 'Config', {
        metadata: { ...named(childName(this, 'Config')) },
        data: {
          // Written at synth, with the paths `addUnauthenticatedPath` added.
          'envoy.yaml': Lazy.any({ produce: () => Yaml.stringify(this.buildBootstrap()) }) as unknown as string,
        },
      });
      if (issuer.jwks !== undefined) {
        this.jwksConfigMap = new kplus.ConfigMap(this, 'Jwks', { metadata: { ...named(childName(this, 'Jwks')) }, data: { 'jwks.json': issuer.jwks.toJson() } });
      }
      const tls = kplus.Secret.fromSecretName(this, 'TlsSecret', tlsTermination.secretName!);

      this.deployment = new kplus.Deployment(this, 'Resource', {
        metadata: named(name),
        replicas,
        securityContext: { ensureNonRoot: true, user: 101, group: 101 },
        automountServiceAccountToken: false,
      });
      const container = this.deployment.addContainer({
        name: 'envoy',
        image,
        command: ['envoy'],
        args: ['-c', `${ENVOY_PATHS.config}/envoy.yaml`, '--log-level', 'info'],
        ports: [{ number: port, name: 'https' }, { number: HEALTH_PORT, name: 'health' }],
        securityContext: {
          ensureNonRoot: true, user: 101, group: 101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false,
        },
        resources,
        readiness: kplus.Probe.fromHttpGet('/ready', { port: HEALTH_PORT }),
        liveness: kplus.Probe.fromTcpSocket({ port: HEALTH_PORT }),
      });
      container.mount(ENVOY_PATHS.config, kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' }), { readOnly: true });
      if (this.jwksConfigMap) {
        container.mount(ENVOY_PATHS.jwks, kplus.Volume.fromConfigMap(this, 'JwksVolume', this.jwksConfigMap, { name: 'jwks' }), { readOnly: true });
      }
      container.mount(ENVOY_PATHS.tls, kplus.Volume.fromSecret(this, 'TlsVolume', tls, { name: 'tls' }), { readOnly: true });
      container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp'));
      // cdk8s-plus-27 cannot drop capabilities or set the seccomp profile.
      ApiObject.of(this.deployment).addJsonPatch(
        JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
        JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      );

      this.service = this.deployment.exposeViaService({
        name,
        serviceType: KPLUS_SERVICE_TYPE[serviceType],
        ports: [{ port: servicePort, targetPort: port, name: 'https' }],
      });
      if (!direct) {
        this.backendNetworkPolicy = isolateBackend(this, ctx, props.backend, {
          peers: [{ namespace, labels: () => this.deployment.matchLabels }],
        })?.networkPolicy;
      }
      claimObjectNames(this, ctx, {}, tlsTermination.writtenSecrets);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /**
   * Lets requests whose path starts with this prefix through without a token, such as a health
   * check. The prefix is a whole path segment (`/public` does not open `/public-admin`).
   *
   * @param prefix a path prefix starting with "/", not "/" itself
   */
  public addUnauthenticatedPath(prefix: string): void {
    [prefix] = checkArgs(this.ctx, CLASS, 'addUnauthenticatedPath', [prefix]);
    this.addUnauthenticatedPathAt(prefix, 'addUnauthenticatedPath(prefix)');
  }

  private addUnauthenticatedPathAt(p: string, at: string): void {
    // A path as Envoy matches it after normalization: no query or fragment, no `;` parameters or
    // percent-escapes (such paths always need a token), no dot segments, at most 1024 characters.
    if (typeof p !== 'string' || !OPEN_PATH.test(p) || p === '/' || p.length > 1024 || /(^|\/)\.\.?(\/|$)/.test(p)) {
      fail(this.ctx, at, p,
        'a path prefix starting with "/", of letters, digits and - . _ ~ ! $ & \' ( ) * + , = : @ /, without dot segments (not "/" itself, which would turn authentication off)');
    }
    this.openPaths.push(p);
  }

  /** The bootstrap with the open paths so far. */
  private buildBootstrap(): any {
    return JSON.parse(JSON.stringify(buildBootstrap({ ...this.bootstrapInput, unauthenticatedPrefixes: [...new Set(this.openPaths)].sort() })));
  }
}

function corsSpec(ctx: string, cors: EnvoyCorsOptions) {
  const origins = cors.allowOrigins;
  if (!Array.isArray(origins) || origins.length === 0) {
    fail(ctx, 'cors.allowOrigins', origins, 'at least one origin such as "https://app.example.com"');
  }
  origins.forEach((o, i) => {
    let ok = false;
    try {
      const u = new URL(o);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o;
    } catch {
      ok = false;
    }
    if (!ok) {
      fail(ctx, `cors.allowOrigins[${i}]`, o, 'an origin: scheme, host and optional port, no path ("https://app.example.com")');
    }
  });
  const methods = cors.allowMethods ?? ['GET', 'POST', 'OPTIONS'];
  methods.forEach((m, i) => {
    if (!/^[A-Z]+$/.test(m)) {
      fail(ctx, `cors.allowMethods[${i}]`, m, 'an uppercase HTTP method');
    }
  });
  const headers = cors.allowHeaders ?? DEFAULT_CORS_HEADERS;
  headers.forEach((h, i) => {
    if (!/^[a-z0-9-]+$/.test(h)) {
      fail(ctx, `cors.allowHeaders[${i}]`, h, 'a lowercase header name');
    }
  });
  return {
    allowOrigins: [...origins].sort(),
    allowMethods: [...methods],
    allowHeaders: [...headers],
    exposeHeaders: ['grpc-message', 'grpc-status'],
    maxAgeSeconds: checkDuration(ctx, 'cors.maxAge', cors.maxAge ?? Duration.hours(24), WHOLE_SECONDS).toSeconds(),
  };
}
