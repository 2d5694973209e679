import { ApiObject, Chart, JsonPatch, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import * as kserve from '../../imports/serving.kserve.io';
import { claimObjectNames } from '../_names';
import { checkArgs, checkBoolean, checkDns1035Label, checkDnsLabel, checkDnsSubdomain, checkInteger, checkList, checkNonEmpty, contextOf, fail, abandon, checkProps, checkRequestWithinLimit, claim, isQuantity, quantityValue } from '../_validate';
import { RULES } from '../lint/_rules';
import { suppressLint } from '../lint/_suppress';

/**
 * How KServe deploys the model (annotation `serving.kserve.io/deploymentMode`).
 */
export enum KServeDeploymentMode {
  /** Knative Serving: scale to zero, the activator, revisions (KServe 0.16 and later; `Serverless` before). */
  KNATIVE = 'Knative',
  /** A plain Deployment, Service and HPA (KServe 0.16 and later; `RawDeployment` before). */
  STANDARD = 'Standard',
}

/**
 * The inference protocol of the model server.
 */
export enum KServeProtocolVersion {
  /** KServe v1 REST (`/v1/models/<name>:predict`). */
  V1 = 'v1',
  /** Open Inference Protocol REST (`/v2/models/<name>/infer`). */
  V2 = 'v2',
  /** gRPC, v1 protocol. */
  GRPC_V1 = 'grpc-v1',
  /** Open Inference Protocol gRPC (`inference.GRPCInferenceService`). */
  GRPC_V2 = 'grpc-v2',
}

/**
 * Compute resources of the model server container. Quantities use Kubernetes notation
 * (`500m`, `2`, `4Gi`).
 */
export interface InferenceResources {
  /**
   * CPU request.
   * @default - none
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit.
   * @default - none
   */
  readonly cpuLimit?: string;
  /**
   * Memory request.
   * @default - none
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit.
   * @default - none
   */
  readonly memoryLimit?: string;
  /**
   * Number of GPUs (request and limit of `gpuResource`).
   * @default 0
   */
  readonly gpus?: number;
  /**
   * The extended resource name of the GPUs.
   * @default "nvidia.com/gpu"
   */
  readonly gpuResource?: string;
}

/**
 * Props of `MeshIsolatedInferenceService`.
 */
export interface MeshIsolatedInferenceServiceProps {
  /**
   * The InferenceService's name (a DNS-1035 label): it is part of the model's URL, so it
   * carries no generated suffix.
   *
   * @default - the construct's id
   */
  readonly name?: string;

  /**
   * The namespace the model is isolated to.
   *
   * @default - the chart's namespace
   */
  readonly namespace?: string;

  /**
   * Create the Namespace, labelled `istio-injection=enabled`. With false the namespace must
   * exist and have sidecar injection on; this construct then writes nothing for it.
   *
   * @default true
   */
  readonly createNamespace?: boolean;

  /** The model format, such as `sklearn`, `xgboost`, `pytorch`, `onnx`, `huggingface`. */
  readonly modelFormat: string;

  /**
   * The model format's version.
   *
   * @default - any version
   */
  readonly modelFormatVersion?: string;

  /** Where the model is: `gs://`, `s3://`, `pvc://`, `hf://`, `https://`, `oci://`, `azure://` or `http://`. */
  readonly storageUri: string;

  /**
   * The ServingRuntime.
   *
   * @default - chosen by KServe from the model format
   */
  readonly runtime?: string;

  /**
   * The inference protocol.
   *
   * @default - the runtime's default (v1 for most)
   */
  readonly protocolVersion?: KServeProtocolVersion;

  /**
   * The deployment mode.
   *
   * @default KServeDeploymentMode.KNATIVE
   */
  readonly deploymentMode?: KServeDeploymentMode;

  /**
   * Knative mode: take the activator off the request path (`targetBurstCapacity: "0"`). With
   * the activator on the path, callers reach the model through the knative-serving namespace,
   * whose requests must then be allowed: namespace isolation no longer holds (net-istio#554).
   *
   * @default true in Knative mode; not allowed in Standard mode
   */
  readonly bypassActivator?: boolean;

  /**
   * Minimum replicas.
   *
   * @default 1
   */
  readonly minReplicas?: number;

  /**
   * Maximum replicas.
   *
   * @default - KServe's default
   */
  readonly maxReplicas?: number;

  /**
   * Accept `minReplicas: 0` in Knative mode although scale-from-zero puts the activator back
   * on the request path, and with it the knative-serving namespace's access.
   *
   * @default false
   */
  readonly acceptScaleToZero?: boolean;

  /**
   * Container resources, GPUs included.
   *
   * @default - none
   */
  readonly resources?: InferenceResources;

  /**
   * The service account of the predictor (for storage credentials).
   *
   * @default - the namespace's default
   */
  readonly serviceAccountName?: string;

  /**
   * Other namespaces whose workloads may call the model (more with `allowNamespace`).
   *
   * @default - none
   */
  readonly allowedNamespaces?: string[];

  /**
   * Workload identities that may call the model, `<trust domain>/ns/<namespace>/sa/<service
   * account>`, such as a gateway deployment that serves only authenticated callers. Identities
   * of shared gateways and system namespaces need `acknowledgeSharedCallers`. More with `allowPrincipal`.
   *
   * @default - none
   */
  readonly allowedPrincipals?: string[];

  /**
   * Allow namespaces and identities that act for many callers: `istio-system`, `istio-ingress`
   * and `kube-system`, and the service accounts of ingress gateways. A request through such a
   * gateway carries the gateway's identity, whoever sent it: the ingress gateway pods that run
   * `kserve-local-gateway` also run `knative-ingress-gateway` and `knative-local-gateway`, so
   * allowing them lets every caller of those gateways reach the model.
   *
   * @default false
   */
  readonly acknowledgeSharedCallers?: boolean;
}

const CLASS = 'MeshIsolatedInferenceService';
const STORAGE = /^(gs|s3|pvc|hf|https|http|oci|azure):\/\/\S+$/;
const KNATIVE_PROBE_PATHS = ['/metrics', '/healthz', '/ready', '/wait-for-drain'];
const PRINCIPAL = /^[A-Za-z0-9.-]+\/ns\/([a-z0-9-]+)\/sa\/([a-z0-9.-]+)$/;
/** Namespaces whose workloads act for many callers (gateways, the activator) or are the platform's own. */
const SHARED_NAMESPACES = ['istio-ingress', 'istio-system', 'kube-system'];
/** Namespaces a model is not isolated into: the platform's own. */
const SYSTEM_NAMESPACES = ['istio-system', 'knative-serving', 'kserve', 'kube-node-lease', 'kube-public', 'kube-system'];

/**
 * A KServe InferenceService that only its own namespace (and callers you name) can reach,
 * with Istio strict mTLS.
 *
 * Writes the Namespace with sidecar injection, a STRICT PeerAuthentication and an ALLOW
 * AuthorizationPolicy for the model's pods, and the InferenceService with the sidecar label.
 * In Knative mode the activator is bypassed by default so that the caller's namespace can be
 * checked; the knative-serving namespace may reach only the probe and metrics paths.
 */
export class MeshIsolatedInferenceService extends Construct {
  /** The InferenceService; also the construct's default child. */
  public readonly inferenceService: ApiObject;

  /** The PeerAuthentication. */
  public readonly peerAuthentication: ApiObject;

  /** The AuthorizationPolicy. */
  public readonly authorizationPolicy: ApiObject;

  /**
   * The Namespace.
   *
   * @default - none with `createNamespace: false`
   */
  public readonly namespaceObject?: ApiObject;

  /** The InferenceService's name. */
  public readonly name: string;

  /** The namespace. */
  public readonly namespace: string;

  private readonly ctx!: string;
  private readonly shared!: boolean;
  private readonly namespaces: string[] = [];
  private readonly principals: string[] = [];

  constructor(scope: Construct, id: string, props: MeshIsolatedInferenceServiceProps) {
    super(scope, id);
    try {
      const ctx = contextOf(this, CLASS);
      props = checkProps(ctx, CLASS, props);
      const name = this.name = checkDns1035Label(ctx, 'name', props.name ?? id);
      const ns = props.namespace ?? Chart.of(this).namespace;
      if (ns === undefined) {
        fail(ctx, 'namespace', undefined, 'a namespace, in props or on the chart: isolation is per namespace');
      }
      const namespace = this.namespace = checkDnsLabel(ctx, 'namespace', ns);
      if (SYSTEM_NAMESPACES.includes(namespace)) {
        fail(ctx, 'namespace', namespace, `a namespace of its own, not one of the platform's (${SYSTEM_NAMESPACES.join(', ')})`);
      }
      // KServe names the predictor's host "<name>-predictor-<namespace>" (the default domain
      // template): a DNS label, so at most 63 characters, or the controller fails to reconcile.
      const hostLabel = `${name}-predictor-${namespace}`;
      if (hostLabel.length > 63) {
        fail(ctx, 'name', name, `a name of at most ${63 - hostLabel.length + name.length} characters in namespace "${namespace}": ` +
          `KServe derives the host label "${hostLabel}" (${hostLabel.length} characters; a DNS label has at most 63)`);
      }
      if (props.runtime !== undefined) {
        checkDnsSubdomain(ctx, 'runtime', props.runtime);
      }
      const isvc = claim(this, `InferenceService ${namespace}/${name}`);
      if (isvc !== undefined) {
        fail(ctx, 'name', name, `a name not used in namespace "${namespace}": ${isvc} writes that InferenceService`);
      }
      checkNonEmpty(ctx, 'modelFormat', props.modelFormat);
      if (!/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/.test(props.modelFormat)) {
        fail(ctx, 'modelFormat', props.modelFormat, 'a model format name such as "sklearn"');
      }
      if (typeof props.storageUri !== 'string' || !STORAGE.test(props.storageUri)) {
        fail(ctx, 'storageUri', props.storageUri, 'a URI with scheme gs, s3, pvc, hf, https, http, oci or azure, such as "gs://bucket/model"');
      }
      if (props.protocolVersion !== undefined && !Object.values(KServeProtocolVersion).includes(props.protocolVersion)) {
        fail(ctx, 'protocolVersion', props.protocolVersion, `one of ${Object.values(KServeProtocolVersion).join(', ')}`);
      }
      const mode = props.deploymentMode ?? KServeDeploymentMode.KNATIVE;
      if (!Object.values(KServeDeploymentMode).includes(mode)) {
        fail(ctx, 'deploymentMode', mode, 'KServeDeploymentMode.KNATIVE or KServeDeploymentMode.STANDARD');
      }
      const knative = mode === KServeDeploymentMode.KNATIVE;
      // Knative names the revisions "<name>-predictor-00001" and labels their pods with that
      // name: a label value has at most 63 characters.
      const revision = `${name}-predictor-00001`;
      if (knative && revision.length > 63) {
        fail(ctx, 'name', name, `a name of at most ${63 - revision.length + name.length} characters in Knative mode: ` +
          `Knative names the first revision "${revision}" (${revision.length} characters) and uses it as a label value (at most 63)`);
      }
      const minReplicas = checkInteger(ctx, 'minReplicas', props.minReplicas ?? 1, 0, 10000);
      const maxReplicas = props.maxReplicas === undefined ? undefined : checkInteger(ctx, 'maxReplicas', props.maxReplicas, 1, 10000);
      if (maxReplicas !== undefined && minReplicas > maxReplicas) {
        fail(ctx, 'minReplicas', minReplicas, `at most maxReplicas (${maxReplicas})`);
      }
      if (!knative) {
        for (const prop of ['bypassActivator', 'acceptScaleToZero'] as const) {
          if (props[prop] !== undefined) {
            fail(ctx, prop, props[prop], `no ${prop} in Standard mode: it is a Knative option (there is no activator)`);
          }
        }
        if (minReplicas === 0) {
          fail(ctx, 'minReplicas', 0, 'at least 1 in Standard mode (scale to zero is a Knative feature)');
        }
      }
      const bypass = knative && (props.bypassActivator ?? true);
      if (knative && bypass && minReplicas === 0 && props.acceptScaleToZero !== true) {
        fail(ctx, 'minReplicas', 0,
          'at least 1: scaling from zero puts the activator back on the request path and the knative-serving namespace can then reach the model (acceptScaleToZero: true to accept that)');
      }
      const shared = props.acknowledgeSharedCallers === undefined ? false : checkBoolean(ctx, 'acknowledgeSharedCallers', props.acknowledgeSharedCallers);
      this.ctx = ctx;
      this.shared = shared;
      checkList(ctx, 'allowedNamespaces', props.allowedNamespaces ?? []).forEach((n, i) => this.allowNamespaceAt(n, `allowedNamespaces[${i}]`));
      checkList(ctx, 'allowedPrincipals', props.allowedPrincipals ?? []).forEach((p, i) => this.allowPrincipalAt(p, `allowedPrincipals[${i}]`));
      if (props.serviceAccountName !== undefined) {
        checkDnsSubdomain(ctx, 'serviceAccountName', props.serviceAccountName);
      }
      const resources = resourceSpec(ctx, props.resources);

      if (props.createNamespace ?? true) {
        const other = claim(this, `namespace ${namespace}`);
        if (other !== undefined) {
          fail(ctx, 'createNamespace', true, `false: ${other} already creates namespace "${namespace}"`);
        }
        this.namespaceObject = new k8s.KubeNamespace(this, 'Namespace', {
          metadata: { name: namespace, labels: { 'istio-injection': 'enabled' } },
        });
        if (Chart.of(this).namespace !== undefined) {
          // Namespaces are cluster-scoped: drop the namespace cdk8s copies from the chart.
          this.namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
        }
      }
      const podSelector = { matchLabels: { 'serving.kserve.io/inferenceservice': name } };
      this.peerAuthentication = new security.PeerAuthentication(this, 'PeerAuthentication', {
        metadata: { namespace },
        spec: { selector: podSelector, mtls: { mode: security.PeerAuthenticationSpecMtlsMode.STRICT } },
      });

      // Read at synth, with the callers `allowNamespace` and `allowPrincipal` added.
      const callers = (): security.AuthorizationPolicySpecRules[] => [
        { from: [{ source: { namespaces: [...new Set([namespace, ...this.namespaces])].sort() } }] },
        ...(this.principals.length > 0 ? [{ from: [{ source: { principals: [...new Set(this.principals)].sort() } }] }] : []),
      ];
      const rules: security.AuthorizationPolicySpecRules[] = [];
      if (knative) {
        if (!bypass) {
          // The activator proxies every caller: it hides the caller's namespace (net-istio#554).
          rules.push({ from: [{ source: { namespaces: ['knative-serving'] } }] });
        }
        rules.push({ from: [{ source: { namespaces: ['knative-serving'] } }], to: [{ operation: { paths: KNATIVE_PROBE_PATHS } }] });
      }
      this.authorizationPolicy = new security.AuthorizationPolicy(this, 'AuthorizationPolicy', {
        metadata: { namespace },
        spec: {
          selector: podSelector,
          action: security.AuthorizationPolicySpecAction.ALLOW,
          rules: Lazy.any({ produce: () => [...callers(), ...rules] }) as unknown as security.AuthorizationPolicySpecRules[],
        },
      });

      const annotations: { [key: string]: string } = { 'serving.kserve.io/deploymentMode': mode };
      if (bypass) {
        annotations['autoscaling.knative.dev/targetBurstCapacity'] = '0';
      }
      this.inferenceService = new kserve.InferenceService(this, 'Resource', {
        metadata: { name, namespace, annotations },
        spec: {
          predictor: {
            labels: { 'sidecar.istio.io/inject': 'true' },
            minReplicas,
            maxReplicas,
            serviceAccountName: props.serviceAccountName,
            model: {
              modelFormat: { name: props.modelFormat, version: props.modelFormatVersion },
              runtime: props.runtime,
              storageUri: props.storageUri,
              protocolVersion: props.protocolVersion,
              resources,
            },
          },
        },
      });
      if (knative && !bypass) {
        suppressLint(this.inferenceService, RULES.kserveActivator,
          'bypassActivator: false: the activator stays on the request path, and the knative-serving namespace may reach the model for every caller');
      }
      claimObjectNames(this, ctx);
    } catch (e) {
      abandon(this);
      throw e;
    }
  }

  /**
   * Lets the workloads of another namespace call the model (in the mesh, by their mTLS identity).
   *
   * @param namespace the callers' namespace
   */
  public allowNamespace(namespace: string): void {
    [namespace] = checkArgs(this.ctx, CLASS, 'allowNamespace', [namespace]);
    this.allowNamespaceAt(namespace, 'allowNamespace(namespace)');
  }

  /**
   * Lets one workload identity call the model.
   *
   * @param principal the caller's identity, `<trust domain>/ns/<namespace>/sa/<service account>`
   */
  public allowPrincipal(principal: string): void {
    [principal] = checkArgs(this.ctx, CLASS, 'allowPrincipal', [principal]);
    this.allowPrincipalAt(principal, 'allowPrincipal(principal)');
  }

  private allowNamespaceAt(n: string, at: string): void {
    const ctx = this.ctx;
    checkDnsLabel(ctx, at, n);
    if (n === 'knative-serving') {
      fail(ctx, at, n,
        'another namespace: the activator in knative-serving carries every caller\'s request (bypassActivator: false allows it, and says so)');
    }
    if (SHARED_NAMESPACES.includes(n) && !this.shared) {
      fail(ctx, at, n, `a namespace of callers of the model: ${SHARED_WHY}`);
    }
    this.namespaces.push(n);
  }

  private allowPrincipalAt(p: string, at: string): void {
    const ctx = this.ctx;
    const m = typeof p === 'string' ? PRINCIPAL.exec(p) : null;
    if (!m) {
      fail(ctx, at, p, 'a workload identity "<trust domain>/ns/<namespace>/sa/<service account>"');
    }
    if (!this.shared && ([...SHARED_NAMESPACES, 'knative-serving'].includes(m[1]) || /gateway/.test(m[2]))) {
      fail(ctx, at, p, `the identity of a caller of the model, not of a gateway or a system namespace: ${SHARED_WHY}`);
    }
    this.principals.push(p);
  }
}

const SHARED_WHY = 'its workloads act for many callers (gateways), which would all reach the model (acknowledgeSharedCallers: true if they authenticate them)';

function resourceSpec(ctx: string, r: InferenceResources | undefined): kserve.InferenceServiceSpecPredictorModelResources | undefined {
  if (r === undefined) {
    return undefined;
  }
  const q = (prop: keyof InferenceResources): string | undefined => {
    const v = r[prop];
    if (v !== undefined && (!isQuantity(v as string) || quantityValue(v as string) <= 0)) {
      fail(ctx, `resources.${prop}`, v, 'a positive Kubernetes quantity such as "500m", "2" or "4Gi"');
    }
    return v as string | undefined;
  };
  const limits: { [k: string]: kserve.InferenceServiceSpecPredictorModelResourcesLimits } = {};
  const requests: { [k: string]: kserve.InferenceServiceSpecPredictorModelResourcesRequests } = {};
  const put = (map: any, key: string, v: string | undefined, cls: any) => {
    if (v !== undefined) {
      map[key] = cls.fromString(v);
    }
  };
  checkRequestWithinLimit(ctx, 'resources.cpuRequest', q('cpuRequest'), 'resources.cpuLimit', q('cpuLimit'));
  checkRequestWithinLimit(ctx, 'resources.memoryRequest', q('memoryRequest'), 'resources.memoryLimit', q('memoryLimit'));
  put(requests, 'cpu', q('cpuRequest'), kserve.InferenceServiceSpecPredictorModelResourcesRequests);
  put(limits, 'cpu', q('cpuLimit'), kserve.InferenceServiceSpecPredictorModelResourcesLimits);
  put(requests, 'memory', q('memoryRequest'), kserve.InferenceServiceSpecPredictorModelResourcesRequests);
  put(limits, 'memory', q('memoryLimit'), kserve.InferenceServiceSpecPredictorModelResourcesLimits);
  const gpus = r.gpus === undefined ? 0 : checkInteger(ctx, 'resources.gpus', r.gpus, 0, 64);
  if (gpus > 0) {
    const gpuResource = r.gpuResource ?? 'nvidia.com/gpu';
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/.test(gpuResource)) {
      fail(ctx, 'resources.gpuResource', gpuResource, 'an extended resource name such as "nvidia.com/gpu"');
    }
    // Extended resources cannot be overcommitted: request and limit must be equal.
    limits[gpuResource] = kserve.InferenceServiceSpecPredictorModelResourcesLimits.fromNumber(gpus);
    requests[gpuResource] = kserve.InferenceServiceSpecPredictorModelResourcesRequests.fromNumber(gpus);
  } else if (r.gpuResource !== undefined) {
    fail(ctx, 'resources.gpuResource', r.gpuResource, 'no gpuResource without gpus');
  }
  return {
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    requests: Object.keys(requests).length > 0 ? requests : undefined,
  };
}
