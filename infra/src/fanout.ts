import { buildParcelFanoutDefinition, PARCEL_FANOUT_NAME } from '@parcel/state-machine';
import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface FanoutProps {
  readonly api: apigw.RestApi;
  readonly stageName: string;
  readonly table: dynamodb.ITable;
  readonly logKey: kms.IKey;
}

/** The EXPRESS `parcel-fanout` state machine: traced, logging ALL, least-privilege role. */
export class Fanout extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FanoutProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Step Functions' API Gateway task takes the execute-api host, not a custom domain.
    const apiEndpoint = `${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    // The same ASL the local Step Functions emulator runs.
    const definition = buildParcelFanoutDefinition({
      apiEndpoint,
      stage: props.stageName,
      tableName: props.table.tableName,
      authType: 'IAM_ROLE',
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${PARCEL_FANOUT_NAME}`,
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'parcel-fanout: invoke the internal routes (SigV4) and write the cache item',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeInternalRoutes',
        actions: ['execute-api:Invoke'],
        resources: [props.api.arnForExecuteApi('GET', '/internal/*', props.stageName)],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteCacheItem',
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: PARCEL_FANOUT_NAME,
      stateMachineType: sfn.StateMachineType.EXPRESS,
      // toJsonString keeps the API id and table name as CloudFormation references inside the ASL.
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      role: this.role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    const policy = this.role.node.findChild('DefaultPolicy');
    const ack = (id: string, reason: string) => Validations.of(policy).acknowledge({ id, reason });
    // cdk-nag names the finding by the policy's resource as it renders intrinsics.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const apiLogicalId = stack.getLogicalId(props.api.node.defaultChild as apigw.CfnRestApi);
    ack(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${region}:<AWS::AccountId>:<${apiLogicalId}>/${props.stageName}/GET/internal/*]`,
      'GET on this stage under /internal/ only: the warehouse and vendor routes the fan-out calls, nothing else.',
    );
    ack(
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments, sampling) and CloudWatch Logs delivery (CreateLogDelivery, …) take no resource ARN.',
    );
  }
}
