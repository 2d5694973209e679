import { checkDnsLabel, checkLabels, fail } from './_validate';
import { ProxyPods } from './proxy-pods';

/** The Istio ingress gateway pods of a default installation. */
export const ISTIO_INGRESS_PODS: ProxyPods = { namespace: 'istio-system', selector: { istio: 'ingressgateway' } };

/** Checks `ProxyPods` given as `prop`: a namespace, and labels sorted by key. */
export function checkProxyPods(ctx: string, prop: string, pods: ProxyPods, example = '{ istio: "ingressgateway" }'): ProxyPods {
  if (pods === null || typeof pods !== 'object') {
    fail(ctx, prop, pods, `the proxy's pods: { namespace, selector }, such as { namespace: "istio-system", selector: ${example} }`);
  }
  return {
    namespace: checkDnsLabel(ctx, `${prop}.namespace`, pods.namespace),
    selector: checkLabels(ctx, `${prop}.selector`, pods.selector, `at least one label of the proxy's pods, such as ${example}`),
  };
}
