import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Backend, BasicAuthUser, TlsCertificate, TlsTermination, TraefikBasicAuthIngress } from 'cdk8s-secure-serving';
import { restricted } from './restricted';

/**
 * Seed 001: the bos-rf scoring service (R plumber on port 8000) behind Traefik v3 with
 * basic auth and a Let's Encrypt certificate, in its own namespace (see `NamespacesChart`).
 */
export class TraefikBasicAuthChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'bos-rf', ...props });

    const deployment = restricted(new kplus.Deployment(this, 'bos-rf', {
      metadata: { name: 'bos-rf' },
      replicas: 1,
      containers: [{
        name: 'bos-rf',
        image: 'deployreg.azurecr.io/bos_rf',
        portNumber: 8000,
        resources: { cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(500) } },
      }],
    }));
    // R writes temporary files: a writable /tmp on the read-only root filesystem.
    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp');
    deployment.containers[0].mount('/tmp', tmp);
    const service = deployment.exposeViaService({ name: 'bos-rf-svc', ports: [{ port: 8000 }] });

    new TraefikBasicAuthIngress(this, 'bos-rf-ingress', {
      // The seed's names: the route bos-rf-ingress, the htpasswd Secret bos-rf-secret.
      name: 'bos-rf-ingress',
      usersSecretName: 'bos-rf-secret',
      hosts: ['secureclus.australiaeast.cloudapp.azure.com'],
      backend: Backend.fromService(service),
      // Made with `htpasswd -nbB user1 '<password>'`: no plaintext password in the app.
      users: [BasicAuthUser.fromHash('user1', '$2y$10$b/v3EUgjslotfGppcj0CrusVnpLL0kBOnM7RZ2zd0ja6DM7WQ/xPK')],
      tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('letsencrypt')),
      // Only Traefik's pods may reach the scoring service (a NetworkPolicy).
      traefikPods: { namespace: 'traefik', selector: { 'app.kubernetes.io/name': 'traefik' } },
    });
  }
}
