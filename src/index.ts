export * from './backend';
export * from './auth/basic-auth-user';
export * from './traefik/tls';
export * from './traefik/basic-auth-ingress';
