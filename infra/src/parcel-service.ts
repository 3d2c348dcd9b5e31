import { Duration, IgnoreMode, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IMAGE_CONTEXT_EXCLUDE, IMAGE_SERVICES, type ImageService, REPO_ROOT } from './image-context';
import { addTelemetrySidecar, type TelemetrySidecarOptions } from './telemetry-sidecar';

export interface ParcelServiceProps {
  readonly cluster: ecs.ICluster;
  readonly service: ImageService;
  readonly containerPort: number;
  /** Already checked against the service's `@parcel/config` spec (see `environmentFor`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly sidecar?: TelemetrySidecarOptions;
  readonly logKey: kms.IKey;
  /** Task size. Defaults: 512 CPU units, 1024 MiB. */
  readonly cpu?: number;
  readonly memoryLimitMiB?: number;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  /** Scale out above this average CPU. Default 60 %. */
  readonly targetCpuPercent?: number;
  /** Scale out above this many requests per task per minute through the load balancer. Default 6000. */
  readonly requestsPerTarget?: number;
  /** Override the image (tests; a prebuilt image). Default: built from docker/<service>.Dockerfile. */
  readonly image?: ecs.ContainerImage;
}

/** One Fargate service: the app container, its trace sidecar, logs, health checks and autoscaling. */
export class ParcelService extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly appContainer: ecs.ContainerDefinition;
  readonly sidecarContainer: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly taskRole: iam.IRole;
  readonly logGroup: logs.LogGroup;
  /** The app image (one-off tasks of the same release run it too). */
  readonly image: ecs.ContainerImage;
  private readonly props: ParcelServiceProps;

  constructor(scope: Construct, id: string, props: ParcelServiceProps) {
    super(scope, id);
    this.props = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/parcel/${props.service}`,
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: props.service,
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryLimitMiB ?? 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskRole = this.taskDefinition.taskRole;

    this.image =
      props.image ??
      ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: IMAGE_SERVICES[props.service].dockerfile,
        exclude: [...IMAGE_CONTEXT_EXCLUDE],
        ignoreMode: IgnoreMode.DOCKER,
      });
    const image = this.image;

    this.appContainer = this.taskDefinition.addContainer('app', {
      containerName: props.service,
      image,
      essential: true,
      environment: { ...props.environment },
      portMappings: [{ containerPort: props.containerPort, name: 'http' }],
      // The bundle writes nothing to disk: logs go to stdout, certificates are read-only files.
      readonlyRootFilesystem: true,
      user: '1000',
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app', logGroup: this.logGroup }),
      // The same check as the image's HEALTHCHECK: node is the only tool in the slim image.
      healthCheck: {
        command: ['CMD', 'node', '/app/healthcheck.mjs'],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(3),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      stopTimeout: Duration.seconds(20),
    });

    this.sidecarContainer = addTelemetrySidecar(this.taskDefinition, {
      ...props.sidecar,
      logGroup: this.logGroup,
    });
    // The app starts after the sidecar so the first segments have somewhere to go.
    this.appContainer.addContainerDependencies({
      container: this.sidecarContainer,
      condition: ecs.ContainerDependencyCondition.START,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: props.service,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.minCapacity ?? 2,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: false,
      healthCheckGracePeriod: Duration.seconds(30),
    });

    const executionPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      Validations.of(executionPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken, which the execution role needs to pull the image, takes no resource ARN.',
      });
    }
  }

  /** Puts the service behind `targetGroup` and scales it on CPU and on requests per task. */
  attachAndAutoscale(targetGroup: elbv2.ApplicationTargetGroup): void {
    targetGroup.addTarget(
      this.service.loadBalancerTarget({
        containerName: this.props.service,
        containerPort: this.props.containerPort,
      }),
    );
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: this.props.minCapacity ?? 2,
      maxCapacity: this.props.maxCapacity ?? 10,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: this.props.targetCpuPercent ?? 60,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(30),
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: this.props.requestsPerTarget ?? 6000,
      targetGroup,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(30),
    });
  }
}
