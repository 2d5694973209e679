import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * Brings a cdk8s-plus Deployment up to the Pod Security "restricted" profile: cdk8s-plus already
 * runs containers as non-root without privilege escalation; this drops every capability and sets
 * the runtime's default seccomp profile (which cdk8s-plus-27 has no prop for).
 */
export function restricted(deployment: kplus.Deployment): kplus.Deployment {
  const obj = ApiObject.of(deployment);
  deployment.containers.forEach((_, i) => {
    obj.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${i}/securityContext/capabilities`, { drop: ['ALL'] }));
  });
  obj.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
  return deployment;
}
