import { describe, expect, it } from 'vitest';
import { ConfigError, describeSpec, type Spec } from './schema';
import { gatewaySpec } from './services/gateway';
import { parcelApiSpec, readParcelApiConfig } from './services/parcel-api';
import { stepFunctionsSpec } from './services/step-functions';
import { vendorSimSpec } from './services/vendor-sim';
import { readWarehouseQueryConfig, warehouseQuerySpec } from './services/warehouse-query';
import { xrayServiceSpec } from './services/xray-service';

describe('environment contract', () => {
  it('listens on loopback unless told otherwise, in every service (containers set 0.0.0.0)', () => {
    const specs: Record<string, Spec> = {
      gateway: gatewaySpec,
      'parcel-api': parcelApiSpec,
      'warehouse-query': warehouseQuerySpec,
      'step-functions': stepFunctionsSpec,
      'vendor-sim': vendorSimSpec,
      'xray-service': xrayServiceSpec,
    };
    for (const [name, spec] of Object.entries(specs)) {
      const bind = describeSpec(spec).filter((f) => f.variable.endsWith('BIND_HOST'));
      expect(bind, name).toHaveLength(1);
      expect(bind[0]?.defaultValue, name).toBe('127.0.0.1');
    }
  });

  it('applies defaults when nothing is set', () => {
    const config = readParcelApiConfig({});
    expect(config).toMatchObject({
      port: 3001,
      tableName: 'parcels',
      cacheTtlSeconds: 60,
      daemonAddress: { host: '127.0.0.1', port: 2000 },
      tracingBackend: 'xray',
      dynamodbEndpoint: undefined,
    });
  });

  it('reads typed values', () => {
    const config = readWarehouseQueryConfig({
      PORT: '4000',
      VENDOR_TIMEOUT_MS: '0',
      DB_IAM_AUTH: 'true',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/parcels',
      AWS_XRAY_DAEMON_ADDRESS: '[::1]:2001',
    });
    expect(config).toMatchObject({
      port: 4000,
      vendorTimeoutMs: 0,
      dbIamAuth: true,
      databaseUrl: 'postgres://u:p@127.0.0.1:5432/parcels',
      daemonAddress: { host: '::1', port: 2001 },
    });
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      readParcelApiConfig({
        PORT: 'eighty',
        CACHE_TTL_SECONDS: '-1',
        DYNAMODB_ENDPOINT: 'not a url',
        TRACING_BACKEND: 'zipkin',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const v of ['PORT', 'CACHE_TTL_SECONDS', 'DYNAMODB_ENDPOINT', 'TRACING_BACKEND'])
      expect(problems).toContain(v);
    expect((error as ConfigError).message).toMatch(/^parcel-api: invalid configuration/);
  });

  it('rejects an empty required value', () => {
    expect(() => readParcelApiConfig({ STATE_MACHINE_ARN: '' })).toThrow(
      /STATE_MACHINE_ARN must not be empty/,
    );
  });

  it('describes the variables it reads', () => {
    const vars = describeSpec(parcelApiSpec).map((d) => d.variable);
    expect(vars).toEqual(
      expect.arrayContaining(['PORT', 'PARCEL_TABLE', 'AWS_XRAY_DAEMON_ADDRESS', 'SFN_ENDPOINT']),
    );
  });
});
