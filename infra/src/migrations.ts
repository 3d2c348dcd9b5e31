import type { Spec } from '@parcel/config';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { environmentFor } from './container-env';
import { IMAGE_TASKS } from './image-context';

export interface MigrationsProps {
  readonly cluster: ecs.ICluster;
  /** The warehouse-query image of this release: it carries `/app/migrate.mjs` and the SQL. */
  readonly image: ecs.ContainerImage;
  readonly spec: Spec;
  readonly environment: Readonly<Record<string, string>>;
  readonly proxy: rds.DatabaseProxy;
  readonly proxySecurityGroup: ec2.ISecurityGroup;
  /** The user the migrations run as (the master user: it owns the schema and creates the service role). */
  readonly masterUser: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logKey: kms.IKey;
  /** Deployed only after the migrations succeeded (the service that reads the schema). */
  readonly before: Construct[];
}

/**
 * The migration step, once per deploy: a one-off Fargate task (the service image, `node /app/migrate.mjs`,
 * as the master user through the proxy) that a CDK trigger runs and waits for before warehouse-query
 * deploys. The trigger runs again whenever the task definition changes, i.e. with every new image.
 */
export class Migrations extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const task = IMAGE_TASKS['warehouse-query'];
    if (!task) throw new Error('warehouse-query has no migrate task in IMAGE_TASKS');
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: '/parcel/warehouse-migrate',
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: 'warehouse-migrate',
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const containerName = 'warehouse-migrate';
    this.taskDefinition.addContainer('migrate', {
      containerName,
      image: props.image,
      essential: true,
      command: ['node', `/app/${task.name}.mjs`],
      environment: environmentFor(containerName, props.spec, props.environment),
      readonlyRootFilesystem: true,
      user: '1000',
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'migrate', logGroup }),
    });
    // IAM token for the master user through the proxy, which holds the master secret: no secret in the task.
    props.proxy.grantConnect(this.taskDefinition.taskRole, props.masterUser);

    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: props.vpc,
      description: 'warehouse-migrate task: the proxy and AWS APIs only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      props.proxySecurityGroup,
      ec2.Port.tcp(5432),
      'PostgreSQL via RDS Proxy',
    );
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'ECR, logs (VPC endpoints)');
    props.proxySecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(5432), 'from warehouse-migrate');

    const subnets = props.vpc.selectSubnets(props.subnets).subnetIds;
    const runner = new lambda.Function(this, 'Runner', {
      description: 'Runs the warehouse-migrate task once and fails the deploy unless it exits 0',
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      timeout: Duration.minutes(10),
      code: lambda.Code.fromInline(RUNNER_SOURCE),
      environment: {
        CLUSTER: props.cluster.clusterArn,
        TASK_DEFINITION: this.taskDefinition.taskDefinitionArn,
        CONTAINER: containerName,
        SUBNETS: stack.toJsonString(subnets),
        SECURITY_GROUP: this.securityGroup.securityGroupId,
      },
    });
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RunTheMigrationTask',
        actions: ['ecs:RunTask'],
        resources: [this.taskDefinition.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
    );
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WatchItsTasks',
        actions: ['ecs:DescribeTasks'],
        resources: [
          stack.formatArn({
            service: 'ecs',
            resource: 'task',
            resourceName: `${props.cluster.clusterName}/*`,
          }),
        ],
      }),
    );
    const roles = [this.taskDefinition.taskRole, this.taskDefinition.obtainExecutionRole()];
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassItsRoles',
        actions: ['iam:PassRole'],
        resources: roles.map((r) => r.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );

    const ack = (scope: Construct | undefined, id: string, reason: string) => {
      if (scope) Validations.of(scope).acknowledge({ id, reason });
    };
    ack(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds only non-secret settings named by @parcel/config; the migrations sign in with an IAM token through the proxy, which holds the master secret.',
    );
    ack(
      this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken, which the execution role needs to pull the image, takes no resource ARN.',
    );
    ack(
      runner.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "The runner's own CloudWatch Logs rights (create its log group and streams, put events), as AWS maintains them.",
    );
    ack(
      runner.role?.node.tryFindChild('DefaultPolicy'),
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:<AWS::AccountId>:task/<${stack.getLogicalId(props.cluster.node.defaultChild as ecs.CfnCluster)}>/*]`,
      'DescribeTasks on tasks of this one cluster: the task ARN is known only after RunTask returns it.',
    );

    this.trigger = new triggers.Trigger(this, 'Run', {
      handler: runner,
      timeout: Duration.minutes(10),
      executeOnHandlerChange: true,
      executeAfter: [props.proxy],
      executeBefore: props.before,
    });
  }
}

/** The trigger's handler: RunTask, poll until STOPPED, throw unless the container exited 0. */
const RUNNER_SOURCE = `
const { ECSClient, RunTaskCommand, DescribeTasksCommand } = require('@aws-sdk/client-ecs');
const ecs = new ECSClient({});
exports.handler = async () => {
  const run = await ecs.send(new RunTaskCommand({
    cluster: process.env.CLUSTER,
    taskDefinition: process.env.TASK_DEFINITION,
    launchType: 'FARGATE',
    count: 1,
    networkConfiguration: { awsvpcConfiguration: {
      subnets: JSON.parse(process.env.SUBNETS),
      securityGroups: [process.env.SECURITY_GROUP],
      assignPublicIp: 'DISABLED',
    } },
  }));
  if (!run.tasks || run.tasks.length !== 1) throw new Error('RunTask failed: ' + JSON.stringify(run.failures));
  const arn = run.tasks[0].taskArn;
  for (;;) {
    await new Promise((r) => setTimeout(r, 5000));
    const out = await ecs.send(new DescribeTasksCommand({ cluster: process.env.CLUSTER, tasks: [arn] }));
    const t = out.tasks && out.tasks[0];
    if (!t || t.lastStatus !== 'STOPPED') continue;
    const c = (t.containers || []).find((x) => x.name === process.env.CONTAINER);
    if (c && c.exitCode === 0) return { taskArn: arn };
    throw new Error('migrations failed: ' + arn + ' ' + (t.stoppedReason || '') + ' exit ' + (c && c.exitCode));
  }
};
`;
