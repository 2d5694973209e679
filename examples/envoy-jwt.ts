import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Backend, EnvoyJwtProxy, EnvoyServiceType, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from 'cdk8s-secure-serving';
import { restricted } from './restricted';

/** The token issuer's public key (only the public half ever goes into the app). */
const ISSUER_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+H2S9kzPc6Fgy5+Sv4JsJ1ZNKKB/
HlgbJGy+GLEovyoHPotj4GgsSW+sbePowhXK/oQuXw3KruTedLKtKUD22g==
-----END PUBLIC KEY-----`;

/**
 * Seed 002: Google's gRPC bookstore (3 replicas on 8080, headless Service) behind an Envoy that
 * terminates TLS with the envoy-certs Secret and accepts only JWTs signed by the issuer's key.
 */
export class EnvoyJwtChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'bookstore', ...props });
    const deployment = restricted(new kplus.Deployment(this, 'bookstore', {
      metadata: { name: 'bookstore-deployment' },
      replicas: 3,
      containers: [{ name: 'bookstore-container', image: 'bookstore:1.0.0', portNumber: 8080 }],
    }));
    // Headless: Envoy resolves one endpoint per pod and balances gRPC requests across them.
    const service = new kplus.Service(this, 'bookstore-service', {
      metadata: { name: 'bookstore-service' },
      clusterIP: 'None',
      ports: [{ port: 8080, targetPort: 8080, name: 'grpc' }],
    });
    service.select(deployment);

    new EnvoyJwtProxy(this, 'envoy', {
      // Clients call the seed's Service name, envoy.bookstore.
      name: 'envoy',
      backend: Backend.fromService(service),
      tls: TlsTermination.atProxy(TlsCertificate.fromSecret('envoy-certs')),
      // As in the seed: clients call the Service on 9080, Envoy listens on 8000.
      port: 8000,
      servicePort: 9080,
      serviceType: EnvoyServiceType.NODE_PORT,
      jwt: {
        issuer: 'https://issuer.example.com',
        audiences: JwtAudiences.of(['bookstore']),
        jwks: JwksSource.fromKeySet(JsonWebKeySet.fromPublicKeyPem(ISSUER_PUBLIC_KEY)),
      },
    });
  }
}
