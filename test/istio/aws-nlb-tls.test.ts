import { AwsNlbTls, NlbAlpnPolicy, NlbScheme } from '../../src';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

test('the seed\'s annotations for the AWS Load Balancer Controller, secure defaults', () => {
  expect(AwsNlbTls.annotations({ certificateArns: [ARN] })).toEqual({
    'service.beta.kubernetes.io/aws-load-balancer-alpn-policy': 'HTTP2Preferred',
    'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': ARN,
    // without it the controller applies ELBSecurityPolicy-2016-08, which accepts TLS 1.0 and 1.1
    'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
  });
});

test('options: several certificates, internal, named port, negotiation policy, keys sorted', () => {
  const arn2 = ARN.replace('us-east-1', 'eu-west-1');
  const a = AwsNlbTls.annotations({
    certificateArns: [ARN, arn2],
    alpnPolicy: NlbAlpnPolicy.HTTP2_ONLY,
    scheme: NlbScheme.INTERNAL,
    sslPorts: ['https'],
    sslNegotiationPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
  });
  expect(a['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBe(`${ARN},${arn2}`);
  expect(a['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
  expect(a['service.beta.kubernetes.io/aws-load-balancer-ssl-ports']).toBe('https');
  expect(a['service.beta.kubernetes.io/aws-load-balancer-alpn-policy']).toBe('HTTP2Only');
  expect(a['service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy']).toBe('ELBSecurityPolicy-TLS13-1-3-2021-06');
  expect(Object.keys(a)).toEqual([...Object.keys(a)].sort());
});

test('HTTP1Only is allowed only when the traffic is not gRPC', () => {
  expect(AwsNlbTls.annotations({ certificateArns: [ARN], alpnPolicy: NlbAlpnPolicy.HTTP1_ONLY, grpc: false })['service.beta.kubernetes.io/aws-load-balancer-alpn-policy']).toBe('HTTP1Only');
});

describe('bad input', () => {
  test('fails no certificate', () => {
    expect(() => AwsNlbTls.annotations({ certificateArns: [] })).toThrow('AwsNlbTls.annotations: invalid options.certificateArns []: expected at least one ACM certificate ARN');
  });
  test.each([
    'arn:aws:iam::123456789012:server-certificate/x',
    'arn:aws:acm:us-east-1:12345:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    'arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid',
  ])('fails an invalid ACM ARN %s', arn => {
    expect(() => AwsNlbTls.annotations({ certificateArns: [ARN, arn] })).toThrow(`invalid options.certificateArns[1] "${arn}": expected an ACM certificate ARN`);
  });
  test.each([NlbAlpnPolicy.HTTP1_ONLY, NlbAlpnPolicy.NONE])('fails ALPN %s for gRPC', alpn => {
    expect(() => AwsNlbTls.annotations({ certificateArns: [ARN], alpnPolicy: alpn })).toThrow(`invalid options.alpnPolicy "${alpn}": expected HTTP2Preferred, HTTP2Only or HTTP2Optional for gRPC`);
  });
  test('fails an unknown ALPN value', () => {
    expect(() => AwsNlbTls.annotations({ certificateArns: [ARN], alpnPolicy: 'HTTP3' as NlbAlpnPolicy })).toThrow('invalid options.alpnPolicy "HTTP3"');
  });
  test('fails a bad ssl port and a bad negotiation policy', () => {
    expect(() => AwsNlbTls.annotations({ certificateArns: [ARN], sslPorts: ['70000'] })).toThrow('invalid options.sslPorts[0] "70000"');
    expect(() => AwsNlbTls.annotations({ certificateArns: [ARN], sslNegotiationPolicy: 'TLS13' })).toThrow('invalid options.sslNegotiationPolicy "TLS13"');
  });
  test.each(['ELBSecurityPolicy-2016-08', 'ELBSecurityPolicy-TLS13-1-0-2021-06', 'ELBSecurityPolicy-TLS-1-1-2017-01', 'ELBSecurityPolicy-FS-2018-06'])(
    'fails the negotiation policy %s, which accepts TLS before 1.2', policy => {
      expect(() => AwsNlbTls.annotations({ certificateArns: [ARN], sslNegotiationPolicy: policy }))
        .toThrow(`invalid options.sslNegotiationPolicy "${policy}": expected an ELB security policy whose lowest version is TLS 1.2 or 1.3`);
    });
});
