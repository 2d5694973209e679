export * from './backend';
export * from './auth/basic-auth-user';
export * from './auth/jwks';
export * from './traefik/tls';
export * from './traefik/basic-auth-ingress';
export * from './istio/tls';
export * from './istio/aws-nlb-tls';
export { IstioJwtOptions } from './istio/_jwt';
export * from './istio/grpc-ingress';
