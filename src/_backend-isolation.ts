/**
 * Keeps a backend reachable only through its front door: a NetworkPolicy on the backend's pods
 * that admits only the front door's pods on the backend's port and, for front doors in an
 * Istio mesh, an ALLOW AuthorizationPolicy on the same pods for the front door's identity and,
 * with JWT, a RequestAuthentication there too, so that the token is checked again behind the
 * gateway: a gateway's pods serve every route any namespace binds to them.
 *
 * Only for backends made with `Backend.fromService`: the pods are those the Service selects,
 * read when the app is synthesized. A Service that selects no pods is an error (a NetworkPolicy
 * with an empty pod selector would apply to every pod of the namespace).
 */
import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { childName, named } from './_names';
import { byCodeUnits } from './_validate';
import { Backend } from './backend';
import * as security from '../imports/security.istio.io';

/** Pods that may reach the backend: the front door's. */
export interface BackendPeer {
  /** The namespace of the front door's pods. */
  readonly namespace: string;
  /** Labels of the front door's pods (read at synth time). */
  readonly labels: () => { [key: string]: string };
}

/** What `isolateBackend` wrote. */
export interface BackendIsolation {
  readonly networkPolicy: ApiObject;
  readonly authorizationPolicy?: ApiObject;
  readonly requestAuthentication?: ApiObject;
}

/**
 * A JWT the backend's sidecar checks again: any route on the gateway's pods (another namespace's
 * Gateway or VirtualService may route to this Service) must bring a valid token of the issuer.
 */
export interface BackendJwt {
  /** The jwtRules entry for the backend's RequestAuthentication. */
  readonly rule: any;
  readonly issuer: string;
  readonly audiences?: string[];
  /** The header the rule copies `exp` to. */
  readonly expiryHeader: string;
}

const sorted = (m: { [key: string]: string }) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => byCodeUnits(a, b)));

/**
 * Writes the NetworkPolicy (and, with `meshNamespaces`, the AuthorizationPolicy) as children of
 * `scope`; nothing when the backend's pods are unknown (`Backend.fromName`).
 */
export function isolateBackend(scope: Construct, ctx: string, backend: Backend, opts: {
  readonly peers: BackendPeer[];
  /** Mesh identities that may call the backend (the front door's): namespaces or principals. */
  readonly meshSources?: { readonly namespaces?: string[]; readonly principals?: string[] };
  /** With `meshSources`: the token the backend's sidecar requires as well. */
  readonly jwt?: BackendJwt;
}): BackendIsolation | undefined {
  const service = backend._serviceObject;
  if (service === undefined) {
    return undefined;
  }
  const serviceSpec = () => service.toJson().spec ?? {};
  const selectorOf = (spec: any) => sorted(spec.selector ?? {});
  const targetPortOf = (spec: any) => (spec.ports ?? []).find((p: any) => p.port === backend.port)?.targetPort ?? backend.port;
  const namespace = backend.namespace ?? Chart.of(scope).namespace;
  // cdk8s validates the whole app once per chart: a selector found once stays (cdk8s-plus only adds
  // labels to it), so the Service is resolved once for the check, not once per chart.
  let selects = false;
  scope.node.addValidation({
    validate: () => {
      selects = selects || Object.keys(selectorOf(serviceSpec())).length > 0;
      return selects ? [] : [`${ctx}: invalid backend ${backend._servicePath}: expected a Service that selects pods (a selector), so that only the front door can reach them; ` +
        'with no selector the NetworkPolicy would apply to every pod of the namespace (allowDirectBackendAccess: true writes none)'];
    },
  });
  const networkPolicy = new ApiObject(scope, 'BackendNetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { ...named(childName(scope, 'BackendNetworkPolicy')), namespace },
    spec: Lazy.any({
      produce: () => {
        const spec = serviceSpec();
        return {
          podSelector: { matchLabels: selectorOf(spec) },
          policyTypes: ['Ingress'],
          ingress: [{
            from: opts.peers.map(p => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } },
              podSelector: { matchLabels: sorted(p.labels()) },
            })),
            ports: [{ protocol: 'TCP', port: targetPortOf(spec) }],
          }],
        };
      },
    }),
  });
  let authorizationPolicy: ApiObject | undefined;
  let requestAuthentication: ApiObject | undefined;
  if (opts.meshSources !== undefined) {
    const list = (xs?: string[]) => (xs === undefined ? undefined : [...new Set(xs)].sort(byCodeUnits));
    const jwt = opts.jwt;
    const source = {
      namespaces: list(opts.meshSources.namespaces),
      principals: list(opts.meshSources.principals),
      requestPrincipals: jwt === undefined ? undefined : [`${jwt.issuer}/*`],
    };
    // A token of the issuer, for one of its audiences, with a real expiry (see istio/_jwt.ts).
    const when = jwt === undefined ? undefined : [
      ...(jwt.audiences === undefined ? [] : [{ key: 'request.auth.audiences', values: [...jwt.audiences] }]),
      { key: `request.headers[${jwt.expiryHeader}]`, values: ['*'] },
      { key: `request.headers[${jwt.expiryHeader}]`, notValues: ['0*'] },
    ];
    if (jwt !== undefined) {
      requestAuthentication = new ApiObject(scope, 'BackendRequestAuthentication', {
        ...security.RequestAuthentication.GVK,
        metadata: { ...named(childName(scope, 'BackendRequestAuthentication')), namespace },
        spec: Lazy.any({ produce: () => ({ selector: { matchLabels: selectorOf(serviceSpec()) }, jwtRules: [jwt.rule] }) }),
      });
    }
    authorizationPolicy = new ApiObject(scope, 'BackendAuthorizationPolicy', {
      ...security.AuthorizationPolicy.GVK,
      metadata: { ...named(childName(scope, 'BackendAuthorizationPolicy')), namespace },
      spec: Lazy.any({
        produce: () => ({
          selector: { matchLabels: selectorOf(serviceSpec()) },
          action: 'ALLOW',
          rules: [JSON.parse(JSON.stringify({ from: [{ source }], when }))],
        }),
      }),
    });
  }
  return { networkPolicy, authorizationPolicy, requestAuthentication };
}
