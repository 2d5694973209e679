import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Backend } from '../src';

function service(ports: kplus.ServicePort[], namespace?: string) {
  const chart = Testing.chart();
  const svc = new kplus.Service(chart, 'svc', { metadata: { name: 'ml-api', namespace }, ports });
  return svc;
}

describe('Backend.fromService', () => {
  test('takes the only port, its name and the namespace', () => {
    const b = Backend.fromService(service([{ port: 8500, name: 'grpc' }], 'ml'));
    expect(b.serviceName).toBe('ml-api');
    expect(b.port).toBe(8500);
    expect(b.portName).toBe('grpc');
    expect(b.namespace).toBe('ml');
    expect(b.service).toBeInstanceOf(kplus.Service);
    expect(b.fqdn('default')).toBe('ml-api.ml.svc.cluster.local');
  });
  test('picks the named port among several', () => {
    const b = Backend.fromService(service([{ port: 8080, name: 'http' }, { port: 8500, name: 'grpc' }]), { port: 8500 });
    expect(b.portName).toBe('grpc');
    expect(b.namespace).toBeUndefined();
    expect(b.fqdn('apps', 'corp.local')).toBe('ml-api.apps.svc.corp.local');
  });
  test('fails a Service with several ports and no port option', () => {
    expect(() => Backend.fromService(service([{ port: 8080 }, { port: 8500 }])))
      .toThrow(/Backend.fromService\(test\/svc\): invalid options.port undefined: expected one of the Service's ports 8080, 8500/);
  });
  test('fails a port the Service does not have', () => {
    expect(() => Backend.fromService(service([{ port: 8080 }]), { port: 9000 }))
      .toThrow("invalid options.port 9000: expected one of the Service's ports: 8080");
  });
  test('fails a Service without ports', () => {
    expect(() => Backend.fromService(service([]))).toThrow(/invalid service.ports \[\]: expected a Service with at least one port/);
  });
});

describe('Backend.fromName', () => {
  test('keeps what it is given', () => {
    const b = Backend.fromName('model', 9000, { namespace: 'kserve', portName: 'grpc-infer', appProtocol: 'grpc' });
    expect([b.serviceName, b.port, b.namespace, b.portName, b.appProtocol]).toEqual(['model', 9000, 'kserve', 'grpc-infer', 'grpc']);
    expect(b.service).toBeUndefined();
    expect(b.fqdn('other')).toBe('model.kserve.svc.cluster.local');
  });
  test('fails a Service name that is not a DNS-1035 label', () => {
    expect(() => Backend.fromName('1model', 80)).toThrow('Backend.fromName: invalid serviceName "1model": expected a DNS-1035 label');
  });
  test('fails a port out of range', () => {
    expect(() => Backend.fromName('model', 70000)).toThrow('Backend.fromName: invalid port 70000: expected a port number');
  });
  test('fails a bad namespace', () => {
    expect(() => Backend.fromName('model', 80, { namespace: 'Team_A' })).toThrow('invalid options.namespace "Team_A"');
  });
  test('fails a bad port name', () => {
    expect(() => Backend.fromName('model', 80, { portName: 'GRPC' })).toThrow('invalid options.portName "GRPC"');
  });
  test('fails an empty appProtocol', () => {
    expect(() => Backend.fromName('model', 80, { appProtocol: '' })).toThrow('invalid options.appProtocol ""');
  });
});
