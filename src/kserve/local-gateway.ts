import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as networking from '../../imports/networking.istio.io';
import * as security from '../../imports/security.istio.io';
import { checkDns1035Label, checkDnsLabel, checkDnsSubdomain, isDnsLabel, checkHostname, contextOf, fail, abandon, checkArgs, checkProps, claim } from '../_validate';
import { checkSelector } from '../istio/_gateway';

/**
 * Props of `KServeLocalGateway`.
 */
export interface KServeLocalGatewayProps {
  /**
   * Serve HTTPS (port 8445, Service port 443) with the certificate in `credentialName`,
   * instead of HTTP (port 8082, Service port 80).
   *
   * @default false
   */
  readonly https?: boolean;

  /**
   * The `kubernetes.io/tls` Secret in `namespace` with the gateway's certificate (HTTPS only),
   * for example one issued by cert-manager.
   *
   * @default - none: required with `https`
   */
  readonly credentialName?: string;

  /**
   * Name of the Gateway and its Service (the `ingress` config refers to both).
   *
   * @default "kserve-local-gateway"
   */
  readonly name?: string;

  /**
   * Namespace of the ingress gateway pods, the Gateway and the Service.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /**
   * Labels of the ingress gateway pods.
   *
   * @default { istio: "ingressgateway" }
   */
  readonly gatewaySelector?: { [key: string]: string };
}

/**
 * Options for `KServeLocalGateway.ingressConfig`: the rest of KServe's `ingress` settings.
 */
export interface KServeIngressConfigOptions {
  /**
   * Do not create KServe's top-level VirtualService, so that the model's AuthorizationPolicy
   * sees the caller's identity.
   *
   * @default true
   */
  readonly disableIstioVirtualHost?: boolean;

  /**
   * The domain of model URLs.
   *
   * @default "example.com"
   */
  readonly ingressDomain?: string;

  /**
   * The gateway for traffic from outside the cluster, as `namespace/name`.
   *
   * @default "knative-serving/knative-ingress-gateway"
   */
  readonly ingressGateway?: string;

  /**
   * Knative's local gateway Service.
   *
   * @default "knative-local-gateway.istio-system.svc.cluster.local"
   */
  readonly knativeLocalGatewayService?: string;

  /**
   * The URL scheme of model URLs.
   *
   * @default "http", or "https" when the local gateway serves HTTPS
   */
  readonly urlScheme?: string;
}

const CLASS = 'KServeLocalGateway';

/**
 * KServe's own local Istio gateway, for callers outside the mesh once strict mTLS is on:
 * a Gateway on the ingress gateway pods (HTTP 8082, or HTTPS 8445 with a certificate) and a
 * Service in front of it. `ingressConfig` gives the matching `ingress` entry of KServe's
 * `inferenceservice-config` ConfigMap.
 */
export class KServeLocalGateway extends Construct {
  /** The Gateway; also the construct's default child. */
  public readonly gateway: ApiObject;

  /** The Service. */
  public readonly service: ApiObject;

  /** `namespace/name` of the Gateway. */
  public readonly gatewayRef: string;

  /** The Service's cluster DNS name. */
  public readonly serviceHost: string;

  /** Whether the gateway serves HTTPS. */
  public readonly https: boolean;

  constructor(scope: Construct, id: string, props: KServeLocalGatewayProps = {}) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      // The name is the Service's too: a DNS-1035 label.
      const name = checkDns1035Label(ctx, 'name', props.name ?? 'kserve-local-gateway');
      const namespace = checkDnsLabel(ctx, 'namespace', props.namespace ?? 'istio-system');
      const selector = checkSelector(ctx, props.gatewaySelector ?? { istio: 'ingressgateway' });
      const https = this.https = props.https ?? false;
      if (https && props.credentialName === undefined) {
        fail(ctx, 'credentialName', undefined, 'the name of the TLS Secret with https: true');
      }
      if (!https && props.credentialName !== undefined) {
        fail(ctx, 'credentialName', props.credentialName, 'no credentialName without https: true');
      }
      if (props.credentialName !== undefined) {
        checkDnsSubdomain(ctx, 'credentialName', props.credentialName);
      }
      claimName(this, ctx, 'name', `Gateway and Service ${namespace}/${name}`, name);
      const port = https ? 8445 : 8082;
      this.gateway = new networking.Gateway(this, 'Resource', {
        metadata: { name, namespace },
        spec: {
          selector,
          servers: [{
            hosts: ['*'],
            port: { number: port, name: https ? 'https' : 'http', protocol: https ? 'HTTPS' : 'HTTP' },
            tls: https ? {
              mode: networking.GatewaySpecServersTlsMode.SIMPLE,
              credentialName: props.credentialName,
              minProtocolVersion: networking.GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
            } : undefined,
          }],
        },
      });
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: {
          name,
          namespace,
          // Istio would otherwise translate the Service port (80) to the Gateway port.
          labels: https ? undefined : { 'experimental.istio.io/disable-gateway-port-translation': 'true' },
        },
        spec: {
          selector,
          ports: [{
            name: https ? 'https' : 'http',
            protocol: 'TCP',
            port: https ? 443 : 80,
            targetPort: k8s.IntOrString.fromNumber(port),
          }],
        },
      });
      this.gatewayRef = `${namespace}/${name}`;
      this.serviceHost = `${name}.${namespace}.svc.cluster.local`;
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /**
   * The complete `ingress` JSON document for KServe's `inferenceservice-config` ConfigMap,
   * with this local gateway. KServe reads the key as one document: a partial one is rejected
   * ("ingressGateway is required"), so every field is written.
   *
   * @param options the other ingress settings
   */
  public ingressConfig(options: KServeIngressConfigOptions = {}): string {
    const ctx = `${CLASS}.ingressConfig`;
    [options = {}] = checkArgs(ctx, CLASS, 'ingressConfig', [options]);
    const ingressGateway = options.ingressGateway ?? 'knative-serving/knative-ingress-gateway';
    const parts = ingressGateway.split('/');
    if (parts.length !== 2 || !parts.every(isDnsLabel)) {
      fail(ctx, 'options.ingressGateway', ingressGateway, 'a Gateway as "namespace/name"');
    }
    const domain = checkHostname(ctx, 'options.ingressDomain', options.ingressDomain ?? 'example.com');
    const knativeLocal = checkHostname(ctx, 'options.knativeLocalGatewayService', options.knativeLocalGatewayService ?? 'knative-local-gateway.istio-system.svc.cluster.local');
    const scheme = options.urlScheme ?? (this.https ? 'https' : 'http');
    if (scheme !== 'http' && scheme !== 'https') {
      fail(ctx, 'options.urlScheme', scheme, '"http" or "https"');
    }
    return JSON.stringify({
      enableGatewayApi: false,
      kserveIngressGateway: 'kserve/kserve-ingress-gateway',
      ingressGateway,
      knativeLocalGatewayService: knativeLocal,
      localGateway: this.gatewayRef,
      localGatewayService: this.serviceHost,
      ingressDomain: domain,
      ingressClassName: 'istio',
      domainTemplate: '{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}',
      urlScheme: scheme,
      disableIstioVirtualHost: options.disableIstioVirtualHost ?? true,
      disableIngressCreation: false,
      pathTemplate: '/serving/{{ .Namespace }}/{{ .Name }}',
    }, undefined, 2);
  }
}

/**
 * Props of `MeshWideStrictMtls`.
 */
export interface MeshWideStrictMtlsProps {
  /**
   * Istio's root namespace: mesh-wide policies live there.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;

  /**
   * Also write the knative-local-gateway Gateway with ISTIO_MUTUAL on 8081, which KServe's
   * top-level VirtualService needs under mesh-wide strict mTLS. Set false when the
   * top-level VirtualService is disabled (`disableIstioVirtualHost`).
   *
   * @default true
   */
  readonly knativeLocalGateway?: boolean;

  /**
   * Labels of the gateway pods behind knative-local-gateway.
   *
   * @default { istio: "ingressgateway" }
   */
  readonly gatewaySelector?: { [key: string]: string };
}

/**
 * Strict mTLS for the whole mesh: a mesh-wide STRICT PeerAuthentication (servers refuse
 * plaintext), a `*.local` DestinationRule with ISTIO_MUTUAL (clients send mTLS), and the
 * knative-local-gateway Gateway on 8081 with ISTIO_MUTUAL.
 */
export class MeshWideStrictMtls extends Construct {
  /** The mesh-wide PeerAuthentication; also the construct's default child. */
  public readonly peerAuthentication: ApiObject;

  /** The `*.local` DestinationRule. */
  public readonly destinationRule: ApiObject;

  /**
   * The knative-local-gateway Gateway.
   *
   * @default - none with `knativeLocalGateway: false`
   */
  public readonly knativeLocalGateway?: ApiObject;

  constructor(scope: Construct, id: string, props: MeshWideStrictMtlsProps = {}) {
    super(scope, id);
    try {
      const ctx = contextOf(this, 'MeshWideStrictMtls');
      props = checkProps(ctx, 'MeshWideStrictMtls', props);
      const root = checkDnsLabel(ctx, 'rootNamespace', props.rootNamespace ?? 'istio-system');
      const selector = checkSelector(ctx, props.gatewaySelector ?? { istio: 'ingressgateway' });
      // Both objects have fixed names: a second one in the app would overwrite the first.
      claimName(this, ctx, 'rootNamespace', `PeerAuthentication ${root}/default`, root);
      if (props.knativeLocalGateway ?? true) {
        claimName(this, ctx, 'knativeLocalGateway', 'Gateway knative-serving/knative-local-gateway', true);
      }
      this.peerAuthentication = new security.PeerAuthentication(this, 'Resource', {
        metadata: { name: 'default', namespace: root },
        spec: { mtls: { mode: security.PeerAuthenticationSpecMtlsMode.STRICT } },
      });
      this.destinationRule = new networking.DestinationRule(this, 'DestinationRule', {
        metadata: { namespace: root },
        spec: { host: '*.local', trafficPolicy: { tls: { mode: networking.DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL } } },
      });
      if (props.knativeLocalGateway ?? true) {
        this.knativeLocalGateway = new networking.Gateway(this, 'KnativeLocalGateway', {
          metadata: { name: 'knative-local-gateway', namespace: 'knative-serving' },
          spec: {
            selector,
            servers: [{
              hosts: ['*'],
              port: { number: 8081, name: 'https', protocol: 'HTTPS' },
              tls: { mode: networking.GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL },
            }],
          },
        });
      }
    } catch (e) {
      abandon(this);
      throw e;
    }
  }
}

/** Refuses a second object of the same kind, namespace and name in one app. */
function claimName(construct: Construct, ctx: string, prop: string, object: string, value: unknown): void {
  const other = claim(construct, object);
  if (other !== undefined) {
    fail(ctx, prop, value, `a value that does not write the ${object} that ${other} writes already (one per app)`);
  }
}
