import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkArgs, checkDns1035Label, checkDnsLabel, checkNonEmpty, checkPort, checkPortName, fail, made } from './_validate';

/**
 * Options for `Backend.fromService`.
 */
export interface BackendFromServiceOptions {
  /**
   * The Service port to forward to. Required when the Service has more than one port.
   *
   * @default - the Service's only port
   */
  readonly port?: number;
}

/**
 * Options for `Backend.fromName`.
 */
export interface BackendFromNameOptions {
  /**
   * Namespace of the Service.
   *
   * @default - the namespace of the construct that uses the backend
   */
  readonly namespace?: string;

  /**
   * Name of the Service port, as in the Service's `spec.ports[].name`. Istio selects the
   * protocol from it (`grpc`, `grpc-*`, `http2`, ...).
   *
   * @default - unknown
   */
  readonly portName?: string;

  /**
   * The port's `appProtocol` (for example `grpc` or `kubernetes.io/h2c`).
   *
   * @default - unknown
   */
  readonly appProtocol?: string;
}

const GRPC_PORT_NAME = /^grpc(-.*)?$/;

/**
 * A Kubernetes Service and port that a front door (ingress route, proxy) forwards to.
 *
 * Create one with `Backend.fromService` for a Service defined in the same cdk8s app, or with
 * `Backend.fromName` for a Service managed elsewhere.
 */
export class Backend {
  /**
   * The `backend` prop is a Backend (JavaScript and other jsii languages can pass anything).
   *
   * @internal
   */
  public static _check(ctx: string, backend: Backend): Backend {
    if (!(backend instanceof Backend)) {
      fail(ctx, 'backend', backend, 'a Backend, from Backend.fromService or Backend.fromName');
    }
    return backend;
  }

  /**
   * A gRPC backend's Service port must say it is gRPC (name `grpc`/`grpc-*` or appProtocol
   * grpc): otherwise Istio forwards HTTP/1.1 and gRPC fails. Backends whose port is not known
   * (`Backend.fromName` without portName or appProtocol) are let through.
   *
   * @internal
   */
  public static _checkGrpc(ctx: string, backend: Backend): Backend {
    Backend._check(ctx, backend);
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

  /**
   * A Service defined with cdk8s-plus-27 in the same app.
   *
   * The port is chosen from the Service's ports as they are when this is called: pass
   * `options.port` when the Service has several.
   *
   * @param service the Service to forward to
   * @param options the port to use
   */
  public static fromService(service: kplus.Service, options: BackendFromServiceOptions = {}): Backend {
    [service, options = {}] = checkArgs('Backend.fromService', 'Backend', 'fromService', [service, options]);
    if (typeof service.node?.path !== 'string' || !Array.isArray(service.ports)) {
      fail('Backend.fromService', 'service', service, 'a cdk8s-plus Service construct');
    }
    return Backend.ofServiceObject(`Backend.fromService(${service.node.path})`, service, options, service);
  }

  /**
   * A Service defined in the same app with any cdk8s-plus 2.x line (cdk8s-plus-27 to -33 and
   * later), or as a `KubeService` or another `ApiObject` of kind Service: the construct whose
   * Kubernetes object is the Service.
   *
   * The port is chosen from the Service's ports as they are when this is called: pass
   * `options.port` when the Service has several.
   *
   * @param service the Service construct
   * @param options the port to use
   */
  public static fromServiceConstruct(service: IConstruct, options: BackendFromServiceOptions = {}): Backend {
    const ctx = 'Backend.fromServiceConstruct';
    [service, options = {}] = checkArgs(ctx, 'Backend', 'fromServiceConstruct', [service, options]);
    if (typeof service.node?.path !== 'string') {
      fail(ctx, 'service', service, 'a construct whose Kubernetes object is a Service (a cdk8s-plus Service, or a KubeService)');
    }
    return Backend.ofServiceObject(`${ctx}(${service.node.path})`, service, options, undefined);
  }

  /**
   * A Service by name, for example one created by a Helm chart or another app.
   *
   * @param serviceName the Service's `metadata.name` (a DNS-1035 label)
   * @param port the Service port (1-65535)
   * @param options namespace and what is known of the port
   */
  public static fromName(serviceName: string, port: number, options: BackendFromNameOptions = {}): Backend {
    const ctx = 'Backend.fromName';
    [serviceName, port, options = {}] = checkArgs(ctx, 'Backend', 'fromName', [serviceName, port, options]);
    checkDns1035Label(ctx, 'serviceName', serviceName);
    checkPort(ctx, 'port', port);
    if (options.namespace !== undefined) {
      checkDnsLabel(ctx, 'options.namespace', options.namespace);
    }
    if (options.portName !== undefined) {
      checkPortName(ctx, 'options.portName', options.portName);
    }
    if (options.appProtocol !== undefined) {
      checkNonEmpty(ctx, 'options.appProtocol', options.appProtocol);
    }
    return new Backend({ serviceName, port, ...options });
  }

  /** A backend for the Service object of `construct`, on the chosen port. */
  private static ofServiceObject(ctx: string, construct: IConstruct, options: BackendFromServiceOptions, plus: kplus.Service | undefined): Backend {
    let object: ApiObject | undefined;
    try {
      object = ApiObject.of(construct);
    } catch {
      object = undefined;
    }
    if (object === undefined || object.kind !== 'Service' || object.apiVersion !== 'v1') {
      fail(ctx, 'service', construct, `a construct whose Kubernetes object is a v1 Service (it is ${object === undefined ? 'none' : `a ${object.apiVersion} ${object.kind}`})`);
    }
    let ports: { port: number; name?: string; appProtocol?: string }[] = [];
    try {
      // cdk8s-plus refuses to serialize a Service without ports
      ports = object.toJson().spec?.ports ?? [];
    } catch {
      ports = [];
    }
    if (ports.length === 0) {
      fail(ctx, 'service.ports', [], 'a Service with at least one port: call service.bind(port, { name }) or pass ports in its props first');
    }
    let chosen: { port: number; name?: string; appProtocol?: string } | undefined;
    if (options.port === undefined) {
      if (ports.length > 1) {
        fail(ctx, 'options.port', undefined, `one of the Service's ports ${ports.map(p => p.port).join(', ')} (the Service has several)`);
      }
      chosen = ports[0];
    } else {
      checkPort(ctx, 'options.port', options.port);
      chosen = ports.find(p => p.port === options.port);
      if (!chosen) {
        fail(ctx, 'options.port', options.port, `one of the Service's ports: ${ports.map(p => p.port).join(', ')}`);
      }
    }
    return new Backend({
      serviceName: object.name,
      port: chosen.port,
      namespace: object.metadata.namespace,
      portName: chosen.name,
      appProtocol: chosen.appProtocol,
      service: plus,
      serviceObject: object,
      servicePath: construct.node.path,
    });
  }

  /** The Service's name. */
  public readonly serviceName: string;

  /** The Service port. */
  public readonly port: number;

  /**
   * The Service's namespace.
   *
   * @default - the namespace of the construct that uses the backend
   */
  public readonly namespace?: string;

  /**
   * The name of the Service port, when known.
   *
   * @default - unknown
   */
  public readonly portName?: string;

  /**
   * The port's `appProtocol`, when known.
   *
   * @default - unknown
   */
  public readonly appProtocol?: string;

  /**
   * The cdk8s-plus-27 Service this backend was made from, if any.
   *
   * @default - none: the backend was made with `fromName` or `fromServiceConstruct`
   */
  public readonly service?: kplus.Service;

  /**
   * @internal The Service object in this app (from `fromService` or `fromServiceConstruct`):
   * the front doors read its selector at synth time to isolate its pods.
   */
  public readonly _serviceObject?: ApiObject;

  /** @internal The path of the Service construct the user gave, for messages. */
  public readonly _servicePath?: string;

  private constructor(props: BackendParts) {
    made(this);
    this.serviceName = props.serviceName;
    this.port = props.port;
    this.namespace = props.namespace;
    this.portName = props.portName;
    this.appProtocol = props.appProtocol;
    this.service = props.service;
    this._serviceObject = props.serviceObject;
    this._servicePath = props.servicePath;
  }

  /**
   * The Service's cluster DNS name, `<name>.<namespace>.svc.<clusterDomain>`.
   *
   * @param defaultNamespace namespace to use when the backend has none (usually the namespace
   * of the construct that routes to it)
   * @param clusterDomain the cluster's DNS domain
   */
  public fqdn(defaultNamespace: string, clusterDomain: string = 'cluster.local'): string {
    return `${this.serviceName}.${this.namespace ?? defaultNamespace}.svc.${clusterDomain}`;
  }
}

/** What a Backend is made of. */
interface BackendParts {
  readonly serviceName: string;
  readonly port: number;
  readonly namespace?: string;
  readonly portName?: string;
  readonly appProtocol?: string;
  readonly service?: kplus.Service;
  readonly serviceObject?: ApiObject;
  readonly servicePath?: string;
}
