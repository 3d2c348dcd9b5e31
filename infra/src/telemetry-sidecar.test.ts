import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ParcelStack } from './parcel-stack';
import {
  addTelemetrySidecar,
  OTLP_HTTP_PORT,
  renderCollectorConfig,
  type TelemetrySidecarOptions,
  XRAY_OTLP_WRITE_ACTIONS,
} from './telemetry-sidecar';

type Pipelines = Record<string, { receivers: string[]; exporters: string[] }>;
interface CollectorConfig {
  extensions: Record<string, unknown>;
  receivers: Record<string, { protocols?: { http?: { endpoint: string } } }>;
  exporters: Record<string, { traces_endpoint?: string; auth?: { authenticator: string } }>;
  service: { extensions: string[]; pipelines: Pipelines };
}
const config = (transactionSearch?: boolean) =>
  parse(renderCollectorConfig('eu-west-1', { transactionSearch })) as CollectorConfig;

/** One task definition with the sidecar, synthesised alone (no whole stack). */
function sidecarTask(options: TelemetrySidecarOptions) {
  const stack = new Stack(new App(), 'Sidecar', { env: { region: 'eu-west-1' } });
  const task = new ecs.FargateTaskDefinition(stack, 'Task');
  task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app:test') });
  addTelemetrySidecar(task, { ...options, logGroup: new logs.LogGroup(stack, 'Logs') });
  return Template.fromStack(stack);
}

describe('the collector sidecar', () => {
  it('takes OTLP/HTTP on 4318 beside X-Ray UDP on 2000, both into the awsxray exporter', () => {
    expect(OTLP_HTTP_PORT).toBe(4318);
    const c = config();
    expect(c.receivers.otlp?.protocols?.http?.endpoint).toBe('0.0.0.0:4318');
    expect(c.service.pipelines['traces/xray']).toMatchObject({
      receivers: ['awsxray'],
      exporters: ['awsxray'],
    });
    expect(c.service.pipelines['traces/otlp']).toMatchObject({ receivers: ['otlp'], exporters: ['awsxray'] });
    expect(c.extensions).not.toHaveProperty('sigv4auth');
  });

  it('with Transaction Search, sends OTLP spans to the X-Ray OTLP endpoint signed with SigV4 for xray', () => {
    const c = config(true);
    expect(c.exporters['otlphttp/xray']).toEqual({
      traces_endpoint: 'https://xray.eu-west-1.amazonaws.com/v1/traces',
      auth: { authenticator: 'sigv4auth' },
    });
    expect(c.extensions.sigv4auth).toEqual({ region: 'eu-west-1', service: 'xray' });
    expect(c.service.extensions).toContain('sigv4auth');
    expect(c.service.pipelines['traces/otlp']?.exporters).toEqual(['otlphttp/xray']);
    // X-Ray UDP segments cannot go as OTLP: they keep PutTraceSegments.
    expect(c.service.pipelines['traces/xray']?.exporters).toEqual(['awsxray']);
  });

  it('maps 4318 on the collector, and grants the OTLP write actions only with Transaction Search', () => {
    const plain = sidecarTask({ kind: 'adot' });
    const json = JSON.stringify(plain.toJSON());
    expect(json).toContain('"ContainerPort":4318');
    expect(json).not.toContain('xray:PutSpans');
    const search = JSON.stringify(sidecarTask({ kind: 'adot', transactionSearch: true }).toJSON());
    for (const action of XRAY_OTLP_WRITE_ACTIONS) expect(search).toContain(action);
    expect(JSON.stringify(sidecarTask({ kind: 'xray-daemon' }).toJSON())).not.toContain(
      '"ContainerPort":4318',
    );
  });

  it('refuses Transaction Search on the X-Ray daemon', () => {
    expect(() => sidecarTask({ kind: 'xray-daemon', transactionSearch: true })).toThrow(
      /needs the ADOT collector/,
    );
  });
});

describe('backend and sidecar', () => {
  it('TRACING_BACKEND=otel with the X-Ray daemon sidecar fails synthesis, saying why and what to do', () => {
    expect(() => new ParcelStack(new App(), 'OtelOnDaemon', { tracingBackend: 'otel' })).toThrow(
      /TRACING_BACKEND=otel exports OTLP\/HTTP to 127\.0\.0\.1:4318, but the xray-daemon sidecar takes only X-Ray UDP on 2000.*sidecar: \{ kind: 'adot' \}/,
    );
  });
});
