import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as networking from '../../imports/networking.istio.io';
import { claimObjectNames } from '../_names';
import { checkProxyPods, ISTIO_INGRESS_PODS } from '../_proxy-pods';
import { resolveTls } from '../_tls';
import { abandon, byCodeUnits, checkArgs, checkDns1035Label, checkHostname, checkProps, claimName, contextOf, fail, isDnsLabel } from '../_validate';
import { addValuesFile, valuesFileName } from '../_values-files';
import { RULES } from '../lint/_rules';
import { suppressLint } from '../lint/_suppress';
import { ProxyPods } from '../proxy-pods';
import { TlsTermination } from '../tls';

/**
 * Props of `KServeLocalGateway`.
 */
export interface KServeLocalGatewayProps {
  /**
   * `TlsTermination.atProxy(certificate)` to serve HTTPS (port 8445, Service port 443), with a
   * Secret in the gateway pods' namespace or a cert-manager certificate for the Service's
   * cluster DNS name; `TlsTermination.insecurePlainHttp()` for HTTP (port 8082, Service port 80).
   *
   * @default TlsTermination.insecurePlainHttp(): callers in the cluster, outside the mesh
   */
  readonly tls?: TlsTermination;

  /**
   * Name of the Gateway and its Service (the `ingress` config refers to both).
   *
   * @default "kserve-local-gateway"
   */
  readonly name?: string;

  /**
   * The ingress gateway pods: the Gateway and the Service go in their namespace.
   *
   * @default { namespace: "istio-system", selector: { istio: "ingressgateway" } }
   */
  readonly gatewayPods?: ProxyPods;

  /**
   * Other keys of KServe's `ingress` config to set (see `ingressConfig`).
   *
   * @default - only the keys this gateway needs
   */
  readonly ingress?: KServeIngressConfigOptions;
}

/**
 * KServe's `ingress` config with this gateway merged in (`KServeLocalGateway.ingressConfig`).
 */
export interface KServeIngressConfig {
  /** The whole `ingress` JSON document: the current one with the changed keys. */
  readonly document: string;

  /** The keys set, sorted (a key already at its value is not listed). */
  readonly changedKeys: string[];
}

/**
 * Keys of KServe's `ingress` settings to set besides the local gateway's. Each one given is
 * written; an option not given leaves the current value.
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
   * @default - unchanged
   */
  readonly ingressDomain?: string;

  /**
   * The gateway for traffic from outside the cluster, as `namespace/name`.
   *
   * @default - unchanged
   */
  readonly ingressGateway?: string;

  /**
   * Knative's local gateway Service.
   *
   * @default - unchanged
   */
  readonly knativeLocalGatewayService?: string;

  /**
   * The URL scheme of model URLs.
   *
   * @default - "https" when the local gateway serves HTTPS, else unchanged
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

  /**
   * The cert-manager Certificate for the Service's names.
   *
   * @default - none unless the certificate is `TlsCertificate.fromCertManager`
   */
  public readonly certificate?: ApiObject;

  /** Whether the gateway serves HTTPS. */
  public readonly https: boolean;

  /** The keys of KServe's `ingress` config this gateway sets. */
  private readonly ingressKeys: { [key: string]: unknown };

  constructor(scope: Construct, id: string, props: KServeLocalGatewayProps = {}) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      // The name is the Service's too: a DNS-1035 label.
      const name = checkDns1035Label(ctx, 'name', props.name ?? 'kserve-local-gateway');
      const { namespace, selector } = checkProxyPods(ctx, 'gatewayPods', props.gatewayPods ?? ISTIO_INGRESS_PODS);
      claimName(this, ctx, 'name', `Gateway and Service ${namespace}/${name}`, name);
      const tls = resolveTls(this, ctx, 'tls', props.tls ?? TlsTermination.insecurePlainHttp(), {
        modes: ['proxy', 'none'],
        namespace,
        dnsNames: [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`],
        certificateName: `${name}-tls`,
      });
      this.certificate = tls.certificate;
      const https = this.https = tls.mode === 'proxy';
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
              credentialName: tls.secretName,
              minProtocolVersion: networking.GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
            } : undefined,
          }],
        },
      });
      suppressLint(this.gateway, RULES.gatewayHostsAnyNamespace,
        'KServe\'s local gateway serves every InferenceService host: Knative binds their VirtualServices from each model\'s namespace; each model\'s own policies still apply');
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
      this.ingressKeys = ingressKeys(ctx, props.ingress ?? {}, this.gatewayRef, this.serviceHost, https);
      const keys = this.ingressKeys;
      addValuesFile(this, valuesFileName(this, 'kserve-ingress-patch.json'), () => `${JSON.stringify(keys, undefined, 2)}\n`);
      claimObjectNames(this, ctx, {}, tls.writtenSecrets);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /**
   * KServe's `ingress` config (the `ingress` key of the `inferenceservice-config` ConfigMap in
   * KServe's namespace) with this local gateway: the current document with only the keys this
   * gateway and the `ingress` options need, and which keys those are. KServe reads the key as
   * one document, so the rest must stay as it is:
   * `kubectl get configmap inferenceservice-config -n kserve -o jsonpath='{.data.ingress}'`.
   *
   * `App.synth()` writes the keys as a JSON merge patch to
   * `<outdir>/values/<path>.kserve-ingress-patch.json`.
   *
   * @param current the current `ingress` JSON document
   */
  public ingressConfig(current: string): KServeIngressConfig {
    const ctx = `${CLASS}.ingressConfig`;
    [current] = checkArgs(ctx, CLASS, 'ingressConfig', [current]);
    let doc: any;
    try {
      doc = JSON.parse(current);
    } catch {
      doc = undefined;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      fail(ctx, 'current', current.length > 80 ? `${current.slice(0, 80)}…` : current,
        'the current ingress JSON document of inferenceservice-config, an object such as {"ingressGateway": ...}');
    }
    const changedKeys = Object.entries(this.ingressKeys).filter(([k, v]) => JSON.stringify(doc[k]) !== JSON.stringify(v)).map(([k]) => k).sort();
    return { document: JSON.stringify({ ...doc, ...this.ingressKeys }, undefined, 2), changedKeys };
  }
}

/** The `ingress` keys to set: the local gateway's, and the options given. */
function ingressKeys(ctx: string, options: KServeIngressConfigOptions, gatewayRef: string, serviceHost: string,
  https: boolean): { [key: string]: unknown } {
  const keys: { [key: string]: unknown } = {
    localGateway: gatewayRef,
    localGatewayService: serviceHost,
    disableIstioVirtualHost: options.disableIstioVirtualHost ?? true,
  };
  if (options.ingressGateway !== undefined) {
    const parts = options.ingressGateway.split('/');
    if (parts.length !== 2 || !parts.every(isDnsLabel)) {
      fail(ctx, 'ingress.ingressGateway', options.ingressGateway, 'a Gateway as "namespace/name"');
    }
    keys.ingressGateway = options.ingressGateway;
  }
  if (options.ingressDomain !== undefined) {
    keys.ingressDomain = checkHostname(ctx, 'ingress.ingressDomain', options.ingressDomain);
  }
  if (options.knativeLocalGatewayService !== undefined) {
    keys.knativeLocalGatewayService = checkHostname(ctx, 'ingress.knativeLocalGatewayService', options.knativeLocalGatewayService);
  }
  const scheme = options.urlScheme ?? (https ? 'https' : undefined);
  if (scheme !== undefined) {
    if (scheme !== 'http' && scheme !== 'https') {
      fail(ctx, 'ingress.urlScheme', scheme, '"http" or "https"');
    }
    keys.urlScheme = scheme;
  }
  return Object.fromEntries(Object.entries(keys).sort(([a], [b]) => byCodeUnits(a, b)));
}
