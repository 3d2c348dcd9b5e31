import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeSpec,
  parcelApiSpec,
  readParcelApiConfig,
  readWarehouseQueryConfig,
  SERVICE_METRICS,
  warehouseQuerySpec,
} from '@parcel/config';
import { pathShapeRegexes, ROUTES, shapeCheckedRoutes } from '@parcel/routes';
import { XRAY_GROUPS } from '@parcel/sampling-rules';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentFor } from './container-env';
import { DB_MASTER_USER } from './data';
import { ParcelStack } from './parcel-stack';
import { XRAY_DAEMON_IMAGE, XRAY_WRITE_ACTIONS } from './telemetry-sidecar';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;

// One synthesis per stack for the whole file: the machine is shared and has two cores.
let outdir: string;
let stack: ParcelStack;
let template: Template;
let resources: Resources;
let adotTemplate: Template;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'parcel-cdk-'));
  const app = new App({ outdir, context: { region: 'us-east-1' } });
  stack = new ParcelStack(app, 'Test', { env: { region: 'eu-west-1' } });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
  // The sidecar switch does not touch the app images: skip staging their build context a second time.
  const adotApp = new App({ outdir: join(outdir, 'adot') });
  const images = {
    'parcel-api': ecs.ContainerImage.fromRegistry('parcel-api:test'),
    'warehouse-query': ecs.ContainerImage.fromRegistry('warehouse-query:test'),
  };
  adotTemplate = Template.fromStack(
    new ParcelStack(adotApp, 'Adot', {
      env: { region: 'eu-west-1' },
      sidecar: { kind: 'adot', cpu: 64 },
      // The collector takes OTLP: the OpenTelemetry backend may run beside it.
      tracingBackend: 'otel',
      images,
    }),
  );
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const json = (v: unknown) => JSON.stringify(v);

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.map(
      (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });
});

describe('front door', () => {
  it('traces, logs and throttles the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 5000, ThrottlingBurstLimit: 2000, HttpMethod: '*' }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('builds one method per shared route, IAM on /internal/*, validation where the route asks', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, r]) => r.Properties ?? {});
    expect(methods).toHaveLength(ROUTES.length);
    const paths = ofType('AWS::ApiGateway::Resource').map(([, r]) => r.Properties?.PathPart);
    for (const route of ROUTES) {
      for (const part of route.resourcePath.split('/').filter(Boolean)) expect(paths).toContain(part);
    }
    const auths = methods.map((m) => m.AuthorizationType).sort();
    expect(auths).toEqual(ROUTES.map((r) => (r.authorization === 'AWS_IAM' ? 'AWS_IAM' : 'NONE')).sort());
    const validated = methods.filter((m) => m.RequestValidatorId !== undefined);
    expect(validated).toHaveLength(ROUTES.filter((r) => r.validateRequestParameters).length);
    for (const m of methods) expect(m.RequestParameters).toEqual({ 'method.request.path.id': true });
  });

  it('routes every method through VPC link V2 to the internal ALB', () => {
    const [linkId] = ofType('AWS::ApiGatewayV2::VpcLink')[0] ?? [];
    const [albId, alb] = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')[0] ?? [];
    expect(linkId).toBeDefined();
    expect(alb?.Properties?.Scheme).toBe('internal');
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods).toHaveLength(ROUTES.length);
    for (const [, m] of methods) {
      const integration = m.Properties?.Integration as Record<string, unknown>;
      expect(integration.Type).toBe('HTTP_PROXY');
      expect(integration.ConnectionType).toBe('VPC_LINK');
      expect(integration.ConnectionId).toEqual({ Ref: linkId });
      expect(integration.IntegrationTarget).toEqual({ Ref: albId });
      expect(integration.RequestParameters).toEqual({
        'integration.request.path.id': 'method.request.path.id',
      });
    }
    const rules = ofType('AWS::ElasticLoadBalancingV2::ListenerRule').map(([, r]) => json(r.Properties));
    expect(rules.some((r) => r.includes('/parcels/*'))).toBe(true);
    expect(rules.some((r) => r.includes('/internal/warehouse/*') && r.includes('/internal/vendor/*'))).toBe(
      true,
    );
  });

  it('associates the WAF ACL with the stage only after the stage exists', () => {
    const [stageId] = ofType('AWS::ApiGateway::Stage')[0] ?? [];
    const [, assoc] = ofType('AWS::WAFv2::WebACLAssociation')[0] ?? [];
    expect([assoc?.DependsOn].flat()).toContain(stageId);
    const acl = ofType('AWS::WAFv2::WebACL')[0]?.[1].Properties ?? {};
    expect(acl.Scope).toBe('REGIONAL');
    const rules = json(acl.Rules);
    for (const name of [
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'RateBasedStatement',
    ])
      expect(rules).toContain(name);
  });

  it("blocks a path whose parameter breaks the route table's pattern, with the stand-in's regexes", () => {
    const sets = ofType('AWS::WAFv2::RegexPatternSet');
    const byId = Object.fromEntries(sets.map(([id, r]) => [id, r.Properties?.RegularExpressionList]));
    const checked = shapeCheckedRoutes(ROUTES).map((r) => pathShapeRegexes(r, 'prod'));
    expect(checked.length).toBeGreaterThan(0);
    const routedId = sets.find(
      ([, r]) => json(r.Properties?.RegularExpressionList) === json(checked.map((c) => c.routed)),
    )?.[0];
    const validId = sets.find(
      ([, r]) => json(r.Properties?.RegularExpressionList) === json(checked.map((c) => c.valid)),
    )?.[0];
    expect(routedId, json(byId)).toBeDefined();
    expect(validId, json(byId)).toBeDefined();
    const acl = ofType('AWS::WAFv2::WebACL')[0]?.[1].Properties ?? {};
    const rule = (acl.Rules as { Name: string; Action: unknown; Statement: unknown }[]).find(
      (r) => r.Name === 'PathParameterShape',
    );
    const ref = (id: string) => ({
      RegexPatternSetReferenceStatement: {
        Arn: { 'Fn::GetAtt': [id, 'Arn'] },
        FieldToMatch: { UriPath: {} },
        TextTransformations: [{ Priority: 0, Type: 'URL_DECODE' }],
      },
    });
    expect(rule?.Statement).toEqual({
      AndStatement: {
        Statements: [ref(routedId as string), { NotStatement: { Statement: ref(validId as string) } }],
      },
    });
    expect(rule?.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 400, CustomResponseBodyKey: 'invalid-parameter' } },
    });
  });
});

describe('fan-out', () => {
  it('is the shared EXPRESS definition, traced, logging ALL', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'parcel-fanout',
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const sm = ofType('AWS::StepFunctions::StateMachine')[0]?.[1].Properties ?? {};
    const definition = json(sm.DefinitionString);
    expect(definition).toContain('arn:aws:states:::apigateway:invoke');
    expect(definition).toContain('IAM_ROLE');
    expect(definition).toContain('execute-api.eu-west-1');
  });

  it('may invoke only GET /internal/* on the stage and put items only in the table', () => {
    const role = ofType('AWS::IAM::Role').find(([, r]) =>
      json(r.Properties).includes('states.amazonaws.com'),
    );
    const policy = ofType('AWS::IAM::Policy').find(([, p]) =>
      json(p.Properties?.Roles).includes(role?.[0] ?? '-'),
    );
    const doc = json(policy?.[1].Properties?.PolicyDocument);
    expect(doc).toContain('"execute-api:Invoke"');
    expect(doc).toContain('/prod/GET/internal/*');
    expect(doc).toContain('"dynamodb:PutItem"');
    expect(doc).not.toMatch(/"dynamodb:\*"|"execute-api:\*"/);
  });
});

describe('services', () => {
  /** Both services' task definitions; counted, so a loop over them cannot pass by running zero times. */
  const taskDefs = () => {
    const tds = ofType('AWS::ECS::TaskDefinition')
      .map(([, r]) => r.Properties ?? {})
      .filter((td) => td.Family !== 'warehouse-migrate');
    expect(tds, 'task definitions: parcel-api and warehouse-query').toHaveLength(2);
    return tds;
  };
  const containers = (td: Record<string, unknown>) =>
    td.ContainerDefinitions as {
      Name: string;
      Image: unknown;
      PortMappings?: unknown[];
      Environment?: { Name: string; Value?: unknown }[];
      User?: string;
      ReadonlyRootFilesystem?: boolean;
      HealthCheck?: { Command: string[] };
    }[];

  it('runs an X-Ray daemon sidecar on UDP 2000 in both task definitions, non-root, shell-less health check', () => {
    for (const td of taskDefs()) {
      const daemon = containers(td).find((c) => c.Name === 'xray-daemon');
      expect(daemon?.Image).toBe(XRAY_DAEMON_IMAGE);
      expect(daemon?.PortMappings).toContainEqual(
        expect.objectContaining({ ContainerPort: 2000, Protocol: 'udp' }),
      );
      expect(daemon?.User).toBe('10001');
      expect(daemon?.HealthCheck?.Command).toEqual(['CMD', '/xray', '--version']);
      expect(td.NetworkMode).toBe('awsvpc');
    }
  });

  it('keeps idle connections open longer than the ALB does, headers timer above that (ELB: else 502s)', () => {
    const [, alb] = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')[0] ?? [];
    const attributes = alb?.Properties?.LoadBalancerAttributes as { Key: string; Value: string }[];
    const idleSeconds = Number(attributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value);
    expect(idleSeconds).toBeGreaterThan(0);
    const readers = {
      'parcel-api': readParcelApiConfig,
      'warehouse-query': readWarehouseQueryConfig,
    } as const;
    for (const td of taskDefs()) {
      const app = containers(td).find((c) => c.Name in readers);
      if (!app) throw new Error('a task definition without its service container');
      // The service's own reading of its container environment (tokens such as ARNs left to defaults).
      const env = Object.fromEntries(
        (app.Environment ?? []).flatMap((v) => (typeof v.Value === 'string' ? [[v.Name, v.Value]] : [])),
      );
      const { serverTimeouts } = readers[app.Name as keyof typeof readers](env);
      expect(serverTimeouts.keepAliveTimeoutMs, app.Name).toBeGreaterThan(idleSeconds * 1000);
      expect(serverTimeouts.headersTimeoutMs, app.Name).toBeGreaterThan(serverTimeouts.keepAliveTimeoutMs);
    }
  });

  it('sets only variables the @parcel/config specs read', () => {
    const specs = { 'parcel-api': parcelApiSpec, 'warehouse-query': warehouseQuerySpec } as const;
    for (const td of taskDefs()) {
      const app = containers(td).find((c) => c.Name in specs);
      expect(app).toBeDefined();
      const known = new Set(describeSpec(specs[app?.Name as keyof typeof specs]).map((f) => f.variable));
      for (const v of app?.Environment ?? []) expect(known, `${app?.Name}: ${v.Name}`).toContain(v.Name);
      // The services default to loopback; the ALB reaches the task on its ENI.
      expect(app?.Environment).toContainEqual({ Name: 'BIND_HOST', Value: '0.0.0.0' });
      expect(app?.ReadonlyRootFilesystem).toBe(true);
      expect(app?.User).toBe('1000');
      expect(app?.HealthCheck?.Command).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    }
    expect(() => environmentFor('parcel-api', parcelApiSpec, { PARCEL_TABLES: 'typo' })).toThrow(
      /PARCEL_TABLES/,
    );
  });

  it('grants the daemon rights and nothing wider than each task needs', () => {
    const taskRolePolicies = ofType('AWS::IAM::Policy')
      .filter(([id]) => /TaskTaskRoleDefaultPolicy/.test(id) && !id.startsWith('Migrations'))
      .map(([id, p]) => [id, json(p.Properties?.PolicyDocument)] as const);
    expect(taskRolePolicies).toHaveLength(2);
    for (const [, doc] of taskRolePolicies) {
      for (const action of XRAY_WRITE_ACTIONS) expect(doc).toContain(action);
      expect(doc).not.toMatch(/"[a-z0-9-]+:\*"/);
    }
    const parcelApi = taskRolePolicies.find(([id]) => id.startsWith('ParcelApi'))?.[1] ?? '';
    expect(parcelApi).toContain('"dynamodb:GetItem"');
    expect(parcelApi).not.toContain('dynamodb:PutItem');
    expect(parcelApi).toContain('"states:StartSyncExecution"');
    const warehouse = taskRolePolicies.find(([id]) => id.startsWith('WarehouseQuery'))?.[1] ?? '';
    expect(warehouse).toContain('"rds-db:connect"');
    expect(warehouse).not.toContain('dynamodb:');
  });

  it('lets warehouse-query sign in to the database as its own role only, never as the master user', () => {
    const statements = ofType('AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('WarehouseQueryTaskTaskRoleDefaultPolicy'))
      .flatMap(
        ([, p]) =>
          ((p.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Record<string, unknown>[] })
            .Statement,
      )
      .filter((st) => json(st.Action).includes('rds-db:connect'));
    expect(statements).toHaveLength(1);
    const resource = json(statements[0]?.Resource);
    expect(resource).toContain(`/${warehouseQuerySpec.dbUser.defaultValue}"`);
    expect(resource).not.toContain(DB_MASTER_USER);
    // The master user is the migration task's, and nobody else's.
    const master = ofType('AWS::IAM::Policy').filter(([, p]) =>
      json(p.Properties?.PolicyDocument).includes(`/${DB_MASTER_USER}`),
    );
    expect(master.map(([id]) => id)).toEqual([expect.stringMatching(/^MigrationsTaskTaskRoleDefaultPolicy/)]);
    const instance = ofType('AWS::RDS::DBInstance')[0]?.[1].Properties ?? {};
    expect(json(instance.MasterUsername)).toContain(DB_MASTER_USER);
  });
});

describe('migrations', () => {
  const migrate = () =>
    ofType('AWS::ECS::TaskDefinition').find(([, r]) => r.Properties?.Family === 'warehouse-migrate')?.[1];

  it('are their own one-off task: the warehouse-query image, node /app/migrate.mjs, as the master user', () => {
    const td = migrate();
    expect(td).toBeDefined();
    const [container] = (td?.Properties?.ContainerDefinitions ?? []) as {
      Command: string[];
      Image: unknown;
      Environment: { Name: string; Value: unknown }[];
    }[];
    expect(container?.Command).toEqual(['node', '/app/migrate.mjs']);
    const service = ofType('AWS::ECS::TaskDefinition').find(
      ([, r]) => r.Properties?.Family === 'warehouse-query',
    );
    const serviceImage = (
      (service?.[1].Properties?.ContainerDefinitions ?? []) as { Name: string; Image: unknown }[]
    ).find((c) => c.Name === 'warehouse-query')?.Image;
    expect(container?.Image).toEqual(serviceImage);
    const env = Object.fromEntries(container?.Environment.map((e) => [e.Name, e.Value]) ?? []);
    expect(env).toMatchObject({ DB_USER: DB_MASTER_USER, DB_IAM_AUTH: 'true', SEED_SAMPLE_PARCELS: 'false' });
    // No ECS service runs it: only the deploy-time trigger does.
    for (const [, s] of ofType('AWS::ECS::Service'))
      expect(json(s.Properties?.TaskDefinition)).not.toContain('Migrations');
  });

  it('run once per deploy, after the proxy and before warehouse-query deploys, and the deploy waits', () => {
    const triggers = ofType('Custom::Trigger');
    expect(triggers).toHaveLength(1);
    const [triggerId, trigger] = triggers[0] as [string, Resources[string]];
    expect(json(trigger.Properties)).toContain('RequestResponse');
    const service = ofType('AWS::ECS::Service').find(([id]) => id.startsWith('WarehouseQuery'));
    expect([service?.[1].DependsOn].flat()).toContain(triggerId);
    const proxy = ofType('AWS::RDS::DBProxy')[0]?.[0];
    expect([trigger.DependsOn].flat()).toEqual(expect.arrayContaining([proxy]));
    // The runner starts that task definition, in this cluster only.
    const runnerPolicy = json(
      ofType('AWS::IAM::Policy').find(([id]) =>
        id.startsWith('MigrationsRunnerServiceRoleDefaultPolicy'),
      )?.[1].Properties?.PolicyDocument,
    );
    expect(runnerPolicy).toContain('"ecs:RunTask"');
    expect(runnerPolicy).toContain('ecs:cluster');
  });

  it('scales each service on CPU and on requests per target', () => {
    const policies = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => json(p.Properties));
    expect(policies.filter((p) => p.includes('ECSServiceAverageCPUUtilization'))).toHaveLength(2);
    expect(policies.filter((p) => p.includes('ALBRequestCountPerTarget'))).toHaveLength(2);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('swaps the daemon for the ADOT collector with the same UDP port when asked', () => {
    const tds = Object.values(adotTemplate.findResources('AWS::ECS::TaskDefinition')).filter(
      (td) => td.Properties.Family !== 'warehouse-migrate',
    );
    expect(tds, 'task definitions: parcel-api and warehouse-query').toHaveLength(2);
    for (const td of tds) {
      const defs = td.Properties.ContainerDefinitions as {
        Name: string;
        Image: string;
        Cpu: number;
        Environment?: { Name: string; Value: string }[];
        PortMappings: unknown[];
      }[];
      expect(defs.map((c) => c.Name)).not.toContain('xray-daemon');
      const collector = defs.find((c) => c.Name === 'otel-collector');
      expect(collector?.Image).toMatch(/aws-otel-collector:v\d+\.\d+\.\d+$/);
      expect(collector?.Cpu).toBe(64);
      expect(collector?.PortMappings).toContainEqual(
        expect.objectContaining({ ContainerPort: 2000, Protocol: 'udp' }),
      );
      expect(collector?.PortMappings).toContainEqual(
        expect.objectContaining({ ContainerPort: 4318, Protocol: 'tcp' }),
      );
      const app = defs.find((c) => c.Name !== 'otel-collector');
      expect(app?.Environment).toContainEqual({ Name: 'TRACING_BACKEND', Value: 'otel' });
      const config = collector?.Environment?.find((e) => e.Name === 'AOT_CONFIG_CONTENT')?.Value ?? '';
      expect(config).toMatch(/awsxray:\n\s+endpoint: 0\.0\.0\.0:2000\n\s+transport: udp/);
    }
  });
});

describe('KMS keys', () => {
  const keyIds = () => ofType('AWS::KMS::Key').map(([id]) => id);
  const keyWith = (description: RegExp) =>
    ofType('AWS::KMS::Key').find(([, r]) => description.test(String(r.Properties?.Description)))?.[0];
  const ref = (id: string | undefined) => ({ 'Fn::GetAtt': [id, 'Arn'] });

  it('one rotated key per purpose: logs, cache table, database and secret, alarm topic', () => {
    expect(keyIds()).toHaveLength(4);
    for (const [, k] of ofType('AWS::KMS::Key')) expect(k.Properties?.EnableKeyRotation).toBe(true);
    const logs = keyWith(/log groups/);
    const cache = keyWith(/cache table/);
    const database = keyWith(/PostgreSQL/);
    const alarms = keyWith(/alarm topic/);
    expect(new Set([logs, cache, database, alarms]).size).toBe(4);
    for (const [, g] of ofType('AWS::Logs::LogGroup')) expect(g.Properties?.KmsKeyId).toEqual(ref(logs));
    const table = ofType('AWS::DynamoDB::Table')[0]?.[1].Properties?.SSESpecification as {
      KMSMasterKeyId: unknown;
    };
    expect(table.KMSMasterKeyId).toEqual(ref(cache));
    const db = ofType('AWS::RDS::DBInstance')[0]?.[1].Properties ?? {};
    expect(db.KmsKeyId).toEqual(ref(database));
    for (const [, secret] of ofType('AWS::SecretsManager::Secret')) {
      expect(secret.Properties?.KmsKeyId).toEqual(ref(database));
    }
    const topic = ofType('AWS::SNS::Topic')[0]?.[1].Properties ?? {};
    expect(topic.KmsMasterKeyId).toEqual(ref(alarms));
  });

  it('lets CloudWatch Logs use the logs key only for log groups of this account and region', () => {
    const logs = ofType('AWS::KMS::Key').find(([, r]) =>
      /log groups/.test(String(r.Properties?.Description)),
    );
    const statements = (
      (logs?.[1].Properties?.KeyPolicy ?? { Statement: [] }) as { Statement: Record<string, unknown>[] }
    ).Statement;
    const forLogs = statements.filter((st) => json(st.Principal).includes('logs.eu-west-1.amazonaws.com'));
    expect(forLogs).toHaveLength(1);
    expect(json(forLogs[0]?.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
    expect(json(forLogs[0]?.Condition)).toContain(':logs:eu-west-1:');
    // No other key lets the logs service in.
    for (const [, k] of ofType('AWS::KMS::Key').filter(([id]) => id !== logs?.[0])) {
      expect(json(k.Properties?.KeyPolicy)).not.toContain('logs.eu-west-1.amazonaws.com');
    }
  });

  it('lets CloudWatch alarms publish to the encrypted topic', () => {
    const alarms = ofType('AWS::KMS::Key').find(([, r]) =>
      /alarm topic/.test(String(r.Properties?.Description)),
    );
    expect(json(alarms?.[1].Properties?.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
  });

  it('gives roles the cache key through DynamoDB only, and no role kms:ReEncrypt* or a key it does not use', () => {
    const cache = ofType('AWS::KMS::Key').find(([, r]) =>
      /cache table/.test(String(r.Properties?.Description)),
    )?.[0];
    for (const [id, p] of ofType('AWS::IAM::Policy')) {
      const statements = (
        (p.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Record<string, unknown>[] }
      ).Statement;
      for (const st of statements) {
        const actions = [st.Action].flat().map(String);
        expect(
          actions.filter((a) => a.startsWith('kms:ReEncrypt')),
          id,
        ).toEqual([]);
        if (json(st.Resource).includes(cache ?? '-')) {
          expect(st.Condition, id).toEqual({
            StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' },
          });
        }
      }
    }
    const docOf = (pattern: RegExp) =>
      json(ofType('AWS::IAM::Policy').find(([id]) => pattern.test(id))?.[1].Properties?.PolicyDocument);
    expect(docOf(/^FanoutRoleDefaultPolicy/)).toContain('"kms:Encrypt"');
    expect(docOf(/^ParcelApiTaskTaskRoleDefaultPolicy/)).toContain('"kms:Decrypt"');
    expect(docOf(/^ParcelApiTaskTaskRoleDefaultPolicy/)).not.toContain('"kms:Encrypt"');
  });
});

describe('data and tracing resources', () => {
  it('keys the table on parcelId, on demand, with PITR, TTL and a customer key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'parcelId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
  });

  it('puts PostgreSQL behind an IAM-auth, TLS-only proxy with rotated credentials', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      RequireTLS: true,
      Auth: [Match.objectLike({ IAMAuth: 'REQUIRED' })],
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
    });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });

  it('deploys the shared sampling rules (all but Default) and the fault group', () => {
    template.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: Match.objectLike({
        RuleName: 'parcel-api',
        ServiceType: 'AWS::ApiGateway::Stage',
        Version: 1,
      }),
    });
    template.resourceCountIs('AWS::XRay::SamplingRule', 1);
    // The groups are the ones the local X-Ray service starts with: one definition.
    template.resourceCountIs('AWS::XRay::Group', XRAY_GROUPS.length);
    for (const group of XRAY_GROUPS) {
      template.hasResourceProperties('AWS::XRay::Group', {
        GroupName: group.GroupName,
        FilterExpression: group.FilterExpression,
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('alarms on and graphs the EMF metrics the services print: SERVICE_METRICS, one definition', () => {
    // vendor_stale without dimensions: an alarm matches a metric's dimension set exactly.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'parcel-vendor-stale',
      Namespace: SERVICE_METRICS.namespace,
      MetricName: SERVICE_METRICS.vendorStale.name,
      Dimensions: Match.absent(),
    });
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = json(dashboard?.Properties?.DashboardBody);
    for (const service of ['parcel-api', 'warehouse-query']) {
      const metric = [
        SERVICE_METRICS.namespace,
        SERVICE_METRICS.latency.name,
        SERVICE_METRICS.serviceDimension,
        service,
      ];
      expect(body).toContain(json(metric).slice(1, -1).replaceAll('"', '\\"'));
    }
  });

  it('reaches AWS from the private subnets through endpoints', () => {
    const services = ofType('AWS::EC2::VPCEndpoint').map(([, e]) => json(e.Properties?.ServiceName));
    for (const s of [
      'dynamodb',
      's3',
      '.states',
      '.sync-states',
      '.xray',
      '.ecr.api',
      '.ecr.dkr',
      '.logs',
      '.secretsmanager',
    ])
      expect(
        services.some((n) => n.includes(s)),
        s,
      ).toBe(true);
  });
});
