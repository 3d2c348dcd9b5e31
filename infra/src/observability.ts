import { ALARM_THRESHOLDS, SERVICE_METRICS } from '@parcel/config';
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';

/** A rule as X-Ray's API spells it (`GetSamplingRules` records), as `@parcel/sampling-rules` holds them. */
export interface SamplingRuleInput {
  readonly RuleName: string;
  readonly Priority: number;
  readonly FixedRate: number;
  readonly ReservoirSize: number;
  readonly ServiceName: string;
  readonly ServiceType: string;
  readonly Host: string;
  readonly HTTPMethod: string;
  readonly URLPath: string;
  readonly ResourceARN?: string;
  readonly Version?: number;
  readonly Attributes?: Record<string, string>;
}

/** A group as X-Ray's API spells it (`CreateGroup`). */
export interface XrayGroupInput {
  readonly GroupName: string;
  readonly FilterExpression: string;
  readonly InsightsConfiguration: {
    readonly InsightsEnabled: boolean;
    readonly NotificationsEnabled: boolean;
  };
}

export interface ObservabilityProps {
  readonly api: apigw.RestApi;
  readonly stageName: string;
  readonly samplingRules: readonly SamplingRuleInput[];
  /** X-Ray groups as `@parcel/sampling-rules` defines them (the local X-Ray service starts with the same). */
  readonly groups: readonly XrayGroupInput[];
  readonly key: kms.IKey;
  readonly p99ThresholdMs?: number;
  readonly fiveXxPercentThreshold?: number;
  readonly vendorStaleThreshold?: number;
}

/** Sampling rules, the fault group, alarms and a dashboard. */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly samplingRules: xray.CfnSamplingRule[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    for (const rule of props.samplingRules) {
      // Every account already has `Default`, and CloudFormation cannot create it; it is tuned in place.
      if (rule.RuleName === 'Default') continue;
      this.samplingRules.push(
        new xray.CfnSamplingRule(this, `Rule-${rule.RuleName}`, {
          samplingRule: {
            ruleName: rule.RuleName,
            priority: rule.Priority,
            fixedRate: rule.FixedRate,
            reservoirSize: rule.ReservoirSize,
            serviceName: rule.ServiceName,
            serviceType: rule.ServiceType,
            host: rule.Host,
            httpMethod: rule.HTTPMethod,
            urlPath: rule.URLPath,
            resourceArn: rule.ResourceARN ?? '*',
            // Fixed at creation: X-Ray accepts only 1.
            version: rule.Version ?? 1,
            attributes:
              rule.Attributes && Object.keys(rule.Attributes).length > 0 ? rule.Attributes : undefined,
          },
        }),
      );
    }
    for (const group of props.groups) {
      new xray.CfnGroup(this, `Group-${group.GroupName}`, {
        groupName: group.GroupName,
        filterExpression: group.FilterExpression,
        insightsConfiguration: {
          insightsEnabled: group.InsightsConfiguration.InsightsEnabled,
          notificationsEnabled: group.InsightsConfiguration.NotificationsEnabled,
        },
      });
    }

    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: 'parcel-tracking alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    const apiDims = { ApiName: props.api.restApiName, Stage: props.stageName };
    const p99 = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: 'Latency',
      dimensionsMap: apiDims,
      statistic: 'p99',
      period: Duration.minutes(1),
    });
    const count = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: 'Count',
      dimensionsMap: apiDims,
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
    const fiveXx = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensionsMap: apiDims,
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
    const fiveXxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: fiveXx, requests: count },
      label: '5xx %',
      period: Duration.minutes(1),
    });
    // The services' EMF metrics, named once in @parcel/config (the services print the same names).
    // vendor_stale has no dimensions: an alarm matches a metric's dimension set exactly.
    const stale = new cloudwatch.Metric({
      namespace: SERVICE_METRICS.namespace,
      metricName: SERVICE_METRICS.vendorStale.name,
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
    const serviceLatency = (service: string) =>
      new cloudwatch.Metric({
        namespace: SERVICE_METRICS.namespace,
        metricName: SERVICE_METRICS.latency.name,
        dimensionsMap: { [SERVICE_METRICS.serviceDimension]: service },
        statistic: 'p99',
        period: Duration.minutes(1),
        label: `${service} p99`,
      });
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmName: `parcel-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      a.addOkAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    const p99Alarm = alarm(
      'api-p99-latency',
      p99,
      props.p99ThresholdMs ?? ALARM_THRESHOLDS.apiP99Ms,
      'API p99 latency above target: open the parcel-api-faults group and the service map',
    );
    const errAlarm = alarm(
      'api-5xx-rate',
      fiveXxRate,
      props.fiveXxPercentThreshold ?? ALARM_THRESHOLDS.api5xxPercent,
      `API 5xx above ${props.fiveXxPercentThreshold ?? ALARM_THRESHOLDS.api5xxPercent} %`,
    );
    const staleAlarm = alarm(
      'vendor-stale',
      stale,
      props.vendorStaleThreshold ?? ALARM_THRESHOLDS.vendorStalePerMinute,
      'Parcels served with a stale vendor part: the vendor is slow or failing',
    );

    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'parcel-tracking',
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [p99Alarm, errAlarm, staleAlarm],
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'API latency p99 (ms)', left: [p99], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Requests and 5xx %',
            left: [count],
            right: [fiveXxRate],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'vendor_stale', left: [stale], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Service latency p99 (ms, EMF)',
            left: [serviceLatency('parcel-api'), serviceLatency('warehouse-query')],
            width: 24,
          }),
        ],
      ],
    });
  }
}
