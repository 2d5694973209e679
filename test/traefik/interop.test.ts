/**
 * The htpasswd file that TraefikBasicAuthIngress writes, checked by real consumers:
 * Apache's `htpasswd -v` and nginx doing basic auth on 127.0.0.1.
 * Needs the Debian packages apache2-utils and nginx-light (`.ci/run` installs them).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Backend, BasicAuthUser, TlsCertificate, TlsTermination, TraefikBasicAuthIngress } from '../../src';
import { newChart, oneOf } from '../util';

const CREDENTIALS: [string, string][] = [
  ['user1', 'password1'],
  ['ml-scorer', 'correct horse battery staple'],
  ['ünïcode', 'pässwörd-ß'],
];

function requireTool(cmd: string, pkg: string): string {
  const found = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'].map(d => path.join(d, cmd)).find(p => fs.existsSync(p));
  if (!found) {
    throw new Error(`${cmd} is not installed: apt-get install -y ${pkg} (.ci/run does this)`);
  }
  return found;
}

let dir: string;
let htpasswdFile: string;

beforeAll(() => {
  const chart = newChart('bos-rf');
  new TraefikBasicAuthIngress(chart, 'ingress', {
    hosts: ['scoring.example.com'],
    backend: Backend.fromName('bos-rf-svc', 8000),
    users: CREDENTIALS.map(([u, p]) => BasicAuthUser.fromPassword(u, p, { cost: 5 })),
    tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')),
  });
  const secret = oneOf(Testing.synth(chart), 'Secret');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basic-auth-'));
  fs.chmodSync(dir, 0o755); // nginx workers run as an unprivileged user
  htpasswdFile = path.join(dir, 'users');
  fs.writeFileSync(htpasswdFile, Buffer.from(secret.data.users, 'base64'), { mode: 0o644 });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Apache htpasswd -v', () => {
  test.each(CREDENTIALS)('verifies %s with the right password', (user, password) => {
    const r = spawnSync(requireTool('htpasswd', 'apache2-utils'), ['-vb', htpasswdFile, user, password], { encoding: 'utf8' });
    expect(r.stderr).toContain('correct');
    expect(r.status).toBe(0);
  });
  test.each(CREDENTIALS)('refuses %s with a wrong password', (user, password) => {
    const r = spawnSync(requireTool('htpasswd', 'apache2-utils'), ['-vb', htpasswdFile, user, `${password}x`], { encoding: 'utf8' });
    expect(r.stderr).toContain('password verification failed');
    expect(r.status).not.toBe(0);
  });
});

describe('nginx auth_basic_user_file', () => {
  let nginx: ChildProcess;
  let port: number;

  function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      }).on('error', reject);
    });
  }

  function get(auth?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = auth ? { Authorization: `Basic ${Buffer.from(auth, 'utf8').toString('base64')}` } : {};
      const req = http.get({ host: '127.0.0.1', port, path: '/score', headers, timeout: 5000 }, res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
  }

  beforeAll(async () => {
    const bin = requireTool('nginx', 'nginx-light');
    port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.mkdirSync(path.join(dir, 'www'), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'www', 'score'), 'scored\n', { mode: 0o644 });
    fs.writeFileSync(conf, `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    # A static file, not \`return\`: \`return\` runs before the access phase and would skip auth.
    location / {
      root ${dir}/www;
      auth_basic "models";
      auth_basic_user_file ${htpasswdFile};
    }
  }
}
`);
    nginx = spawn(bin, ['-p', dir, '-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await get();
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          throw new Error(`nginx did not start: ${fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : e}`);
        }
        await new Promise(r => setTimeout(r, 100));
      }
    }
  }, 20_000);

  afterAll(() => {
    nginx?.kill('SIGTERM');
  });

  test.each(CREDENTIALS)('200 for %s with the right password', async (user, password) => {
    expect(await get(`${user}:${password}`)).toBe(200);
  });
  test.each(CREDENTIALS)('401 for %s with a wrong password', async (user, password) => {
    expect(await get(`${user}:${password.slice(1)}`)).toBe(401);
  });
  test('401 without credentials and for an unknown user', async () => {
    expect(await get()).toBe(401);
    expect(await get('nobody:password1')).toBe(401);
  });
});
