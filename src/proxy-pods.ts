/**
 * The pods of the proxy that serves a front door (an Istio ingress gateway, Traefik): the
 * authentication policies and the backend's NetworkPolicy select them.
 */
export interface ProxyPods {
  /** Their namespace. */
  readonly namespace: string;

  /** Their labels, for example `{ istio: "ingressgateway" }`. */
  readonly selector: { [key: string]: string };
}
