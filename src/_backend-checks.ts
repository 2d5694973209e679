import { fail } from './_validate';
import { Backend } from './backend';

const GRPC_PORT_NAME = /^grpc(-.*)?$/;

/** The `backend` prop is a Backend (JavaScript and other jsii languages can pass anything). */
export function checkBackend(ctx: string, backend: Backend): Backend {
  if (!(backend instanceof Backend)) {
    fail(ctx, 'backend', backend, 'a Backend, from Backend.fromService or Backend.fromName');
  }
  return backend;
}

/**
 * A gRPC backend's Service port must say it is gRPC (name `grpc`/`grpc-*` or appProtocol
 * grpc): otherwise Istio forwards HTTP/1.1 and gRPC fails. Backends whose port is not known
 * (`Backend.fromName` without portName or appProtocol) are let through.
 */
export function checkGrpcBackend(ctx: string, backend: Backend): Backend {
  checkBackend(ctx, backend);
  const name = backend.portName;
  const app = backend.appProtocol;
  const named = name !== undefined && GRPC_PORT_NAME.test(name);
  const declared = app !== undefined && app.toLowerCase() === 'grpc';
  if (named || declared) {
    return backend;
  }
  if (backend._serviceObject !== undefined || name !== undefined || app !== undefined) {
    fail(ctx, 'backend', `${backend.serviceName}:${backend.port} (port name ${name === undefined ? 'unset' : JSON.stringify(name)})`,
      'a Service port named "grpc" or "grpc-<suffix>" (or with appProtocol grpc): otherwise Istio forwards HTTP/1.1 and gRPC fails; ' +
      'name it when you create the Service, for example ports: [{ port: 8500, name: "grpc" }]');
  }
  return backend;
}
