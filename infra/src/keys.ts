import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * One customer managed key per purpose, so that a principal allowed one use cannot decrypt the others:
 * log groups, the cache table, the database (storage and its secret), the alarm topic.
 */
export class Keys extends Construct {
  readonly logs: kms.Key;
  readonly cache: kms.Key;
  readonly database: kms.Key;
  readonly alarms: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = (name: string, description: string) =>
      new kms.Key(this, name, { description: `parcel-tracking: ${description}`, enableKeyRotation: true });

    this.logs = key('Logs', 'CloudWatch Logs log groups of this account and region');
    // "Encrypt log data in CloudWatch Logs using AWS KMS" (CloudWatch Logs user guide): the service principal,
    // limited by the encryption context Logs sends to log groups of this account and region.
    this.logs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsForThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );

    this.cache = key('Cache', 'the DynamoDB parcel cache table');
    this.database = key('Database', 'PostgreSQL storage and its master secret');

    this.alarms = key('Alarms', 'the alarm topic');
    // CloudWatch publishes alarm notifications to an encrypted topic only when the key lets it
    // ("Amazon SNS: key management", CloudWatch alarm actions).
    this.alarms.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }

  /**
   * Lets `grantee` use the cache key the way DynamoDB needs it for its `actions` (read: decrypt; write:
   * encrypt too), only through DynamoDB in this region, and never to re-encrypt.
   */
  grantCacheUse(grantee: iam.IGrantable, access: 'read' | 'write'): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: access === 'read' ? 'CacheKeyForDynamoDbReads' : 'CacheKeyForDynamoDbWrites',
        actions:
          access === 'read'
            ? ['kms:Decrypt', 'kms:DescribeKey']
            : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [this.cache.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
    );
  }
}
