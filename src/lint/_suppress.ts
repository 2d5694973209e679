import { ApiObject } from 'cdk8s';
import { Rule, SUPPRESS_PREFIX } from './_rules';

/**
 * Marks an object the library writes on purpose in a way a lint rule flags (an opt-in the user
 * named, or an upstream object whose shape is fixed), with the reason: the linter lists the
 * finding as suppressed, with that reason, instead of failing.
 */
export function suppressLint(obj: ApiObject, rule: Rule, reason: string): void {
  obj.metadata.addAnnotation(`${SUPPRESS_PREFIX}${rule.id}`, reason);
}
