import { CLIENT, type TraceView } from '@parcel/trace-model';
import { type Aggregate, add, emptyStats, finish, histogramWire, newAggregate } from './statistics';

/**
 * The `Services` of a GetServiceGraph answer over the given traces: one node per distinct service (a
 * client node for the callers of root segments, each segment's service named and typed by its origin,
 * and the downstream resources known only from subsegments), with the edges between them.
 */
export function buildServiceGraph(views: Iterable<TraceView>): Record<string, unknown>[] {
  interface NodeAcc {
    name: string;
    names: Set<string>;
    type?: string;
    root: boolean;
    agg: Aggregate;
    edges: Map<string, Aggregate>;
  }
  const nodes = new Map<string, NodeAcc>();
  const client: NodeAcc = {
    name: 'client',
    names: new Set(['client']),
    type: 'client',
    root: false,
    agg: newAggregate(),
    edges: new Map(),
  };
  for (const view of views) {
    for (const n of view.services) {
      let acc = nodes.get(n.key);
      if (!acc) {
        acc = { name: n.name, names: new Set(), root: false, agg: newAggregate(), edges: new Map() };
        if (n.type) acc.type = n.type;
        nodes.set(n.key, acc);
      }
      for (const name of n.names) acc.names.add(name);
      if (n.root) acc.root = true;
      for (const o of view.factsOf(n)) add(acc.agg, o, view.startTime, view.endTime);
    }
    for (const e of view.edges) {
      const from = e.from === CLIENT ? client : nodes.get(e.from.key);
      if (!from) continue;
      let agg = from.edges.get(e.to.key);
      if (!agg) {
        agg = newAggregate();
        from.edges.set(e.to.key, agg);
      }
      for (const o of view.factsOf(e)) add(agg, o, view.startTime, view.endTime);
    }
  }
  if (nodes.size === 0) return [];
  const refIds = new Map<string, number>();
  let next = 0;
  const hasClient = client.edges.size > 0;
  if (hasClient) refIds.set(CLIENT.key, next++);
  for (const key of nodes.keys()) refIds.set(key, next++);

  const edgesWire = (acc: NodeAcc) =>
    [...acc.edges].map(([to, agg]) => ({
      ReferenceId: refIds.get(to),
      StartTime: agg.start,
      EndTime: agg.end,
      SummaryStatistics: finish(agg.stats),
      ResponseTimeHistogram: histogramWire(agg.histogram),
      Aliases: [],
    }));

  const out: Record<string, unknown>[] = [];
  if (hasClient) {
    const start = Math.min(...[...client.edges.values()].map((a) => a.start));
    const end = Math.max(...[...client.edges.values()].map((a) => a.end));
    out.push({
      ReferenceId: refIds.get(CLIENT.key),
      Name: client.name,
      Names: [...client.names],
      Type: 'client',
      State: 'unknown',
      StartTime: start,
      EndTime: end,
      Edges: edgesWire(client),
      SummaryStatistics: finish(emptyStats()),
      DurationHistogram: [],
      ResponseTimeHistogram: [],
    });
  }
  for (const [key, acc] of nodes) {
    out.push({
      ReferenceId: refIds.get(key),
      Name: acc.name,
      Names: [...acc.names],
      Root: acc.root,
      ...(acc.type ? { Type: acc.type } : {}),
      State: 'active',
      StartTime: acc.agg.start,
      EndTime: acc.agg.end,
      Edges: edgesWire(acc),
      SummaryStatistics: finish(acc.agg.stats),
      DurationHistogram: histogramWire(acc.agg.histogram),
      ResponseTimeHistogram: histogramWire(acc.agg.histogram),
    });
  }
  return out;
}
