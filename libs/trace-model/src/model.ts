import type { SubsegmentDoc } from '@parcel/xray-protocol';

/** A service-graph node's identity: its name and type (segment `origin`; `AWS::…`, a database or `remote` if inferred). */
export interface NodeRef {
  name: string;
  type?: string;
}

/** The request/response fields filters and summaries read (`http.url`, `http.status`, …). */
export interface HttpView {
  url?: string;
  method?: string;
  status?: number;
  userAgent?: string;
  clientIp?: string;
}

/**
 * How one segment of a service, or one call on an edge, went: what a `{ … }` block inside
 * `service()`/`edge()` sees and what the service graph counts. Times are in seconds.
 */
export interface Facts extends NodeRef {
  /** The segment (or, for an inferred node, subsegment) this was read from. */
  id: string;
  /** When it started (epoch seconds): where a time series counts it. */
  start: number;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  /** `in_progress`, or no `end_time` yet. */
  inProgress: boolean;
  /** The node has no segment of its own: inferred from a `namespace: aws|remote` subsegment. */
  inferred: boolean;
  /** This is the trace's entry point (root segment). */
  root: boolean;
  responseTime?: number;
  http?: HttpView;
  user?: string;
}

/** A node of the trace's service graph with every segment (or inferred call) it produced in this trace. */
export interface ServiceNode extends NodeRef {
  /** `name` + NUL + `type`: what makes two nodes the same service. */
  key: string;
  /** The name and its aliases (a DynamoDB node's table names). */
  names: string[];
  inferred: boolean;
  root: boolean;
  facts: Facts[];
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/** A caller → callee connection with every call made over it in this trace; `from` is `CLIENT` for entry points. */
export interface ServiceEdge {
  key: string;
  from: ServiceNode;
  to: ServiceNode;
  calls: Facts[];
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/** One segment or subsegment in the assembled tree (subsegments sent on their own hang where `parent_id` says). */
export interface Entity {
  id: string;
  name: string;
  kind: 'segment' | 'subsegment';
  /** The stored document, never modified; its own `subsegments` are the ones sent nested in it. */
  doc: SubsegmentDoc & { origin?: string; user?: string; parent_id?: string };
  /** Epoch seconds; `end` is `start` while in progress. */
  start: number;
  end: number;
  inProgress: boolean;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  /** A downstream call (`namespace` `aws` or `remote`). */
  remote: boolean;
  /** 0 for a root; a child is one deeper than its parent, across segments. */
  depth: number;
  parent: Entity | undefined;
  /** Children by start time: nested and separately sent subsegments, and segments that name this as parent. */
  children: Entity[];
  /** The segment that recorded it (itself for a segment); undefined for a subsegment whose parent never arrived. */
  segment: Entity | undefined;
  /** The graph node it counts under: its segment's, or the inferred node of the downstream call it is (in). */
  service: ServiceNode | undefined;
}

export interface RootCauseException {
  name: string;
  message: string;
}

/** One entity of a root cause's path within one service (`FaultRootCauseEntity`, `ResponseTimeRootCauseEntity`). */
export interface RootCauseEntity {
  name: string;
  remote: boolean;
  exceptions: RootCauseException[];
  /** Response-time causes only: this entity's share of the root segment's response time (0..1). */
  coverage?: number;
}

/** A service on a root cause's path (`FaultRootCauseService` and its kin). */
export interface RootCauseService extends NodeRef {
  names: string[];
  inferred: boolean;
  entityPath: RootCauseEntity[];
}

export interface RootCause {
  services: RootCauseService[];
  /** The cause reached the client: the root segment itself carries the fault/error (or, for response time, always). */
  clientImpacting: boolean;
}

export type AnnotationValue = string | number | boolean;

export interface AnnotationEntry {
  value: AnnotationValue;
  /** The services whose segments carry this value. */
  services: ServiceNode[];
}

/** A `Facts` without the id of the entity it was read from: what filters and statistics read. */
export type FactsView = Omit<Facts, 'id'>;

/** A service-graph node as filters, the graph and statistics read it; its facts come from `TraceView.factsOf`. */
export interface ServiceView extends NodeRef {
  key: string;
  readonly names: readonly string[];
  inferred: boolean;
  root: boolean;
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/** A caller → callee connection as filters, the graph and statistics read it; `from` is `CLIENT` for entry points. */
export interface EdgeView {
  key: string;
  from: ServiceView;
  to: ServiceView;
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/** The root segment as trace-level filter keywords read it (`name`, `type`, `responsetime`, `root`). */
export interface RootView {
  name: string;
  /** Its `origin`. */
  type: string | undefined;
  inProgress: boolean;
}

/**
 * What filters, GetServiceGraph and GetTimeSeriesServiceStatistics read of a trace: a `TraceModel` is one,
 * and so is the compact view a store keeps per trace (`TraceViewCompactor`), without the entity tree.
 */
export interface TraceView {
  id: string;
  /** Earliest start and latest end of any entity (epoch seconds); 0 for an empty trace. */
  startTime: number;
  endTime: number;
  /** `endTime - startTime`: "total request duration, including all downstream calls". */
  duration: number;
  /** The root segment's end − start: "time that the server took to send a response". */
  responseTime: number;
  /** The root segment's request and response. */
  http: HttpView | undefined;
  /** TraceSummary.HasFault / HasError: the root segment's 5xx / 4xx. */
  hasFault: boolean;
  hasError: boolean;
  /** TraceSummary.HasThrottle: one or more segment documents have a 429. */
  hasThrottle: boolean;
  /** Something is still in progress, a parent is missing, or parts were cut at the depth limit. */
  isPartial: boolean;
  root: RootView | undefined;
  /** How many entities the trace has (0 for an empty trace: no `duration`). */
  entityCount: number;
  /** Distinct annotation values by key; only own properties are keys, and only their values are arrays. */
  annotationValues: Readonly<Record<string, readonly AnnotationValue[]>>;
  /** Distinct `user` values of the segments. */
  userNames: readonly string[];
  services: readonly ServiceView[];
  edges: readonly EdgeView[];
  /** The segments of a node of `services`, or the calls on an edge of `edges`. */
  factsOf(target: ServiceView | EdgeView): readonly FactsView[];
  faultRootCauses: readonly RootCause[];
  errorRootCauses: readonly RootCause[];
  responseTimeRootCauses: readonly RootCause[];
}

/**
 * Everything derived from one revision of a trace, computed once (when first asked for after a change):
 * the assembled tree, the summary fields, the trace's slice of the service graph and its root causes.
 * The X-Ray API's summaries and graph, the filters, the analysis (CLI and console) and the console's
 * waterfall all read this one object.
 */
export interface TraceModel extends TraceView {
  /** Every entity, depth first from the roots, children by start time: the waterfall's rows. */
  entities: Entity[];
  /** Entities without a parent in the trace, by start time. */
  roots: Entity[];
  /** The segment documents' entities (kind `segment`). */
  segments: Entity[];
  /** The entry point: the earliest segment whose parent is not in the trace. */
  rootSegment: Entity | undefined;
  /** Entities left out: deeper than `MAX_TRACE_DEPTH`. */
  cutAtDepth: number;
  /** Distinct annotation values by key (own properties only, null prototype), each with the services that set it. */
  annotations: Record<string, AnnotationEntry[]>;
  root: RootView | undefined;
  entityCount: number;
  /** `annotations` reduced to the values, for filters. Null prototype. */
  annotationValues: Record<string, AnnotationValue[]>;
  /** Distinct `user` values of the segments, each with the services that set it. */
  users: Map<string, ServiceNode[]>;
  /** `users`' keys. */
  userNames: string[];
  /** The nodes the trace touched (not the client), in the order first met. */
  services: ServiceNode[];
  /** Caller → callee connections, the client's to the entry points included. */
  edges: ServiceEdge[];
  /** A node's `facts` or an edge's `calls` (its argument is one of this model's own). */
  factsOf(target: ServiceView | EdgeView): readonly Facts[];
  faultRootCauses: RootCause[];
  errorRootCauses: RootCause[];
  responseTimeRootCauses: RootCause[];
}
