import { checkArgs, checkDnsSubdomain, made } from '../_validate';

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
    return new IstioTls('SIMPLE', checkCredential('simple', credentialName));
  }

  /**
   * TLS ends at the gateway and clients must present a certificate signed by the CA in the
   * Secret (`ca.crt` key, or a `<credentialName>-cacert` Secret).
   *
   * @param credentialName the Secret's name
   */
  public static mutual(credentialName: string): IstioTls {
    return new IstioTls('MUTUAL', checkCredential('mutual', credentialName));
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
    made(this);
    this._mode = mode;
    this.credentialName = credentialName;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    return this._mode === 'lb' ? 'IstioTls.atLoadBalancer()' : `IstioTls.${this._mode === 'SIMPLE' ? 'simple' : 'mutual'}(${JSON.stringify(this.credentialName)})`;
  }
}

/** A kubernetes.io/tls Secret's name (a DNS-1123 subdomain), in the gateway's namespace. */
function checkCredential(method: string, name: string): string {
  const ctx = `IstioTls.${method}`;
  [name] = checkArgs(ctx, 'IstioTls', method, [name]);
  return checkDnsSubdomain(ctx, 'credentialName', name);
}
