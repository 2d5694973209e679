import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { named } from './_names';
import { byCodeUnits, fail, Shown } from './_validate';
import { CertManagerIssuerKind, TlsTermination } from './tls';

/** What a front door does with its `TlsTermination`. */
export interface ResolvedTls {
  readonly mode: 'lb' | 'proxy' | 'mutual' | 'none';
  /** The Secret the data plane reads (from the user, or the one cert-manager writes). */
  readonly secretName?: string;
  /** A Traefik certificate resolver. */
  readonly traefikCertResolver?: string;
  /** The cert-manager Certificate written for it. */
  readonly certificate?: ApiObject;
  /** The Secret cert-manager writes for it, to claim. */
  readonly writtenSecrets: { namespace: string; name: string; prop?: string }[];
}

/** Where and for what a front door writes its certificate. */
export interface TlsPlace {
  /** The modes this front door supports, in the order the error message lists them. */
  readonly modes: ReadonlyArray<'lb' | 'proxy' | 'mutual' | 'none'>;
  /** Whether a Traefik certificate resolver is possible. */
  readonly traefikResolver?: boolean;
  /** The namespace where the data plane reads the Secret. */
  readonly namespace: string;
  /** The names a cert-manager certificate is for, unless the user gives them. */
  readonly dnsNames: string[] | (() => string[]);
  /** The name of a Certificate written for it. */
  readonly certificateName?: string;
}

const MODES: { [mode: string]: string } = {
  lb: 'TlsTermination.atLoadBalancer()',
  proxy: 'TlsTermination.atProxy(certificate)',
  mutual: 'TlsTermination.mutualAtProxy(certificate)',
  none: 'TlsTermination.insecurePlainHttp()',
};

/**
 * Checks a front door's `TlsTermination` against the modes it supports, and writes the
 * cert-manager Certificate when the certificate comes from cert-manager (in the namespace where
 * the data plane reads the Secret).
 */
export function resolveTls(scope: Construct, ctx: string, prop: string, tls: TlsTermination, place: TlsPlace): ResolvedTls {
  const expected = place.modes.map(m => MODES[m]).join(', ');
  if (!(tls instanceof TlsTermination)) {
    fail(ctx, prop, tls, expected);
  }
  if (!place.modes.includes(tls._mode)) {
    fail(ctx, prop, new Shown(tls._describe()), `${expected}: ${ctx.split(' ')[0]} does not support ${MODES[tls._mode]}`);
  }
  const cert = tls.certificate;
  if (cert === undefined) {
    return { mode: tls._mode, writtenSecrets: [] };
  }
  if (cert._kind === 'resolver') {
    if (place.traefikResolver !== true) {
      fail(ctx, `${prop}.certificate`, new Shown(cert._describe()),
        'TlsCertificate.fromSecret(secretName) or TlsCertificate.fromCertManager(options): certificate resolvers are Traefik\'s');
    }
    return { mode: tls._mode, traefikCertResolver: cert.traefikCertResolver, writtenSecrets: [] };
  }
  if (cert._kind === 'secret') {
    return { mode: tls._mode, secretName: cert.secretName, writtenSecrets: [] };
  }
  if (tls._mode === 'mutual') {
    // The gateway would trust the Secret's ca.crt, the issuer's CA: every certificate the issuer
    // signs (server certificates other namespaces request included) would pass as a client.
    fail(ctx, `${prop}.certificate`, new Shown(cert._describe()),
      'TlsCertificate.fromSecret(secretName) with mutualAtProxy, whose ca.crt holds the CA of client certificates only: with cert-manager\'s ' +
      'Secret the gateway would accept every certificate the issuer signs as a client');
  }
  const options = cert._certManager!;
  const names = options.dnsNames ?? place.dnsNames;
  const sorted = (list: string[]) => [...new Set(list)].sort(byCodeUnits);
  const dnsNames = typeof names === 'function' ? Lazy.any({ produce: () => sorted(names()) }) : sorted(names);
  let secretName = cert.secretName;
  const certificate = new ApiObject(scope, 'Certificate', {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { ...named(place.certificateName), namespace: place.namespace },
    spec: {
      secretName: Lazy.any({ produce: () => secretName }),
      dnsNames,
      issuerRef: { group: 'cert-manager.io', kind: options.issuerKind ?? CertManagerIssuerKind.CLUSTER_ISSUER, name: options.issuerName },
      // A fresh ECDSA P-256 key at every renewal.
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    },
  });
  secretName ??= certificate.name;
  return {
    mode: tls._mode,
    secretName,
    certificate,
    writtenSecrets: [{ namespace: place.namespace, name: secretName, prop: cert.secretName === undefined ? undefined : `${prop}.certificate.secretName` }],
  };
}
