import type { SubsegmentDoc } from '@parcel/xray-protocol';

/** `name` + NUL + `type`: what makes two nodes the same service. */
export const nodeKey = (name: string, type: string | undefined) => `${name}\u0000${type ?? ''}`;

/**
 * The resource type X-Ray gives the node of an AWS service called through an SDK (the subsegment `name`
 * the SDKs use). The one table every reader uses: the service graph, the filters, the summaries.
 * Step Functions is typed as the state machine its own segments carry as `origin`.
 */
const AWS_NODE_TYPES: Record<string, string> = {
  DynamoDB: 'AWS::DynamoDB::Table',
  S3: 'AWS::S3::Bucket',
  SQS: 'AWS::SQS::Queue',
  SNS: 'AWS::SNS',
  Lambda: 'AWS::Lambda',
  SFN: 'AWS::StepFunctions::StateMachine',
  StepFunctions: 'AWS::StepFunctions::StateMachine',
  'Step Functions': 'AWS::StepFunctions::StateMachine',
  XRay: 'AWS::XRay',
};

/** The type of the node an AWS SDK call to `service` (its subsegment name) reaches. */
export function awsNodeType(service: string): string {
  return Object.hasOwn(AWS_NODE_TYPES, service) ? (AWS_NODE_TYPES[service] as string) : `AWS::${service}`;
}

/**
 * The node a downstream call stands for when no segment of its own answers it. X-Ray names inferred
 * nodes after the subsegment; AWS calls get their resource type (and the table as an alias), SQL calls
 * their `database_type`, other remote calls `remote`.
 */
export function inferredNode(sub: SubsegmentDoc): { name: string; type: string; alias?: string } {
  if (sub.namespace === 'aws') {
    const table = typeof sub.aws?.table_name === 'string' ? sub.aws.table_name : undefined;
    return { name: sub.name, type: awsNodeType(sub.name), ...(table ? { alias: table } : {}) };
  }
  if (sub.sql && typeof sub.sql === 'object') {
    const dbType = typeof sub.sql.database_type === 'string' ? sub.sql.database_type : 'Database::SQL';
    return { name: sub.name, type: dbType };
  }
  return { name: sub.name, type: 'remote' };
}
