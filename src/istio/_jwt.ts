import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as security from '../../imports/security.istio.io';
import { childName, named } from '../_names';
import { byCodeUnits, checkBoolean, fail } from '../_validate';
import { checkJwtIssuer } from '../auth/_jwt-issuer';
import { JwtIssuer } from '../auth/jwt-issuer';

/**
 * The header the RequestAuthentication copies a verified token's `exp` claim to. Istio sets no
 * `require_expiration`, and AuthorizationPolicy cannot match a numeric claim, so the DENY policy
 * refuses requests where this header is missing. Envoy removes a client-sent copy before it
 * verifies (jwt_authn sanitizes every `claim_to_headers` header).
 */
export const EXPIRY_HEADER = 'x-secure-serving-jwt-exp';

/** A checked JWT rule: the jwtRules entry of a RequestAuthentication and what the DENY policy needs. */
export interface IstioJwtRule {
  readonly rule: security.RequestAuthenticationSpecJwtRules;
  readonly issuer: string;
  /** none: any audience, by choice */
  readonly audiences?: string[];
}

/**
 * A RequestAuthentication applies to every request through the pods it selects: a bearer token
 * of an issuer none of their RequestAuthentications lists gets 401, for every app they serve.
 * `prop` (`jwt`, `exempt.jwt`) must come with `acknowledgeGatewayWideJwt: true`.
 */
export function checkGatewayWideJwtAcknowledged(ctx: string, prop: string, acknowledged: boolean | undefined, where: string): void {
  if (acknowledged !== true) {
    checkBoolean(ctx, 'acknowledgeGatewayWideJwt', acknowledged ?? false);
    fail(ctx, 'acknowledgeGatewayWideJwt', acknowledged,
      `true with ${prop}: the RequestAuthentication applies to every request through ${where}, so a bearer token of an issuer ` +
      `no RequestAuthentication there lists gets 401 for every app ${where} serve`);
  }
}

/** Checks JWT options; returns the jwtRules entry of a RequestAuthentication. */
export function jwtRule(ctx: string, prop: string, jwt: JwtIssuer): IstioJwtRule {
  const checked = checkJwtIssuer(ctx, prop, jwt);
  return {
    issuer: checked.issuer,
    audiences: checked.audiences,
    rule: {
      issuer: checked.issuer,
      jwksUri: checked.jwksUri?.toString(),
      jwks: checked.jwks?.toJson(),
      audiences: checked.audiences,
      forwardOriginalToken: checked.forwardToken,
      outputClaimToHeaders: [{ header: EXPIRY_HEADER, claim: 'exp' }],
    },
  };
}

/**
 * The rules for a token checked twice, at the gateway and again at the backend's sidecar: the
 * gateway forwards it; the backend's rule strips it unless the user forwards it to the app.
 */
export function gatewayAndBackendRules(jwt: IstioJwtRule): { gateway: IstioJwtRule; backend: any } {
  return {
    gateway: { ...jwt, rule: { ...jwt.rule, forwardOriginalToken: true } },
    backend: jwt.rule,
  };
}

/**
 * What Istio's authorization `hosts` must list so that every Host header a request for these
 * hosts can carry is matched. Istio compares the raw `:authority`, port included, case-
 * insensitively; a leading `*` is a suffix match of the rest and a trailing `*` a prefix match
 * (istio/istio pilot/pkg/security/authz/matcher/header.go `HostMatcher`): `h` and `h:*` cover an
 * exact host with any port, but `*.x:*` would be a literal suffix, so a wildcard is listed with
 * the HTTPS port only, and its route refuses any other port (`authorityRegex`).
 */
export function hostsWithPorts(hosts: string[]): string[] {
  return hosts.flatMap(h => (h.startsWith('*.') ? [h, `${h}:443`] : [h, `${h}:*`]));
}

/** Escapes RE2 metacharacters (host names have only letters, digits, '-', '.' and '*'). */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An RE2 pattern (matched against the whole `:authority`) for the hosts: exact hosts with any
 * port or none, wildcard hosts (one or more labels) with port `wildcardPort` (a regex; 443 by
 * default) or none. `caseSensitive` for
 * the basic_auth plugin, which compares hosts exactly; otherwise `(?i)` as routing does.
 */
export function authorityRegex(hosts: string[], caseSensitive: boolean, wildcardPort = '443'): string {
  const alternatives = [...hosts].sort(byCodeUnits).map(h => (h.startsWith('*.')
    ? `[^:/]+${escape(h.slice(1))}(:${wildcardPort})?`
    : `${escape(h)}(:[0-9]+)?`));
  return `${caseSensitive ? '' : '(?i)'}(${alternatives.join('|')})`;
}

/** Where the policies attach: pods by labels, or a Gateway API Gateway (`targetRefs`). */
export type PolicyAttachment =
  | { readonly selector: { [key: string]: string } }
  | { readonly gateway: string };

function attachment(a: PolicyAttachment): { selector?: { matchLabels: { [key: string]: string } }; targetRefs?: any[] } {
  return 'selector' in a
    ? { selector: { matchLabels: a.selector } }
    : { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: a.gateway }] };
}

/**
 * A RequestAuthentication for the workloads `attach` names, and a DENY AuthorizationPolicy for
 * requests to `hosts` (and `paths`) unless they carry a valid token of THIS issuer, for one of
 * its audiences, with an expiry. RequestAuthentication alone rejects bad tokens but lets
 * requests without any token through; a principal of any issuer is not enough on a gateway
 * where other RequestAuthentications list other issuers, or the same issuer for other audiences.
 */
export function requireJwt(scope: Construct, opts: {
  namespace: string;
  attach: PolicyAttachment;
  jwt: IstioJwtRule;
  /** Host names the DENY rules cover (expanded with `hostsWithPorts`), read at synth; none: every host. */
  hosts?: () => string[];
  /** Path patterns the DENY rules cover; none: every path. */
  paths?: string[];
  /** Appended to the ids of the two objects, for a second pair in one construct. */
  idSuffix?: string;
}): { requestAuthentication: ApiObject; denyPolicy: ApiObject } {
  // A plain ApiObject: the generated binding renames `jwksUri` to its deprecated alias
  // `jwks_uri` on output, even when set through a JSON patch.
  const suffix = opts.idSuffix ?? '';
  const requestAuthentication = new ApiObject(scope, `RequestAuthentication${suffix}`, {
    ...security.RequestAuthentication.GVK,
    metadata: { ...named(childName(scope, `RequestAuthentication${suffix}`)), namespace: opts.namespace },
    spec: { ...attachment(opts.attach), jwtRules: [opts.jwt.rule] },
  });
  const hosts = opts.hosts;
  const to = [{
    operation: {
      hosts: hosts ? Lazy.any({ produce: () => hostsWithPorts(hosts()) }) : undefined,
      paths: opts.paths ? [...opts.paths] : undefined,
    },
  }];
  // requestPrincipals are `<iss>/<sub>`, split at the last "/": `<issuer>/*` is any subject of this issuer.
  const rules: any[] = [{ from: [{ source: { notRequestPrincipals: [`${opts.jwt.issuer}/*`] } }], to }];
  if (opts.jwt.audiences !== undefined) {
    rules.push({ to, when: [{ key: 'request.auth.audiences', notValues: [...opts.jwt.audiences] }] });
  }
  rules.push({ to, when: [{ key: `request.headers[${EXPIRY_HEADER}]`, notValues: ['*'] }] });
  // Envoy's JWT library reads an `exp` of 0 (or a fraction below 1) as no expiry, and writes it as
  // "0" or "0.5...": no real expiry starts with 0.
  rules.push({ to, when: [{ key: `request.headers[${EXPIRY_HEADER}]`, values: ['0*'] }] });
  const denyPolicy = new ApiObject(scope, `RequireJwt${suffix}`, {
    ...security.AuthorizationPolicy.GVK,
    metadata: { ...named(childName(scope, `RequireJwt${suffix}`)), namespace: opts.namespace },
    spec: { ...attachment(opts.attach), action: 'DENY', rules },
  });
  return { requestAuthentication, denyPolicy };
}
