import {
  LOAD_BALANCER_IDLE_TIMEOUT_SECONDS,
  PARCEL_TABLE,
  parcelApiSpec,
  type TracingBackendName,
  warehouseQuerySpec,
} from '@parcel/config';
import { ROUTES, type RouteDefinition } from '@parcel/routes';
import { SAMPLING_RULES, type SamplingRule, XRAY_GROUPS } from '@parcel/sampling-rules';
import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { environmentFor } from './container-env';
import { Data, DB_MASTER_USER } from './data';
import { Fanout } from './fanout';
import { type CustomDomainOptions, FrontDoor } from './front-door';
import { CONTAINER_PORTS, type ImageService } from './image-context';
import { Keys } from './keys';
import { Migrations } from './migrations';
import { Network } from './network';
import { Observability } from './observability';
import { ParcelService } from './parcel-service';
import { assertSidecarServes, SIDECAR_PORT, type TelemetrySidecarOptions } from './telemetry-sidecar';

export interface ParcelStackProps extends StackProps {
  readonly stageName?: string;
  /** The trace sidecar of both services: kind (daemon or collector), CPU, memory, buffer, log level. */
  readonly sidecar?: TelemetrySidecarOptions;
  /** `TRACING_BACKEND` of both services (default xray); `otel` needs the collector sidecar. */
  readonly tracingBackend?: TracingBackendName;
  readonly natGateways?: number;
  readonly multiAzDatabase?: boolean;
  readonly customDomain?: CustomDomainOptions;
  /** The tracking vendor's API. */
  readonly vendorBaseUrl?: string;
  readonly vendorTimeoutMs?: number;
  /** Overridable for tests; default: the shared definitions. */
  readonly routes?: readonly RouteDefinition[];
  readonly samplingRules?: readonly SamplingRule[];
  /** Prebuilt images (tests that must not stage the Docker context). Default: built from docker/. */
  readonly images?: Partial<Record<ImageService, ecs.ContainerImage>>;
}

/** The role warehouse-query signs in as: the environment contract's DB_USER default, created by a migration. */
const SERVICE_DB_USER = warehouseQuerySpec.dbUser.defaultValue ?? 'warehouse';

const DAEMON_ADDRESS = `127.0.0.1:${SIDECAR_PORT}`;

/** Everything docs/architecture.md draws for production, in one stack. */
export class ParcelStack extends Stack {
  readonly network: Network;
  readonly data: Data;
  readonly frontDoor: FrontDoor;
  readonly fanout: Fanout;
  readonly services: Record<ImageService, ParcelService>;
  readonly observability: Observability;
  readonly migrations: Migrations;

  constructor(scope: Construct, id: string, props: ParcelStackProps = {}) {
    super(scope, id, props);
    const tracingBackend = props.tracingBackend ?? 'xray';
    assertSidecarServes(tracingBackend, props.sidecar);
    const stageName = props.stageName ?? 'prod';
    const routes = props.routes ?? ROUTES;

    const keys = new Keys(this, 'Keys');
    const logKey = keys.logs;

    this.network = new Network(this, 'Network', { natGateways: props.natGateways, logKey });
    const vpc = this.network.vpc;

    this.data = new Data(this, 'Data', {
      vpc,
      subnets: this.network.isolatedSubnets,
      tableName: PARCEL_TABLE,
      serviceUser: SERVICE_DB_USER,
      dbName: warehouseQuerySpec.dbName.defaultValue ?? 'parcels',
      cacheKey: keys.cache,
      databaseKey: keys.database,
      multiAz: props.multiAzDatabase,
    });

    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      vpc,
      subnets: this.network.isolatedSubnets,
      routes,
      stageName,
      logKey,
      customDomain: props.customDomain,
    });

    this.fanout = new Fanout(this, 'Fanout', {
      api: this.frontDoor.api,
      stageName,
      table: this.data.table,
      logKey,
    });

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: 'parcel-tracking',
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const serviceSecurityGroup = (name: ImageService, description: string) => {
      const sg = new ec2.SecurityGroup(this, `${name}-sg`, { vpc, description, allowAllOutbound: false });
      sg.addIngressRule(this.frontDoor.albSecurityGroup, ec2.Port.tcp(CONTAINER_PORTS[name]), 'from the ALB');
      this.frontDoor.albSecurityGroup.addEgressRule(sg, ec2.Port.tcp(CONTAINER_PORTS[name]), `to ${name}`);
      return sg;
    };
    const parcelApiSg = serviceSecurityGroup('parcel-api', 'parcel-api tasks: isolated, AWS via endpoints');
    // Isolated subnets have no route out: 443 reaches only the VPC endpoints and the gateway endpoints.
    parcelApiSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through VPC endpoints');
    const warehouseSg = serviceSecurityGroup('warehouse-query', 'warehouse-query tasks: proxy and vendor');
    warehouseSg.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'the tracking vendor (HTTPS) and AWS APIs',
    );
    warehouseSg.addEgressRule(this.data.proxySecurityGroup, ec2.Port.tcp(5432), 'PostgreSQL via RDS Proxy');
    this.data.proxySecurityGroup.addIngressRule(warehouseSg, ec2.Port.tcp(5432), 'from warehouse-query');

    const common = {
      // The ALB reaches the task on its ENI: listen on all interfaces (the services default to loopback).
      BIND_HOST: '0.0.0.0',
      AWS_XRAY_DAEMON_ADDRESS: DAEMON_ADDRESS,
      TRACING_BACKEND: tracingBackend,
      LOG_LEVEL: 'info',
      AWS_REGION: this.region,
      // The ALB's idle timeout: each service derives its keep-alive from it (and must outlast it).
      LOAD_BALANCER_IDLE_TIMEOUT_SECONDS: String(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
    };
    const parcelApi = new ParcelService(this, 'ParcelApi', {
      cluster,
      service: 'parcel-api',
      containerPort: CONTAINER_PORTS['parcel-api'],
      subnets: this.network.isolatedSubnets,
      securityGroup: parcelApiSg,
      sidecar: props.sidecar,
      logKey,
      image: props.images?.['parcel-api'],
      environment: environmentFor('parcel-api', parcelApiSpec, {
        ...common,
        PORT: String(CONTAINER_PORTS['parcel-api']),
        PARCEL_TABLE: this.data.table.tableName,
        STATE_MACHINE_ARN: this.fanout.stateMachine.stateMachineArn,
        CACHE_TTL_SECONDS: '60',
      }),
    });
    const warehouseQuery = new ParcelService(this, 'WarehouseQuery', {
      cluster,
      service: 'warehouse-query',
      containerPort: CONTAINER_PORTS['warehouse-query'],
      subnets: this.network.egressSubnets,
      securityGroup: warehouseSg,
      sidecar: props.sidecar,
      logKey,
      image: props.images?.['warehouse-query'],
      environment: environmentFor('warehouse-query', warehouseQuerySpec, {
        ...common,
        PORT: String(CONTAINER_PORTS['warehouse-query']),
        DB_HOST: this.data.proxy.endpoint,
        DB_PORT: '5432',
        DB_NAME: warehouseQuerySpec.dbName.defaultValue ?? 'parcels',
        DB_USER: SERVICE_DB_USER,
        DB_IAM_AUTH: 'true',
        DB_POOL_SIZE: '10',
        VENDOR_BASE_URL: props.vendorBaseUrl ?? 'https://api.tracking-vendor.example',
        VENDOR_TIMEOUT_MS: String(props.vendorTimeoutMs ?? 400),
      }),
    });
    this.services = { 'parcel-api': parcelApi, 'warehouse-query': warehouseQuery };

    // Least privilege, one grant per thing each task does.
    parcelApi.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCacheItem',
        actions: ['dynamodb:GetItem'],
        resources: [this.data.table.tableArn],
      }),
    );
    keys.grantCacheUse(parcelApi.taskRole, 'read');
    keys.grantCacheUse(this.fanout.role, 'write');
    parcelApi.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunFanout',
        actions: ['states:StartSyncExecution'],
        resources: [this.fanout.stateMachine.stateMachineArn],
      }),
    );
    // Its own role only, never the master user (the migrations' user).
    this.data.proxy.grantConnect(warehouseQuery.taskRole, SERVICE_DB_USER);

    this.migrations = new Migrations(this, 'Migrations', {
      cluster,
      image: warehouseQuery.image,
      spec: warehouseQuerySpec,
      environment: {
        AWS_REGION: this.region,
        LOG_LEVEL: 'info',
        TRACING_BACKEND: 'off',
        DB_HOST: this.data.proxy.endpoint,
        DB_PORT: '5432',
        DB_NAME: warehouseQuerySpec.dbName.defaultValue ?? 'parcels',
        DB_USER: DB_MASTER_USER,
        DB_IAM_AUTH: 'true',
        DB_POOL_SIZE: '1',
        // No sample data outside the local stack.
        SEED_SAMPLE_PARCELS: 'false',
      },
      proxy: this.data.proxy,
      proxySecurityGroup: this.data.proxySecurityGroup,
      masterUser: DB_MASTER_USER,
      vpc,
      subnets: this.network.egressSubnets,
      logKey,
      before: [warehouseQuery.service],
    });

    for (const name of ['parcel-api', 'warehouse-query'] as const) {
      this.services[name].attachAndAutoscale(this.frontDoor.targetGroups[name]);
    }

    this.observability = new Observability(this, 'Observability', {
      api: this.frontDoor.api,
      stageName,
      samplingRules: props.samplingRules ?? SAMPLING_RULES,
      groups: XRAY_GROUPS,
      key: keys.alarms,
    });

    this.acknowledgeFindings();

    new CfnOutput(this, 'ApiUrl', { value: this.frontDoor.api.url });
    new CfnOutput(this, 'StateMachineArn', { value: this.fanout.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
  }

  /** cdk-nag AwsSolutions findings this design accepts, each with its reason. */
  private acknowledgeFindings(): void {
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    for (const svc of Object.values(this.services)) {
      ack(
        svc.taskDefinition,
        'AwsSolutions-ECS2',
        'The environment holds only non-secret settings named by @parcel/config; the database is reached with IAM tokens, so no secret is in it.',
      );
      const policy = svc.taskDefinition.taskRole.node.tryFindChild('DefaultPolicy');
      if (policy) {
        ack(
          policy,
          'AwsSolutions-IAM5[Resource::*]',
          'X-Ray PutTraceSegments, PutTelemetryRecords and the sampling calls do not support resource-level permissions (same as AWSXRayDaemonWriteAccess).',
        );
      }
    }
    ack(
      this.frontDoor.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway needs to write execution logs; AWS maintains its policy.',
    );
  }
}
