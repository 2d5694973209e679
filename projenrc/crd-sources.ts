/**
 * The CRD kinds this library binds to, where each file comes from, and which served
 * version is imported. The `import` task reads this table; `imports/README.md` is
 * written from it, so the project always says where its generated types come from.
 */
export interface CrdSource {
  /** File under the CRD folder (`CRDS_DIR`, default `imports/crds`). */
  readonly file: string;
  /** API group; `cdk8s import` writes one module per group: `imports/<group>.ts`. */
  readonly group: string;
  /** The one served version to import for every kind below. */
  readonly version: string;
  /** The kinds (spec.names.kind) to import; every other CRD in the file is skipped. */
  readonly kinds: string[];
  /** Upstream project, tag and path of the file. */
  readonly upstream: string;
  /**
   * Schema properties left out of the bindings (dotted paths from the root of
   * `openAPIV3Schema`), for CRDs whose full schema would make the package large.
   * Manifests are still validated against the full schema in the tests.
   */
  readonly omit?: string[];
}

export const CRD_SOURCES: CrdSource[] = [
  {
    file: 'istio/networking.istio.io.yaml',
    group: 'networking.istio.io',
    version: 'v1',
    kinds: ['DestinationRule', 'Gateway', 'VirtualService'],
    upstream: 'https://github.com/istio/istio/blob/1.30.3/manifests/charts/base/files/crd-all.gen.yaml (Istio 1.30.3)',
  },
  {
    file: 'istio/security.istio.io.yaml',
    group: 'security.istio.io',
    version: 'v1',
    kinds: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'],
    upstream: 'https://github.com/istio/istio/blob/1.30.3/manifests/charts/base/files/crd-all.gen.yaml (Istio 1.30.3)',
  },
  {
    file: 'istio/extensions.istio.io.yaml',
    group: 'extensions.istio.io',
    version: 'v1alpha1',
    kinds: ['WasmPlugin'],
    upstream: 'https://github.com/istio/istio/blob/1.30.3/manifests/charts/base/files/crd-all.gen.yaml (Istio 1.30.3)',
  },
  {
    file: 'traefik/traefik.io.yaml',
    group: 'traefik.io',
    version: 'v1alpha1',
    kinds: ['IngressRoute', 'Middleware', 'TLSOption'],
    upstream: 'https://github.com/traefik/traefik-helm-chart/tree/v41.3.0/traefik/crds (chart 41.3.0, Traefik v3.7.11)',
  },
  {
    file: 'kserve/serving.kserve.io.yaml',
    group: 'serving.kserve.io',
    version: 'v1beta1',
    kinds: ['InferenceService'],
    upstream: 'https://github.com/kserve/kserve/tree/v0.20.0/config/crd/full (KServe v0.20.0)',
    // The library builds predictors only (model + pod settings). The transformer, explainer
    // and canary components, multi-node worker specs and the framework-specific predictor
    // shortcuts (superseded by `model.modelFormat`) would add ~5 MB of bindings.
    omit: [
      'spec.canary', 'spec.explainer', 'spec.transformer',
      'spec.predictor.workerSpec',
      ...['huggingface', 'lightgbm', 'onnx', 'paddle', 'pmml', 'pytorch', 'sklearn', 'tensorflow', 'triton', 'xgboost']
        .map(f => `spec.predictor.${f}`),
    ],
  },
  {
    file: 'gateway-api/gateway.networking.k8s.io.yaml',
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    kinds: ['GRPCRoute', 'Gateway', 'HTTPRoute'],
    upstream: 'https://github.com/kubernetes-sigs/gateway-api/tree/v1.6.1/config/crd/standard (Gateway API v1.6.1, standard channel)',
  },
];
