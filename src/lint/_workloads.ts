/**
 * Pods, Services and Envoy bootstraps as the checks see them.
 */
import { parse } from 'yaml';
import { Manifest, ManifestSet, namespaceOf, selects } from './_manifests';

const WORKLOADS: { readonly [kind: string]: string } = {
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
  Pod: 'spec',
};

/** A pod template of a workload, with the path of its pod spec. */
export interface PodTemplate {
  readonly manifest: Manifest;
  readonly namespace: string;
  readonly labels: { readonly [k: string]: string };
  readonly spec: any;
  /** The field path of `spec`. */
  readonly at: string;
}

function get(doc: any, at: string): any {
  return at.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), doc);
}

const templates = new WeakMap<ManifestSet, PodTemplate[]>();

/** Every pod template in the set. */
export function podTemplates(set: ManifestSet): PodTemplate[] {
  const known = templates.get(set);
  if (known) {
    return known;
  }
  const out: PodTemplate[] = [];
  templates.set(set, out);
  for (const m of set.all) {
    const at = WORKLOADS[m.doc.kind];
    if (at === undefined) {
      continue;
    }
    const spec = get(m.doc, at);
    if (spec === undefined || spec === null || typeof spec !== 'object') {
      continue;
    }
    const labels = m.doc.kind === 'Pod' ? m.doc.metadata?.labels : get(m.doc, at.replace(/\.spec$/, '.metadata'))?.labels;
    out.push({ manifest: m, namespace: namespaceOf(m.doc), labels: labels ?? {}, spec, at });
  }
  return out;
}

/** A Service a front door sends requests to. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  /** The port the route names (a number), if it names one. */
  readonly port?: number;
  /** What routes to it, for messages. */
  readonly by: Manifest;
  /** The data plane whose proxies call it. */
  readonly via: 'istio' | 'traefik' | 'gateway-api' | 'envoy';
}

function serviceHost(host: string, ns: string): { namespace: string; name: string } {
  // name, name.ns, name.ns.svc, name.ns.svc.cluster.local
  const parts = host.split('.');
  return { name: parts[0], namespace: parts.length > 1 ? parts[1] : ns };
}

/** The Services front doors route to, from every kind of route in the set. */
export function routedServices(set: ManifestSet): ServiceRef[] {
  const out: ServiceRef[] = [];
  for (const m of set.of('VirtualService', 'istio.io')) {
    const ns = namespaceOf(m.doc);
    for (const route of [...(m.doc.spec?.http ?? []), ...(m.doc.spec?.tcp ?? []), ...(m.doc.spec?.tls ?? [])]) {
      for (const dest of route.route ?? []) {
        if (typeof dest.destination?.host === 'string') {
          out.push({ ...serviceHost(dest.destination.host, ns), port: dest.destination.port?.number, by: m, via: 'istio' });
        }
      }
    }
  }
  for (const m of [...set.of('IngressRoute', 'traefik.io'), ...set.of('IngressRoute', 'traefik.containo.us')]) {
    const ns = namespaceOf(m.doc);
    for (const route of m.doc.spec?.routes ?? []) {
      for (const s of route.services ?? []) {
        if (typeof s.name === 'string' && (s.kind === undefined || s.kind === 'Service')) {
          out.push({ namespace: s.namespace ?? ns, name: s.name, port: typeof s.port === 'number' ? s.port : undefined, by: m, via: 'traefik' });
        }
      }
    }
  }
  for (const m of set.of('Ingress')) {
    const ns = namespaceOf(m.doc);
    const backends = [m.doc.spec?.defaultBackend, m.doc.spec?.backend,
      ...(m.doc.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))];
    for (const b of backends) {
      const name = b?.service?.name ?? b?.serviceName;
      if (typeof name === 'string') {
        const port = b.service?.port?.number ?? (typeof b.servicePort === 'number' ? b.servicePort : undefined);
        out.push({ namespace: ns, name, port, by: m, via: 'traefik' });
      }
    }
  }
  for (const kind of ['HTTPRoute', 'GRPCRoute']) {
    for (const m of set.of(kind, 'gateway.networking.k8s.io')) {
      const ns = namespaceOf(m.doc);
      for (const rule of m.doc.spec?.rules ?? []) {
        for (const b of rule.backendRefs ?? []) {
          if (typeof b.name === 'string' && (b.kind === undefined || b.kind === 'Service')) {
            out.push({ namespace: b.namespace ?? ns, name: b.name, port: b.port, by: m, via: 'gateway-api' });
          }
        }
      }
    }
  }
  for (const b of envoyBootstraps(set)) {
    for (const c of b.bootstrap?.static_resources?.clusters ?? []) {
      for (const e of c.load_assignment?.endpoints ?? []) {
        for (const lb of e.lb_endpoints ?? []) {
          const sa = lb.endpoint?.address?.socket_address;
          const ns = namespaceOf(b.manifest.doc);
          if (typeof sa?.address === 'string' && (/\.svc(\.|$)/.test(sa.address) || serviceOf(set, { namespace: ns, name: sa.address }))) {
            out.push({ ...serviceHost(sa.address, ns), port: sa.port_value, by: b.manifest, via: 'envoy' });
          }
        }
      }
    }
  }
  return out;
}

/** The Service object a reference names, if the set has it. */
export function serviceOf(set: ManifestSet, ref: { namespace: string; name: string }): Manifest | undefined {
  return set.of('Service', '').find(s => namespaceOf(s.doc) === ref.namespace && s.doc.metadata?.name === ref.name);
}

/** The pod templates a Service selects. */
export function podsOf(set: ManifestSet, service: Manifest): PodTemplate[] {
  const sel = service.doc.spec?.selector;
  if (sel === undefined || Object.keys(sel).length === 0) {
    return [];
  }
  return podTemplates(set).filter(p => p.namespace === namespaceOf(service.doc) && selects(sel, p.labels));
}

/** An Envoy bootstrap found in a ConfigMap. */
export interface EnvoyBootstrap {
  readonly manifest: Manifest;
  /** The ConfigMap key. */
  readonly key: string;
  readonly bootstrap: any;
}

const bootstraps = new WeakMap<ManifestSet, EnvoyBootstrap[]>();

/** Envoy bootstraps (objects with `static_resources`) in ConfigMap values, YAML or JSON. */
export function envoyBootstraps(set: ManifestSet): EnvoyBootstrap[] {
  const known = bootstraps.get(set);
  if (known) {
    return known;
  }
  const out: EnvoyBootstrap[] = [];
  for (const m of set.of('ConfigMap', '')) {
    for (const [key, value] of Object.entries(m.doc.data ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (typeof value !== 'string' || !/static_resources/.test(value)) {
        continue;
      }
      try {
        const b = parse(value);
        if (b && typeof b === 'object' && b.static_resources) {
          out.push({ manifest: m, key, bootstrap: b });
        }
      } catch {
        // not YAML: not a bootstrap this check can read
      }
    }
  }
  bootstraps.set(set, out);
  return out;
}

/** The HTTP connection managers of a bootstrap, with their field paths. */
export function connectionManagers(b: EnvoyBootstrap): { hcm: any; at: string }[] {
  const out: { hcm: any; at: string }[] = [];
  (b.bootstrap.static_resources?.listeners ?? []).forEach((l: any, li: number) => {
    (l.filter_chains ?? []).forEach((fc: any, ci: number) => {
      (fc.filters ?? []).forEach((f: any, fi: number) => {
        const c = f.typed_config ?? f.config;
        if (f.name === 'envoy.filters.network.http_connection_manager' || f.name === 'envoy.http_connection_manager' ||
            String(c?.['@type'] ?? '').endsWith('HttpConnectionManager')) {
          out.push({ hcm: c ?? {}, at: `static_resources.listeners[${li}].filter_chains[${ci}].filters[${fi}].${f.typed_config ? 'typed_config' : 'config'}` });
        }
      });
    });
  });
  return out;
}

/** The field path of a bootstrap field: inside the ConfigMap key. */
export function inBootstrap(b: EnvoyBootstrap, at: string): string {
  return `data["${b.key}"]${at ? ` → ${at}` : ''}`;
}
