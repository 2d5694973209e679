/**
 * Around the door: may a pod connect to a backend pod directly? A model of Kubernetes
 * NetworkPolicy (kubernetes/kubernetes pkg/apis/networking/types.go semantics, as CNIs enforce
 * them: a pod selected by an Ingress policy accepts only what some rule of some such policy
 * admits; a peer's namespaceSelector and podSelector together mean both; selectors with
 * matchLabels and matchExpressions; ports by number or name) and of Istio authorization on the backend's sidecar (istio/istio 1.30.3: DENY, then
 * ALLOW; with any ALLOW policy, a request none matches is denied; a caller's namespace and
 * principal come from its mTLS identity, so a caller outside the mesh has none).
 */

export interface Pod {
  readonly namespace: string;
  readonly labels: { readonly [key: string]: string };
  /** The pod's Istio identity (`<trust domain>/ns/<ns>/sa/<sa>`), when it has a sidecar. */
  readonly principal?: string;
}

export interface Target extends Pod {
  /** The container port the connection goes to. */
  readonly port: number;
  /** The port's name in the pod spec, for policies that name ports. */
  readonly portName?: string;
  /** Whether the pod has an Istio sidecar (AuthorizationPolicies apply). */
  readonly inMesh: boolean;
}

const subset = (want: { [k: string]: string } | undefined, have: { readonly [k: string]: string }) =>
  Object.entries(want ?? {}).every(([k, v]) => have[k] === v);

/** A LabelSelector (apimachinery pkg/apis/meta/v1 `LabelSelectorAsSelector`): matchLabels and matchExpressions, all of them. */
export function labelSelectorMatches(sel: any, labels: { readonly [k: string]: string }): boolean {
  if (!subset(sel?.matchLabels, labels)) {
    return false;
  }
  return (sel?.matchExpressions ?? []).every((e: any) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values: string[] = e.values ?? [];
    switch (e.operator) {
      case 'In': return has && values.includes(labels[e.key]);
      case 'NotIn': return !has || !values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/** Whether `from` can open a connection to `to`. */
export function canConnect(docs: any[], from: Pod, to: Target): { allowed: boolean; why: string } {
  const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });
  const policies = docs.filter(d => d.kind === 'NetworkPolicy' && (d.metadata.namespace ?? 'default') === to.namespace &&
    labelSelectorMatches(d.spec.podSelector, to.labels) && (d.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
  if (policies.length > 0) {
    const admitted = policies.some(p => (p.spec.ingress ?? []).some((rule: any) => {
      const peers = rule.from ?? [];
      const peerOk = peers.length === 0 || peers.some((peer: any) => {
        if (peer.ipBlock) {
          return false;
        }
        const nsOk = peer.namespaceSelector === undefined
          ? from.namespace === to.namespace : labelSelectorMatches(peer.namespaceSelector, nsLabels(from.namespace));
        const podOk = peer.podSelector === undefined || labelSelectorMatches(peer.podSelector, from.labels);
        return nsOk && podOk;
      });
      const ports = rule.ports ?? [];
      const portOk = ports.length === 0 || ports.some((pp: any) => pp.port === undefined || pp.port === to.port || pp.port === to.portName);
      return peerOk && portOk;
    }));
    if (!admitted) {
      return { allowed: false, why: `NetworkPolicy ${policies.map(p => p.metadata.name).join(', ')} admits no such peer` };
    }
  }
  if (to.inMesh) {
    // Policies with targetRefs attach to a Gateway, not to workloads selected by labels.
    const authz = docs.filter(d => d.kind === 'AuthorizationPolicy' && (d.metadata.namespace ?? 'default') === to.namespace &&
      d.spec.targetRefs === undefined && subset(d.spec.selector?.matchLabels, to.labels));
    const identity = from.principal;
    const peerNs = identity === undefined ? undefined : /\/ns\/([^/]+)\//.exec(identity)?.[1];
    const matches = (rule: any) => (rule.from ?? [{}]).some((f: any) => {
      const s = f.source ?? {};
      const nsOk = s.namespaces === undefined || (peerNs !== undefined && s.namespaces.includes(peerNs));
      const pOk = s.principals === undefined || (identity !== undefined && s.principals.some((p: string) =>
        p === '*' || (p.startsWith('*') ? identity.endsWith(p.slice(1)) : p.endsWith('*') ? identity.startsWith(p.slice(0, -1)) : identity === p)));
      return nsOk && pOk;
    });
    const deny = authz.filter(p => p.spec.action === 'DENY').find(p => (p.spec.rules ?? []).some(matches));
    if (deny) {
      return { allowed: false, why: `DENY ${deny.metadata.name}` };
    }
    const allows = authz.filter(p => (p.spec.action ?? 'ALLOW') === 'ALLOW');
    if (allows.length > 0 && !allows.some(p => (p.spec.rules ?? []).some(matches))) {
      return { allowed: false, why: `no ALLOW policy (${allows.map(p => p.metadata.name).join(', ')}) matches` };
    }
  }
  return { allowed: true, why: policies.length > 0 ? 'a NetworkPolicy admits it' : 'no NetworkPolicy selects the pod' };
}
