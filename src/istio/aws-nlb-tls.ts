import { byCodeUnits, checkArgs, fail, isPortName } from '../_validate';

/**
 * The ALPN policy of an AWS Network Load Balancer TLS listener.
 */
export enum NlbAlpnPolicy {
  /** HTTP/1.1 only: breaks gRPC. */
  HTTP1_ONLY = 'HTTP1Only',
  /** HTTP/2 only. */
  HTTP2_ONLY = 'HTTP2Only',
  /** Prefer HTTP/1.1, allow HTTP/2. */
  HTTP2_OPTIONAL = 'HTTP2Optional',
  /** Prefer HTTP/2, allow HTTP/1.1: gRPC and browsers both work. */
  HTTP2_PREFERRED = 'HTTP2Preferred',
  /** No ALPN (the NLB default): grpc-go 1.67 and later refuse the connection. */
  NONE = 'None',
}

/**
 * Whether the load balancer is reachable from the internet.
 */
export enum NlbScheme {
  /** A public load balancer. */
  INTERNET_FACING = 'internet-facing',
  /** A load balancer reachable only inside the VPC (the AWS Load Balancer Controller's default). */
  INTERNAL = 'internal',
}

/**
 * Options for `AwsNlbTls.annotations`.
 */
export interface AwsNlbTlsOptions {
  /** ACM certificate ARNs for the TLS listener (at least one). */
  readonly certificateArns: string[];

  /**
   * The listener's ALPN policy.
   *
   * @default NlbAlpnPolicy.HTTP2_PREFERRED
   */
  readonly alpnPolicy?: NlbAlpnPolicy;

  /**
   * The traffic is gRPC: refuse ALPN policies that break it (HTTP1Only, None).
   *
   * @default true
   */
  readonly grpc?: boolean;

  /**
   * Internet-facing or internal.
   *
   * @default NlbScheme.INTERNET_FACING
   */
  readonly scheme?: NlbScheme;

  /**
   * The Service ports (numbers or names) that get TLS.
   *
   * @default ["443"]
   */
  readonly sslPorts?: string[];

  /**
   * The TLS negotiation policy: one whose lowest version is TLS 1.2 or 1.3 (its name says
   * `1-2` or `1-3`, such as `ELBSecurityPolicy-TLS13-1-3-2021-06`). Without this annotation the
   * controller would use `ELBSecurityPolicy-2016-08`, which accepts TLS 1.0 and 1.1.
   *
   * @default "ELBSecurityPolicy-TLS13-1-2-2021-06" (TLS 1.2 and 1.3)
   * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
   */
  readonly sslNegotiationPolicy?: string;
}

/** An ACM certificate ARN: partition, region, account, and the certificate's UUID (8-4-4-4-12 hex digits). */
const ARN = /^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CTX = 'AwsNlbTls.annotations';
const PREFIX = 'service.beta.kubernetes.io/aws-load-balancer';

/**
 * Annotations for the Istio ingress gateway's Service that make the AWS Load Balancer
 * Controller create a Network Load Balancer which terminates TLS with ACM certificates and
 * negotiates HTTP/2 for gRPC. Put them in the gateway's Helm values (`service.annotations`);
 * pair them with `TlsTermination.atLoadBalancer()`.
 *
 * Needs the AWS Load Balancer Controller: the legacy in-tree provider has no ALPN support.
 * Changing `aws-load-balancer-type` on a live Service leaks the old load balancer.
 */
export class AwsNlbTls {
  /**
   * The annotations, as a string map sorted by key.
   *
   * @param options certificates and listener settings
   */
  public static annotations(options: AwsNlbTlsOptions): { [key: string]: string } {
    [options] = checkArgs(CTX, 'AwsNlbTls', 'annotations', [options]);
    const arns = options.certificateArns;
    if (arns.length === 0) {
      fail(CTX, 'options.certificateArns', arns, 'at least one ACM certificate ARN');
    }
    arns.forEach((arn, i) => {
      if (arns.indexOf(arn) !== i) {
        fail(CTX, `options.certificateArns[${i}]`, arn, 'each certificate once (it is listed twice)');
      }
      if (!ARN.test(arn)) {
        fail(CTX, `options.certificateArns[${i}]`, arn, 'an ACM certificate ARN such as "arn:aws:acm:us-east-1:123456789012:certificate/<uuid>"');
      }
    });
    const alpn = options.alpnPolicy ?? NlbAlpnPolicy.HTTP2_PREFERRED;
    if (!Object.values(NlbAlpnPolicy).includes(alpn)) {
      fail(CTX, 'options.alpnPolicy', alpn, `one of ${Object.values(NlbAlpnPolicy).join(', ')}`);
    }
    if ((options.grpc ?? true) && (alpn === NlbAlpnPolicy.HTTP1_ONLY || alpn === NlbAlpnPolicy.NONE)) {
      fail(CTX, 'options.alpnPolicy', alpn, 'HTTP2Preferred, HTTP2Only or HTTP2Optional for gRPC (or grpc: false)');
    }
    const scheme = options.scheme ?? NlbScheme.INTERNET_FACING;
    if (!Object.values(NlbScheme).includes(scheme)) {
      fail(CTX, 'options.scheme', scheme, 'NlbScheme.INTERNET_FACING or NlbScheme.INTERNAL');
    }
    const ports = options.sslPorts ?? ['443'];
    if (ports.length === 0) {
      fail(CTX, 'options.sslPorts', ports, 'at least one port number or name');
    }
    ports.forEach((p, i) => {
      if (ports.indexOf(p) !== i) {
        fail(CTX, `options.sslPorts[${i}]`, p, 'each port once (it is listed twice)');
      }
      const n = Number(p);
      const isNumber = /^\d+$/.test(p) && n >= 1 && n <= 65535;
      const isName = isPortName(p);
      if (typeof p !== 'string' || !(isNumber || isName)) {
        fail(CTX, `options.sslPorts[${i}]`, p, 'a port number (1-65535) or a port name of the Service');
      }
    });
    const policy = options.sslNegotiationPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06';
    if (typeof policy !== 'string' || !/^ELBSecurityPolicy-[A-Za-z0-9-]*-1-[23]-[A-Za-z0-9-]+$/.test(policy)) {
      fail(CTX, 'options.sslNegotiationPolicy', policy,
        'an ELB security policy whose lowest version is TLS 1.2 or 1.3 (its name says 1-2 or 1-3), such as "ELBSecurityPolicy-TLS13-1-2-2021-06"');
    }
    const out: { [key: string]: string } = {
      [`${PREFIX}-alpn-policy`]: alpn,
      [`${PREFIX}-backend-protocol`]: 'tcp',
      [`${PREFIX}-nlb-target-type`]: 'ip',
      [`${PREFIX}-scheme`]: scheme,
      [`${PREFIX}-ssl-cert`]: arns.join(','),
      [`${PREFIX}-ssl-negotiation-policy`]: policy,
      [`${PREFIX}-ssl-ports`]: ports.join(','),
      [`${PREFIX}-type`]: 'external',
    };
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => byCodeUnits(a, b)));
  }

  private constructor() {}
}
