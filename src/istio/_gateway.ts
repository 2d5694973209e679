import { fail } from '../_validate';

/** Labels of the ingress gateway pods, checked and sorted by key. */
export function checkSelector(ctx: string, selector: { [key: string]: string }): { [key: string]: string } {
  const entries = selector && typeof selector === 'object' ? Object.entries(selector) : [];
  if (entries.length === 0) {
    fail(ctx, 'gatewaySelector', selector, 'at least one label of the ingress gateway pods, such as { istio: "ingressgateway" }');
  }
  for (const [k, v] of entries) {
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k) || k.length > 316 ||
        typeof v !== 'string' || !/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v) || v.length > 63) {
      fail(ctx, `gatewaySelector.${k}`, v, 'a Kubernetes label key and value');
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
