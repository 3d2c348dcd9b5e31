/**
 * The project's X-Ray groups, defined once: the CDK stack deploys them as AWS::XRay::Group and the local
 * X-Ray service starts with them (GetGroups answers the same list; GetServiceGraph, GetTraceSummaries'
 * `group.name = "…"` and GetTimeSeriesServiceStatistics read them).
 */
export interface XrayGroup {
  /** 1-32 characters (X-Ray API reference, CreateGroup). */
  GroupName: string;
  FilterExpression: string;
  InsightsConfiguration: { InsightsEnabled: boolean; NotificationsEnabled: boolean };
}

/** Requests where parcel-api faulted: what the on-call engineer opens first. */
export const PARCEL_API_FAULTS_GROUP: XrayGroup = {
  GroupName: 'parcel-api-faults',
  FilterExpression: 'service("parcel-api") { fault }',
  InsightsConfiguration: { InsightsEnabled: true, NotificationsEnabled: false },
};

/** Requests whose fault root cause is the tracking vendor (the worked incident's culprit). */
export const VENDOR_FAULTS_GROUP: XrayGroup = {
  GroupName: 'vendor-faults',
  FilterExpression: 'rootcause.fault.entity { last AND remote AND name CONTAINS "vendor" }',
  InsightsConfiguration: { InsightsEnabled: false, NotificationsEnabled: false },
};

export const XRAY_GROUPS: readonly XrayGroup[] = [PARCEL_API_FAULTS_GROUP, VENDOR_FAULTS_GROUP];
