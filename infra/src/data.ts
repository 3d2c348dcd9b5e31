import { CACHE_KEY, CACHE_TTL_ATTRIBUTE } from '@parcel/contract';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/**
 * The database's master user: it owns the schema and runs the migrations (the migration task, through the
 * proxy, which holds its secret). warehouse-query connects as its own role, which a migration creates.
 */
export const DB_MASTER_USER = 'parcel_admin';

export interface DataProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly tableName: string;
  /** The database role warehouse-query connects as (end-to-end IAM auth through the proxy). */
  readonly serviceUser: string;
  readonly dbName: string;
  /** Encrypts the cache table only. */
  readonly cacheKey: kms.IKey;
  /** Encrypts the database storage and its master secret only. */
  readonly databaseKey: kms.IKey;
  /** Multi-AZ database. Default true (a standby in the second AZ doubles the instance cost). */
  readonly multiAz?: boolean;
}

/** The cache table, and PostgreSQL behind RDS Proxy with IAM auth and TLS required. */
export class Data extends Construct {
  readonly table: dynamodb.Table;
  readonly database: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  readonly proxySecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Parcels', {
      tableName: props.tableName,
      partitionKey: { name: CACHE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: CACHE_TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.cacheKey,
      // A cache: losing it costs one fan-out per parcel, not data.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const dbSecurityGroup = new ec2.SecurityGroup(this, 'DbSg', {
      vpc: props.vpc,
      description: 'PostgreSQL: reached only through RDS Proxy and the rotation function',
      allowAllOutbound: false,
    });
    this.database = new rds.DatabaseInstance(this, 'Postgres', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [dbSecurityGroup],
      // The instance's own port is not the well-known one; clients use the proxy's 5432.
      port: 5433,
      databaseName: props.dbName,
      credentials: rds.Credentials.fromGeneratedSecret(DB_MASTER_USER, { encryptionKey: props.databaseKey }),
      storageEncrypted: true,
      storageEncryptionKey: props.databaseKey,
      iamAuthentication: true,
      multiAz: props.multiAz ?? true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: false,
      parameters: { 'rds.force_ssl': '1' },
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    this.database.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });

    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySg', {
      vpc: props.vpc,
      description: 'RDS Proxy: PostgreSQL from warehouse-query',
      allowAllOutbound: false,
    });
    const proxyRole = new iam.Role(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
      description: 'RDS Proxy: the master secret, and IAM sign-in to the database as the service role',
    });
    this.proxy = this.database.addProxy('Proxy', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      role: proxyRole,
      // The master user (migrations) through its secret; every other user, the service role among them,
      // end to end with IAM: the proxy signs in to PostgreSQL with a token, no password exists for it.
      secrets: [this.database.secret as NonNullable<typeof this.database.secret>],
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      securityGroups: [this.proxySecurityGroup],
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
    });
    this.database.grantConnect(proxyRole, props.serviceUser);
    dbSecurityGroup.addIngressRule(this.proxySecurityGroup, ec2.Port.tcp(5433), 'from RDS Proxy');
    this.proxySecurityGroup.addEgressRule(dbSecurityGroup, ec2.Port.tcp(5433), 'to PostgreSQL');
  }
}
