import { fail } from '../_validate';

/**
 * Where TLS ends for an Istio ingress gateway, and so what its HTTPS server looks like.
 */
export class IstioTls {
  /**
   * TLS ends at the load balancer in front of the gateway (for example an AWS NLB with
   * `AwsNlbTls.annotations`): the gateway's port 443 server speaks plain HTTP (which also
   * accepts HTTP/2 cleartext, so gRPC works). Only safe when the load balancer is the only
   * way to reach that port.
   */
  public static atLoadBalancer(): IstioTls {
    return new IstioTls('lb', undefined);
  }

  /**
   * TLS ends at the gateway with the certificate in a `kubernetes.io/tls` Secret in the
   * gateway workload's namespace (`credentialName`).
   *
   * @param credentialName the Secret's name
   */
  public static simple(credentialName: string): IstioTls {
    return new IstioTls('SIMPLE', checkCredential('IstioTls.simple', credentialName));
  }

  /**
   * TLS ends at the gateway and clients must present a certificate signed by the CA in the
   * Secret (`ca.crt` key, or a `<credentialName>-cacert` Secret).
   *
   * @param credentialName the Secret's name
   */
  public static mutual(credentialName: string): IstioTls {
    return new IstioTls('MUTUAL', checkCredential('IstioTls.mutual', credentialName));
  }

  /** @internal */
  public readonly _mode: 'lb' | 'SIMPLE' | 'MUTUAL';

  /**
   * The Secret with the gateway's certificate.
   *
   * @default - none: TLS ends at the load balancer
   */
  public readonly credentialName?: string;

  private constructor(mode: 'lb' | 'SIMPLE' | 'MUTUAL', credentialName: string | undefined) {
    this._mode = mode;
    this.credentialName = credentialName;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    return this._mode === 'lb' ? 'IstioTls.atLoadBalancer()' : `IstioTls.${this._mode === 'SIMPLE' ? 'simple' : 'mutual'}(${JSON.stringify(this.credentialName)})`;
  }
}

function checkCredential(ctx: string, name: string): string {
  if (typeof name !== 'string' || name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    fail(ctx, 'credentialName', name, 'the name of a kubernetes.io/tls Secret in the gateway\'s namespace (a DNS-1123 subdomain)');
  }
  return name;
}
