import { LOAD_BALANCER_IDLE_TIMEOUT_SECONDS } from '@parcel/config';
import { pathShapeRegexes, type RouteDefinition, shapeCheckedRoutes } from '@parcel/routes';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { ImageService } from './image-context';

const INVALID_PARAMETER_BODY = 'invalid-parameter';

export interface CustomDomainOptions {
  readonly domainName: string;
  readonly certificateArn: string;
}

export interface FrontDoorProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The shared route table (`ROUTES` of `@parcel/routes`). */
  readonly routes: readonly RouteDefinition[];
  readonly stageName: string;
  readonly logKey: kms.IKey;
  /** Stage-wide steady-state requests per second. Default 5000 (the service runs at ~3,000). */
  readonly throttleRateLimit?: number;
  readonly throttleBurstLimit?: number;
  /** Requests per client IP per 5 minutes before WAF blocks. Default 3000. */
  readonly wafRateLimitPer5Min?: number;
  readonly customDomain?: CustomDomainOptions;
}

/**
 * WAF ─▶ REST API (REGIONAL, traced) ─▶ VPC link V2 ─▶ internal ALB ─▶ the two services' target groups.
 * `aws-cdk-lib` has no L2 for a REST API private integration over VPC link V2 (its `VpcLink` is V1, NLB
 * only), so the V2 link is the `aws-apigatewayv2` one and the ALB goes into the method's
 * `Integration.IntegrationTarget`, which the L1 supports.
 */
export class FrontDoor extends Construct {
  readonly api: apigw.RestApi;
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly albSecurityGroup: ec2.SecurityGroup;
  readonly listener: elbv2.ApplicationListener;
  readonly vpcLink: apigwv2.VpcLink;
  readonly targetGroups: Record<ImageService, elbv2.ApplicationTargetGroup>;
  readonly webAcl: wafv2.CfnWebACL;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // ── internal ALB ────────────────────────────────────────────────────────────────────────────────
    this.albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSg', {
      vpc: props.vpc,
      description: 'Internal ALB: HTTP from the API Gateway VPC link only',
      allowAllOutbound: false,
    });
    const linkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSg', {
      vpc: props.vpc,
      description: 'API Gateway VPC link V2: to the internal ALB only',
      allowAllOutbound: false,
    });
    this.albSecurityGroup.addIngressRule(linkSecurityGroup, ec2.Port.tcp(80), 'from the VPC link');
    linkSecurityGroup.addEgressRule(this.albSecurityGroup, ec2.Port.tcp(80), 'to the ALB');

    const albLogs = new s3.Bucket(this, 'AlbAccessLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(albLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is itself an access-log destination; logging its accesses would log the logger.',
    });
    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: false,
      securityGroup: this.albSecurityGroup,
      dropInvalidHeaderFields: true,
      // The services keep idle connections longer than this (`serverTimeoutsBehind` in @parcel/config).
      idleTimeout: Duration.seconds(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
    });
    this.alb.logAccessLogs(albLogs, 'alb');
    // The link reaches the ALB over plain HTTP inside the VPC; TLS ends at API Gateway.
    this.listener = this.alb.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: '{"error":"not_found"}',
      }),
    });
    const targetGroup = (name: ImageService, port: number) =>
      new elbv2.ApplicationTargetGroup(this, `${name}-tg`, {
        vpc: props.vpc,
        port,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(15),
        healthCheck: {
          path: '/health',
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
        },
      });
    this.targetGroups = {
      'parcel-api': targetGroup('parcel-api', 3001),
      'warehouse-query': targetGroup('warehouse-query', 3002),
    };
    // ALB path patterns from the route table: `/parcels/{id}` → `/parcels/*`.
    const patterns = new Map<ImageService, Set<string>>();
    for (const r of props.routes) {
      const pattern = r.resourcePath.replace(/\{[^}]+\}.*$/, '*');
      patterns.set(r.target, (patterns.get(r.target) ?? new Set()).add(pattern));
    }
    let priority = 10;
    for (const [target, set] of patterns) {
      this.listener.addTargetGroups(`${target}-rule`, {
        priority,
        conditions: [elbv2.ListenerCondition.pathPatterns([...set])],
        targetGroups: [this.targetGroups[target]],
      });
      priority += 10;
    }

    // ── REST API ────────────────────────────────────────────────────────────────────────────────────
    this.vpcLink = new apigwv2.VpcLink(this, 'VpcLinkV2', {
      vpc: props.vpc,
      subnets: props.subnets,
      securityGroups: [linkSecurityGroup],
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: 'parcel-tracking',
      description: 'Parcel tracking: GET /parcels/{id}; /internal/* for the fan-out (IAM)',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttleRateLimit ?? 5000,
        throttlingBurstLimit: props.throttleBurstLimit ?? 2000,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            traceId: '$context.xrayTraceId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            method: '$context.httpMethod',
            path: '$context.resourcePath',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integration.latency',
            integrationStatus: '$context.integration.status',
            wafStatus: '$context.waf.status',
          }),
        ),
      },
      disableExecuteApiEndpoint: false,
    });
    const validator = this.api.addRequestValidator('PathParams', {
      requestValidatorName: 'path-parameters',
      validateRequestParameters: true,
      // The routes are GETs; validating a body that cannot be there costs nothing.
      validateRequestBody: true,
    });
    const linkRef = apigw.VpcLink.fromVpcLinkId(this, 'VpcLinkRef', this.vpcLink.vpcLinkId);
    for (const route of props.routes) {
      const resource = this.api.root.resourceForPath(route.resourcePath);
      const params = Object.keys(route.pathParameters);
      const method = resource.addMethod(
        route.method,
        new apigw.Integration({
          type: apigw.IntegrationType.HTTP_PROXY,
          integrationHttpMethod: route.method,
          uri: `http://${this.alb.loadBalancerDnsName}${route.resourcePath}`,
          options: {
            connectionType: apigw.ConnectionType.VPC_LINK,
            vpcLink: linkRef,
            requestParameters: Object.fromEntries(
              params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`]),
            ),
            timeout: Duration.seconds(29),
          },
        }),
        {
          authorizationType:
            route.authorization === 'AWS_IAM' ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
          requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])),
          requestValidator: route.validateRequestParameters ? validator : undefined,
        },
      );
      // VPC link V2 to an ALB: the target is the load balancer (L1-only property).
      (method.node.defaultChild as apigw.CfnMethod).addPropertyOverride(
        'Integration.IntegrationTarget',
        this.alb.loadBalancerArn,
      );
      if (route.authorization === 'NONE') {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.resourcePath} is the public parcel lookup: anonymous by design, WAF and throttling in front.`,
        });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `${route.method} ${route.resourcePath} is public; the internal routes use AWS_IAM, not Cognito.`,
        });
      } else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `${route.method} ${route.resourcePath} is called by the parcel-fanout state machine, which signs with IAM (SigV4), not Cognito.`,
        });
      }
    }

    if (props.customDomain) {
      const domain = this.api.addDomainName('Domain', {
        domainName: props.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Cert', props.customDomain.certificateArn),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      void domain;
    }

    // ── WAF ─────────────────────────────────────────────────────────────────────────────────────────
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    // API Gateway's request validator checks that a path parameter is present, not its shape: the route
    // table's patterns are enforced here, from the same definitions the stand-in validates with.
    const shapes = shapeCheckedRoutes(props.routes).map((r) => pathShapeRegexes(r, props.stageName));
    const patternSet = (id: string, description: string, regexes: string[]) =>
      new wafv2.CfnRegexPatternSet(this, id, {
        scope: 'REGIONAL',
        description,
        regularExpressionList: regexes,
      });
    const routedPaths = patternSet(
      'ShapeCheckedPaths',
      'Paths of routes whose parameters have a declared shape',
      shapes.map((s) => s.routed),
    );
    const validPaths = patternSet(
      'ValidParameterPaths',
      'The same paths with every parameter in its declared shape',
      shapes.map((s) => s.valid),
    );
    // The stand-in decodes path segments before validating them; WAF does the same with URL_DECODE.
    const uriPath = (arn: string) => ({
      regexPatternSetReferenceStatement: {
        arn,
        fieldToMatch: { uriPath: {} },
        textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
      },
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('parcel-api-acl'),
      customResponseBodies: {
        [INVALID_PARAMETER_BODY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ message: 'Invalid request parameters' }),
        },
      },
      rules: [
        managed('AWSManagedRulesCommonRuleSet', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          name: 'RatePerClientIp',
          priority: 2,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.wafRateLimitPer5Min ?? 3000, aggregateKeyType: 'IP' },
          },
          visibilityConfig: visibility('RatePerClientIp'),
        },
        {
          name: 'PathParameterShape',
          priority: 3,
          action: {
            block: { customResponse: { responseCode: 400, customResponseBodyKey: INVALID_PARAMETER_BODY } },
          },
          statement: {
            andStatement: {
              statements: [
                uriPath(routedPaths.attrArn),
                { notStatement: { statement: uriPath(validPaths.attrArn) } },
              ],
            },
          },
          visibilityConfig: visibility('PathParameterShape'),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    // The stage ARN is assembled from strings, so CloudFormation sees no reference to the stage: without
    // this dependency the association can be created before the stage exists and fail.
    association.node.addDependency(this.api.deploymentStage);
    void stack;
  }
}
