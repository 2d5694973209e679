import { checkLabels } from '../_validate';

/** Labels of the ingress gateway pods, checked and sorted by key. */
export function checkSelector(ctx: string, selector: { [key: string]: string }): { [key: string]: string } {
  return checkLabels(ctx, 'gatewaySelector', selector, 'at least one label of the ingress gateway pods, such as { istio: "ingressgateway" }');
}
