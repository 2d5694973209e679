import { Duration } from 'cdk8s';
import { ExternalAuthorizationProtocol, ExternalAuthorizationProvider } from './external-authorization-provider';
import { checkDuration, checkInteger, checkNonEmpty, checkPort, fail } from '../_validate';

const HEADER = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** An external authorization provider, checked (see `checkExternalAuthorizationProvider`). */
export interface CheckedExternalAuthorizationProvider {
  readonly name: string;
  readonly protocol: ExternalAuthorizationProtocol;
  /** The cluster FQDN, and the Service's name and namespace in it. */
  readonly service: string;
  readonly serviceName: string;
  readonly namespace: string;
  readonly port: number;
  readonly includeRequestHeadersInCheck?: string[];
  readonly headersToUpstreamOnAllow?: string[];
  readonly headersToDownstreamOnDeny?: string[];
  readonly timeout?: Duration;
  readonly failOpen: boolean;
  readonly statusOnError?: number;
}

/**
 * Checks an external authorization provider, the same for every construct that takes one;
 * `prop` is where it sits in the props (`provider`, `externalAuthorization`).
 */
export function checkExternalAuthorizationProvider(ctx: string, prop: string,
  p: ExternalAuthorizationProvider): CheckedExternalAuthorizationProvider {
  checkNonEmpty(ctx, `${prop}.name`, p.name);
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(p.name)) {
    fail(ctx, `${prop}.name`, p.name, 'letters, digits, "-", "_" or "."');
  }
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.exec(p.service);
  if (!m) {
    fail(ctx, `${prop}.service`, p.service, 'a cluster FQDN "<service>.<namespace>.svc.cluster.local"');
  }
  checkPort(ctx, `${prop}.port`, p.port);
  const protocol = p.protocol ?? ExternalAuthorizationProtocol.HTTP;
  if (protocol === ExternalAuthorizationProtocol.GRPC) {
    // A gRPC authorizer receives every header and says itself which headers to add.
    for (const field of ['includeRequestHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny'] as const) {
      if (p[field] !== undefined) {
        fail(ctx, `${prop}.${field}`, p[field], `no ${field} with ExternalAuthorizationProtocol.GRPC: the gRPC check request carries every header, and the authorizer's answer says which to add`);
      }
    }
  }
  const failOpen = p.failOpen ?? false;
  if (failOpen && p.acknowledgeFailOpen !== true) {
    fail(ctx, `${prop}.failOpen`, true, 'false, or acknowledgeFailOpen: true (when the authorization service is down, every protected app is open)');
  }
  if (!failOpen && p.acknowledgeFailOpen !== undefined) {
    fail(ctx, `${prop}.acknowledgeFailOpen`, p.acknowledgeFailOpen, `no acknowledgeFailOpen without ${prop}.failOpen`);
  }
  return {
    name: p.name,
    protocol,
    service: p.service,
    serviceName: m[1],
    namespace: m[3],
    port: p.port,
    includeRequestHeadersInCheck: protocol === ExternalAuthorizationProtocol.GRPC ? undefined
      : headerList(ctx, `${prop}.includeRequestHeadersInCheck`, p.includeRequestHeadersInCheck ?? ['authorization', 'cookie']),
    headersToUpstreamOnAllow: headerList(ctx, `${prop}.headersToUpstreamOnAllow`, p.headersToUpstreamOnAllow),
    headersToDownstreamOnDeny: headerList(ctx, `${prop}.headersToDownstreamOnDeny`, p.headersToDownstreamOnDeny),
    timeout: p.timeout === undefined ? undefined : checkDuration(ctx, `${prop}.timeout`, p.timeout, { max: Duration.hours(99999) }),
    failOpen,
    statusOnError: p.statusOnError === undefined ? undefined : checkInteger(ctx, `${prop}.statusOnError`, p.statusOnError, 400, 599),
  };
}


function headerList(ctx: string, prop: string, value: string[] | undefined): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    fail(ctx, prop, value, 'a non-empty list of header names, or no list');
  }
  value.forEach((h, i) => {
    if (typeof h !== 'string' || !HEADER.test(h)) {
      fail(ctx, `${prop}[${i}]`, h, 'a lowercase HTTP header name');
    }
  });
  return [...value];
}
