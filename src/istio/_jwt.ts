import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import { checkNonEmpty, fail } from '../_validate';
import { IstioJwtOptions } from './jwt-options';
import { JsonWebKeySet } from '../auth/jwks';

/** Checks JWT options; returns the jwtRules entry of a RequestAuthentication. */
export function jwtRule(ctx: string, prop: string, jwt: IstioJwtOptions): security.RequestAuthenticationSpecJwtRules {
  if (jwt === null || typeof jwt !== 'object') {
    fail(ctx, prop, jwt, 'JWT options with an issuer and a JWKS source');
  }
  checkNonEmpty(ctx, `${prop}.issuer`, jwt.issuer);
  const hasUri = jwt.jwksUri !== undefined;
  const hasKeys = jwt.jwks !== undefined;
  if (hasUri === hasKeys) {
    fail(ctx, `${prop}.jwksUri`, jwt.jwksUri, `exactly one of ${prop}.jwksUri and ${prop}.jwks`);
  }
  if (hasUri) {
    let ok = false;
    try {
      const url = new URL(jwt.jwksUri!);
      ok = url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
    } catch {
      ok = false;
    }
    if (!ok) {
      fail(ctx, `${prop}.jwksUri`, jwt.jwksUri, 'an https:// URL without credentials, such as "https://issuer.example.com/.well-known/jwks.json"');
    }
  }
  if (hasKeys && !(jwt.jwks instanceof JsonWebKeySet)) {
    fail(ctx, `${prop}.jwks`, jwt.jwks, 'a JsonWebKeySet');
  }
  const audiences = jwt.audiences;
  if (audiences !== undefined) {
    if (!Array.isArray(audiences) || audiences.length === 0) {
      fail(ctx, `${prop}.audiences`, audiences, 'a non-empty list, or no list to skip the audience check');
    }
    audiences.forEach((a, i) => checkNonEmpty(ctx, `${prop}.audiences[${i}]`, a));
  }
  return {
    issuer: jwt.issuer,
    jwksUri: jwt.jwksUri,
    jwks: hasKeys ? jwt.jwks!.toJson() : undefined,
    audiences: audiences ? [...audiences].sort() : undefined,
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
