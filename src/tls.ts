import { checkArgs, checkDnsSubdomain, checkHostnames, fail, made } from './_validate';

/**
 * The kind of a cert-manager issuer.
 */
export enum CertManagerIssuerKind {
  /** An `Issuer`, in the namespace of the Certificate. */
  ISSUER = 'Issuer',
  /** A `ClusterIssuer`, for the whole cluster. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/**
 * A cert-manager `Certificate` for a front door.
 */
export interface CertManagerCertificateOptions {
  /** The issuer's name (for example `letsencrypt` or an internal CA). */
  readonly issuerName: string;

  /**
   * The issuer's kind.
   *
   * @default CertManagerIssuerKind.CLUSTER_ISSUER
   */
  readonly issuerKind?: CertManagerIssuerKind;

  /**
   * The names the certificate is for.
   *
   * @default - the front door's hosts (for `EnvoyJwtProxy` and `KServeLocalGateway`: their Service's cluster DNS names)
   */
  readonly dnsNames?: string[];

  /**
   * The Secret cert-manager writes the certificate and key to.
   *
   * @default - the Certificate's name
   */
  readonly secretName?: string;
}

/**
 * The certificate a front door presents.
 */
export class TlsCertificate {
  /**
   * A `kubernetes.io/tls` Secret that exists, in the namespace where the data plane reads it:
   * the Istio gateway pods' namespace for an Istio Gateway; the Gateway's namespace for the
   * Gateway API; the route's for Traefik; the proxy's for `EnvoyJwtProxy`.
   *
   * @param secretName the Secret's name
   */
  public static fromSecret(secretName: string): TlsCertificate {
    const ctx = 'TlsCertificate.fromSecret';
    [secretName] = checkArgs(ctx, 'TlsCertificate', 'fromSecret', [secretName]);
    return new TlsCertificate('secret', checkDnsSubdomain(ctx, 'secretName', secretName), undefined, undefined);
  }

  /**
   * A cert-manager `Certificate` that the front door writes for its hosts, in the namespace where
   * its data plane reads the Secret; cert-manager issues the certificate and renews it.
   *
   * @param options the issuer, and optionally the names and the Secret
   */
  public static fromCertManager(options: CertManagerCertificateOptions): TlsCertificate {
    const ctx = 'TlsCertificate.fromCertManager';
    [options] = checkArgs(ctx, 'TlsCertificate', 'fromCertManager', [options]);
    checkDnsSubdomain(ctx, 'options.issuerName', options.issuerName);
    if (options.dnsNames !== undefined) {
      checkHostnames(ctx, 'options.dnsNames', options.dnsNames, { wildcard: true });
    }
    const secretName = options.secretName === undefined ? undefined : checkDnsSubdomain(ctx, 'options.secretName', options.secretName);
    return new TlsCertificate('cert-manager', secretName, options, undefined);
  }

  /**
   * A certificate from one of Traefik's certificate resolvers (for example Let's Encrypt via
   * ACME), configured in Traefik's static configuration (`certificatesResolvers.<name>`).
   * Traefik front doors only.
   *
   * @param resolverName the resolver's name
   */
  public static fromTraefikCertResolver(resolverName: string): TlsCertificate {
    const ctx = 'TlsCertificate.fromTraefikCertResolver';
    [resolverName] = checkArgs(ctx, 'TlsCertificate', 'fromTraefikCertResolver', [resolverName]);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(resolverName)) {
      fail(ctx, 'resolverName', resolverName, 'the name of a certificate resolver of Traefik\'s static configuration, such as "letsencrypt"');
    }
    return new TlsCertificate('resolver', undefined, undefined, resolverName);
  }

  /** @internal */
  public readonly _kind: 'secret' | 'cert-manager' | 'resolver';

  /** @internal */
  public readonly _certManager?: CertManagerCertificateOptions;

  /**
   * The Secret with the certificate.
   *
   * @default - none for a Traefik resolver; for cert-manager without `secretName`, the Certificate's name
   */
  public readonly secretName?: string;

  /**
   * The Traefik certificate resolver.
   *
   * @default - none: the certificate is in a Secret
   */
  public readonly traefikCertResolver?: string;

  private constructor(kind: 'secret' | 'cert-manager' | 'resolver', secretName: string | undefined,
    certManager: CertManagerCertificateOptions | undefined, resolver: string | undefined) {
    made(this);
    this._kind = kind;
    this.secretName = secretName;
    this._certManager = certManager;
    this.traefikCertResolver = resolver;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    switch (this._kind) {
      case 'secret': return `TlsCertificate.fromSecret(${JSON.stringify(this.secretName)})`;
      case 'cert-manager': return `TlsCertificate.fromCertManager({ issuerName: ${JSON.stringify(this._certManager!.issuerName)} })`;
      case 'resolver': return `TlsCertificate.fromTraefikCertResolver(${JSON.stringify(this.traefikCertResolver)})`;
      default: return 'a TlsCertificate not made by its factories';
    }
  }
}

/**
 * Where TLS ends for a front door, and with which certificate.
 */
export class TlsTermination {
  /**
   * TLS ends at the load balancer in front of the gateway (for example an AWS NLB with
   * `AwsNlbTls.annotations`): the gateway's 443 port speaks plain HTTP (and h2c, so gRPC works).
   * Only safe when the load balancer is the only way to reach that port. Istio and Gateway API
   * front doors.
   */
  public static atLoadBalancer(): TlsTermination {
    return new TlsTermination('lb', undefined);
  }

  /**
   * TLS ends at the front door's proxy (the Istio gateway, the Gateway API gateway, Traefik, the
   * Envoy proxy, KServe's local gateway), with this certificate.
   *
   * @param certificate the certificate the proxy presents
   */
  public static atProxy(certificate: TlsCertificate): TlsTermination {
    [certificate] = checkArgs('TlsTermination.atProxy', 'TlsTermination', 'atProxy', [certificate]);
    return new TlsTermination('proxy', certificate);
  }

  /**
   * TLS ends at the proxy, and clients must present a certificate signed by the CA in the
   * certificate's Secret (its `ca.crt` key, or a `<secret>-cacert` Secret). Istio Gateways only.
   *
   * @param certificate the certificate the proxy presents
   */
  public static mutualAtProxy(certificate: TlsCertificate): TlsTermination {
    [certificate] = checkArgs('TlsTermination.mutualAtProxy', 'TlsTermination', 'mutualAtProxy', [certificate]);
    return new TlsTermination('mutual', certificate);
  }

  /**
   * No TLS: credentials and model traffic cross the network in clear text, readable by anyone on
   * the path. Only where something else encrypts the traffic (a service mesh, a TLS-terminating
   * load balancer in front of Traefik's `web` entry point). Traefik and `KServeLocalGateway`.
   */
  public static insecurePlainHttp(): TlsTermination {
    return new TlsTermination('none', undefined);
  }

  /** @internal */
  public readonly _mode: 'lb' | 'proxy' | 'mutual' | 'none';

  /**
   * The certificate the proxy presents.
   *
   * @default - none: TLS ends at the load balancer, or there is none
   */
  public readonly certificate?: TlsCertificate;

  private constructor(mode: 'lb' | 'proxy' | 'mutual' | 'none', certificate: TlsCertificate | undefined) {
    made(this);
    this._mode = mode;
    this.certificate = certificate;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    switch (this._mode) {
      case 'lb': return 'TlsTermination.atLoadBalancer()';
      case 'none': return 'TlsTermination.insecurePlainHttp()';
      case 'proxy': return `TlsTermination.atProxy(${this.certificate?._describe()})`;
      case 'mutual': return `TlsTermination.mutualAtProxy(${this.certificate?._describe()})`;
      default: return 'a TlsTermination not made by its factories';
    }
  }
}
