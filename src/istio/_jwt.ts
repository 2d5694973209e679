import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioJwtOptions } from './jwt-options';
import * as security from '../../imports/security.istio.io';
import { checkJwtIssuer } from '../auth/_jwt-issuer';

/** Checks JWT options; returns the jwtRules entry of a RequestAuthentication. */
export function jwtRule(ctx: string, prop: string, jwt: IstioJwtOptions): security.RequestAuthenticationSpecJwtRules {
  const checked = checkJwtIssuer(ctx, prop, jwt);
  return {
    issuer: checked.issuer,
    jwksUri: jwt.jwksUri,
    jwks: checked.jwks?.toJson(),
    audiences: checked.audiences,
    forwardOriginalToken: jwt.forwardOriginalToken ?? false,
  };
}

/** `host` and `host:*`: Istio matches the Host header with its port, if any. */
export function hostsWithPorts(hosts: string[]): string[] {
  return hosts.flatMap(h => [h, `${h}:*`]);
}

/**
 * A RequestAuthentication for the workloads `selector` picks, and a DENY AuthorizationPolicy
 * for requests to `hosts` without a valid token: RequestAuthentication alone rejects bad
 * tokens but lets requests without any token through.
 */
export function requireJwt(scope: Construct, opts: {
  namespace: string;
  selector: { [key: string]: string };
  rule: security.RequestAuthenticationSpecJwtRules;
  /** Host names the DENY rule covers (each also with any port); none: every host. */
  hosts?: string[];
  /** Path patterns the DENY rule covers; none: every path. */
  paths?: string[];
}): { requestAuthentication: ApiObject; denyPolicy: ApiObject } {
  // A plain ApiObject: the generated binding renames `jwksUri` to its deprecated alias
  // `jwks_uri` on output, even when set through a JSON patch.
  const requestAuthentication = new ApiObject(scope, 'RequestAuthentication', {
    ...security.RequestAuthentication.GVK,
    metadata: { namespace: opts.namespace },
    spec: { selector: { matchLabels: opts.selector }, jwtRules: [opts.rule] },
  });
  const denyPolicy = new security.AuthorizationPolicy(scope, 'RequireJwt', {
    metadata: { namespace: opts.namespace },
    spec: {
      selector: { matchLabels: opts.selector },
      action: security.AuthorizationPolicySpecAction.DENY,
      rules: [{
        from: [{ source: { notRequestPrincipals: ['*'] } }],
        to: [{ operation: { hosts: opts.hosts ? hostsWithPorts(opts.hosts) : undefined, paths: opts.paths ? [...opts.paths] : undefined } }],
      }],
    },
  });
  return { requestAuthentication, denyPolicy };
}
