import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetTraceSummariesCommand,
  InvalidRequestException,
  PutTraceSegmentsCommand,
  type XRayClient,
} from '@aws-sdk/client-xray';
import { sampledHeader } from '@parcel/test-kit';
import { newSegmentId, newTraceId } from '@parcel/xray-protocol';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSharedStack } from './support/shared-stack';
import { readTrace, type TraceNode, xrayClient } from './support/traces';
import { vendorAdmin } from './support/vendor-admin';

// The console in real Chromium (Debian's `chromium`, driven by playwright-core) over the whole local stack.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '..', 'test-results');
const PARCEL = 'RR123456785GB';

const stack = useSharedStack();
let xray: XRayClient;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const pageErrors: string[] = [];
/** The request made while DynamoDB is down: parcel-api logs a warning carrying its trace id. */
let target: { traceId: string; nodes: TraceNode[] };

const whole = (nodes: TraceNode[]) =>
  nodes.some((n) => n.name === 'vendor.localhost') &&
  nodes.every((n) => Number.isFinite(n.end)) &&
  nodes.filter((n) => n.parentId === undefined).length === 1;

async function getParcel(id: string, traceId = newTraceId()) {
  const res = await fetch(`${stack.endpoints.gateway}/parcels/${id}`, {
    headers: { 'X-Amzn-Trace-Id': sampledHeader(traceId) },
  });
  await res.arrayBuffer();
  return { status: res.status, traceId };
}

beforeAll(async () => {
  xray = xrayClient(stack.endpoints.xray);
  // Some ordinary traffic: a miss (the whole path), hits, another parcel, a 404.
  for (const id of [PARCEL, PARCEL, 'CP987654326DE', 'EE271828189FR', PARCEL]) await getParcel(id);
  await stack.stopPiece('dynamodb');
  const { status, traceId } = await getParcel(PARCEL);
  expect(status).toBe(200); // the cache is down: served from the fan-out, with a warning logged
  target = { traceId, nodes: await readTrace(xray, traceId, whole) };

  profileDir = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  xray?.destroy();
});

describe('the console at the X-Ray service’s root', () => {
  it('GetTraceSummaries takes the filter the console uses; a malformed one is a 400 naming the position', async () => {
    const window = { StartTime: new Date(Date.now() - 300_000), EndTime: new Date(Date.now() + 5_000) };
    const res = await xray.send(
      new GetTraceSummariesCommand({ ...window, FilterExpression: `annotation.parcel_id = "${PARCEL}"` }),
    );
    expect(res.TraceSummaries?.map((s) => s.Id)).toContain(target.traceId);
    const err = await xray
      .send(new GetTraceSummariesCommand({ ...window, FilterExpression: 'http.url CONTAINS' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestException);
    expect((err as Error).message).toMatch(/position 17/);
  });

  it('finds the trace with a filter, opens its waterfall by keyboard and shows the vendor call’s duration', async () => {
    await page.goto(`${stack.endpoints.xray}/`);
    await page.waitForSelector('table.traces a[data-trace-id]');

    // A malformed filter is shown with its position.
    await page.keyboard.press('/');
    await page.keyboard.type('annotation.parcel_id = ');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#filter-error').textContent()).toMatch(/position 23/);

    await page.fill('#filter', `annotation.parcel_id = "${PARCEL}"`);
    await page.keyboard.press('Enter');
    const link = page.locator(`a[data-trace-id="${target.traceId}"]`);
    await link.waitFor();
    await expect.poll(() => page.locator('#filter-error').isHidden()).toBe(true);
    const listed = await page
      .locator('table.traces a[data-trace-id]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-trace-id')));
    expect(listed.length).toBeGreaterThanOrEqual(2);
    const rowText = await page.locator('table.traces tr', { has: link }).textContent();
    expect(rowText).toContain(`parcel_id=${PARCEL}`);
    expect(rowText).toContain('200');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-traces.png') });

    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/trace\//);
    const vendor = target.nodes.find((n) => n.name === 'vendor.localhost') as TraceNode;
    const row = page.locator(`button.span[data-span-id="${vendor.id}"]`);
    await row.waitFor();
    await row.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => row.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('aside.panel h3').textContent()).toContain('vendor.localhost');
    expect(await page.locator('aside.panel').textContent()).toMatch(/https:\/\/vendor\.localhost/);

    const shown = (await row.locator('.span-duration').textContent()) ?? '';
    const match = /^([\d.]+) ms$/.exec(shown.trim());
    expect(match, `duration text "${shown}"`).not.toBeNull();
    const recordedMs = (vendor.end - vendor.start) * 1000;
    expect(Math.abs(Number(match?.[1]) - recordedMs)).toBeLessThanOrEqual(0.05 + 1e-9);

    // The warning parcel-api logged while serving this very request, found by its trace id.
    const logs = page.locator('table.logs');
    await logs.waitFor();
    const logText = await logs.textContent();
    expect(logText).toContain('parcel-api');
    expect(logText).toContain('cache read failed');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-trace.png'), fullPage: true });

    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/traces$/);
  });

  it('draws the service map with counts and percentiles', async () => {
    await page.click('nav a[data-view="map"]');
    const vendorRow = page.locator('table.nodes tr[data-node="vendor.localhost"]');
    await vendorRow.waitFor();
    const cells = await vendorRow.locator('td').allTextContents();
    expect(Number(cells[1])).toBeGreaterThanOrEqual(2); // requests
    expect(cells[4]).toMatch(/ms$/); // p50
    expect(await page.locator('svg g.node').count()).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-map.png'), fullPage: true });
  });

  it('analyses the window by subsegment, compares with the window before, links example traces', async () => {
    await page.fill('#filter', '');
    await page.keyboard.press('Enter');
    await page.click('nav a[data-view="analytics"]');
    const vendorRow = page.locator('table.analytics tr[data-group="warehouse-query › vendor.localhost"]');
    await vendorRow.waitFor();
    await page.check('#compare');
    await page.locator('table.analytics th', { hasText: 'Δ p99' }).waitFor();
    expect(await page.locator('.compare-summary .card').count()).toBe(2);
    // Sortable: sort by count, ascending after a second press.
    await page.click('button.sort[data-key="count"]');
    await page.click('button.sort[data-key="count"]');
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Count');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-analytics.png'), fullPage: true });

    await vendorRow.locator('a').first().click();
    await page.waitForURL(/#\/trace\//);
    await page.locator('button.span[data-name="vendor.localhost"]').first().waitFor();
    expect(pageErrors).toEqual([]);
  });
});

describe('the console’s controls, in Chromium', () => {
  const rows = () => page.locator('table.traces a[data-trace-id]');
  /** `datetime-local` text for an epoch second, in the browser's own time zone (what the inputs read). */
  const localInput = (epochSeconds: number) =>
    page.evaluate((s) => {
      const d = new Date(s * 1000 - new Date(s * 1000).getTimezoneOffset() * 60_000);
      return d.toISOString().slice(0, 19);
    }, epochSeconds);
  const setCustomWindow = async (start: number, end: number) => {
    for (const [id, at] of [
      ['#from', start],
      ['#to', end],
    ] as const) {
      await page.fill(id, await localInput(at));
      await page.dispatchEvent(id, 'change');
    }
  };

  it('the time window: a custom from/to before the stack existed lists nothing, one around now lists the trace; a preset is live again', async () => {
    await page.goto(`${stack.endpoints.xray}/#/traces`);
    await page.fill('#filter', `annotation.parcel_id = "${PARCEL}"`);
    await page.keyboard.press('Enter');
    await page.locator(`a[data-trace-id="${target.traceId}"]`).waitFor();
    expect(await page.locator('#custom').isHidden()).toBe(true);

    await page.selectOption('#window', 'custom');
    expect(await page.locator('#custom').isVisible()).toBe(true);
    const now = Date.now() / 1000;
    await setCustomWindow(now - 7200, now - 3600);
    await expect
      .poll(() => page.locator('main p.summary').textContent())
      .toMatch(/0 of 0 traces in the window match/);
    expect(await rows().count()).toBe(0);
    expect(await page.locator('#live').textContent()).toBe('fixed window');

    await setCustomWindow(now - 600, now + 60);
    await page.locator(`a[data-trace-id="${target.traceId}"]`).waitFor();
    expect(await rows().count()).toBeGreaterThanOrEqual(2);

    await page.selectOption('#window', '300');
    expect(await page.locator('#custom').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#live').textContent()).toMatch(/^live · /);
    await page.locator(`a[data-trace-id="${target.traceId}"]`).waitFor();
  });

  it('group-by: analytics regroup by service and by an annotation’s values', async () => {
    await page.fill('#filter', '');
    await page.keyboard.press('Enter');
    await page.click('nav a[data-view="analytics"]');
    await page.locator('table.analytics tr[data-group="warehouse-query › vendor.localhost"]').waitFor();
    const groups = () =>
      page.locator('table.analytics tr[data-group]').evaluateAll((trs) => trs.map((tr) => tr.dataset.group));

    // The hop grouping has a `parcel-api` row too: wait for the table to be the service grouping.
    await page.selectOption('#group-by', 'service');
    await expect
      .poll(async () => {
        const now = await groups();
        return now.length > 0 && !now.some((g) => g?.includes('›'));
      })
      .toBe(true);
    expect(await groups()).toEqual(expect.arrayContaining(['parcel-api', 'warehouse-query']));

    await page.selectOption('#group-by', 'annotation');
    expect(await page.locator('#annotation-key').isVisible()).toBe(true);
    expect(await page.locator('#annotation-key').inputValue()).toBe('cache');
    await expect
      .poll(async () => {
        const now = await groups();
        return now.length > 0 && now.every((g) => g?.startsWith('cache='));
      })
      .toBe(true);
    expect(await groups()).toEqual(expect.arrayContaining(['cache=hit', 'cache=miss']));
    await page.selectOption('#group-by', 'name');
    expect(pageErrors).toEqual([]);
  });

  it('hostile markup in a segment name, annotations and log lines is shown as text, never run', async () => {
    const traceId = newTraceId();
    const segmentId = newSegmentId();
    const markup = '<img src=x onerror="window.__injected=1"><b>bold</b>';
    const controls = 'bell\u0007 esc\u001b[31m nul\u0000 del\u007f';
    const now = Date.now() / 1000;
    const segment = {
      name: `hostile ${markup}`.slice(0, 200),
      id: segmentId,
      trace_id: traceId,
      start_time: now - 0.2,
      end_time: now,
      annotations: { parcel_id: markup, note: controls },
      http: { request: { method: 'GET', url: `http://x/<script>window.__injected=2</script>` } },
      subsegments: [
        {
          name: `<svg onload="window.__injected=3">`,
          id: newSegmentId(),
          start_time: now - 0.1,
          end_time: now,
        },
      ],
    };
    const put = await xray.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(segment)] }),
    );
    expect(put.UnprocessedTraceSegments ?? []).toEqual([]);
    // A log line carrying the trace id, in the shape every piece writes (test/logs.test.ts holds all of
    // the shared stack's log files to it), into the stack's log folder.
    const line = {
      level: 'warn',
      time: new Date().toISOString(),
      service: 'hostile-markup',
      trace_id: traceId,
      msg: `${markup} ${controls}`,
    };
    appendFileSync(join(stack.stateDir, 'logs', 'hostile-markup.log'), `${JSON.stringify(line)}\n`);

    await page.goto(`${stack.endpoints.xray}/#/trace/${traceId}`);
    await page.locator(`button.span[data-span-id="${segmentId}"]`).waitFor();
    const logs = page.locator('table.logs');
    await logs.waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(`hostile ${markup}`);
    expect(text).toContain('<svg onload="window.__injected=3">');
    expect(await logs.textContent()).toContain(markup);
    // Nothing of it became markup: no element it named exists, no handler ran.
    for (const selector of ['main img', 'main b', 'main svg [onload]', 'main script', 'svg[onload]']) {
      expect(await page.locator(selector).count(), selector).toBe(0);
    }
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBeUndefined();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-hostile.png'), fullPage: true });

    // The list shows the same annotations as text too.
    await page.goto(`${stack.endpoints.xray}/#/traces`);
    await page.fill('#filter', `annotation.note CONTAINS "bell"`);
    await page.keyboard.press('Enter');
    const row = page.locator('table.traces tr', { has: page.locator(`a[data-trace-id="${traceId}"]`) });
    await row.waitFor();
    expect(await row.textContent()).toContain(markup);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });
});

describe('the response-time distribution, in Chromium', () => {
  it('draws the window’s distribution; a dragged band filters the traces to that range', async () => {
    await page.goto(`${stack.endpoints.xray}/#/traces`);
    await page.fill('#filter', '');
    await page.keyboard.press('Enter');
    const histogram = page.locator('svg.histogram');
    // Bars of empty buckets have no height: wait for the chart to be there, not for one bar to show.
    await page.locator('svg.histogram rect.bar').first().waitFor({ state: 'attached' });
    // Once the unfiltered list is in: every trace of the window sits in some bar.
    const counted = () =>
      page
        .locator('svg.histogram rect.bar')
        .evaluateAll((bars) => bars.reduce((n, b) => n + Number(b.getAttribute('data-count')), 0));
    await expect.poll(counted).toBeGreaterThanOrEqual(6);

    const box = await histogram.boundingBox();
    if (!box) throw new Error('no histogram box');
    const y = box.y + box.height * 0.4;
    await page.mouse.move(box.x + 2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, y, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
    await page.mouse.up();
    await expect
      .poll(() => page.inputValue('#filter'))
      .toMatch(/^responsetime >= [\d.]+ AND responsetime <= [\d.]+$/);
    const [, upper] = /responsetime <= ([\d.]+)/.exec(await page.inputValue('#filter')) ?? [];
    await expect.poll(() => page.locator('#filter-error').isHidden()).toBe(true);
    // Every listed trace's response time lies inside the band (the Response column, in ms).
    await expect
      .poll(async () => {
        const cells = await page.locator('table.traces tbody tr td:nth-child(6)').allTextContents();
        return cells.length > 0 && cells.every((c) => Number.parseFloat(c) <= Number(upper) * 1000 + 0.5);
      })
      .toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-histogram.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe('a node’s time series, in Chromium', () => {
  it('charts requests, faults, p50/p99 per minute for a node, with the stack’s alarm thresholds', async () => {
    await page.goto(`${stack.endpoints.xray}/#/map`);
    const button = page.locator('table.nodes tr[data-node="parcel-api"] button.series-button');
    await button.waitFor();
    await button.click();
    const chart = page.locator('svg.series');
    await chart.waitFor();
    const bars = await chart
      .locator('rect.fault-bar')
      .evaluateAll((rects) => rects.reduce((n, r) => n + Number(r.getAttribute('data-requests')), 0));
    expect(bars).toBeGreaterThanOrEqual(5); // the requests of the window, minute by minute
    expect(await chart.locator('polyline.p99').count()).toBe(1);
    // The threshold is the CDK stack's (ALARM_THRESHOLDS in @parcel/config).
    const { ALARM_THRESHOLDS } = await import('@parcel/config');
    expect(await chart.locator('line.threshold[data-threshold="p99"]').getAttribute('data-value')).toBe(
      String(ALARM_THRESHOLDS.apiP99Ms),
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'console-node-series.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe('the EMF metrics the services print, in Chromium', () => {
  const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
  interface Series {
    name: string;
    namespace: string;
    dimensions: Record<string, string>;
    points: { t: number; sum: number; p99: number; traceIds: string[] }[];
  }
  const metrics = async (): Promise<Series[]> => {
    const now = Date.now() / 1000;
    const res = await fetch(
      `${stack.endpoints.xray}/console/api/metrics?start=${now - 900}&end=${now + 60}&period=10`,
    );
    return ((await res.json()) as { metrics: Series[] }).metrics;
  };

  it('charts vendor_stale and latency; a point opens the trace list narrowed to its example traces', async () => {
    // A cached copy, then a vendor that fails: parcel-api serves the copy and prints vendor_stale (EMF)
    // naming the request's trace. A cache TTL of 0 sends every request to the fan-out; latency is
    // printed every second instead of every ten.
    await stack.startPiece('dynamodb');
    await stack.startPiece('parcel-api', { CACHE_TTL_SECONDS: '0', METRICS_INTERVAL_SECONDS: '1' });
    await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset');
    for (let i = 0; i < 3; i++) expect((await getParcel(PARCEL)).status).toBe(200);
    let stale: { status: number; traceId: string };
    try {
      await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', { errorRate: 1 });
      stale = await getParcel(PARCEL);
    } finally {
      await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset');
    }
    expect(stale.status).toBe(200);

    // What the API reads from parcel-api's log: the stale answer's trace, and latency naming traces.
    const find = (all: Series[], name: string) =>
      all.find((m) => m.name === name && (name === 'vendor_stale' || m.dimensions.Service === 'parcel-api'));
    await expect
      .poll(async () => find(await metrics(), 'vendor_stale')?.points.flatMap((p) => p.traceIds), {
        timeout: 15_000,
      })
      .toContain(stale.traceId);
    await expect
      .poll(async () => (find(await metrics(), 'latency')?.points ?? []).some((p) => p.traceIds.length > 0), {
        timeout: 15_000,
      })
      .toBe(true);
    // The trace of the stale answer is in the store before its point is clicked.
    await readTrace(xray, stale.traceId, (nodes) => nodes.some((n) => n.name === 'parcel-api'));

    await page.goto(`${stack.endpoints.xray}/#/traces`);
    await page.fill('#filter', '');
    await page.keyboard.press('Enter');
    await page.click('nav a[data-view="metrics"]');
    const staleChart = page.locator('figure.metric[data-metric="vendor_stale"]');
    const latencyChart = page.locator('figure.metric[data-metric="latency"][data-key*="Service=parcel-api"]');
    await staleChart.locator('svg.metric-chart').waitFor();
    await latencyChart.locator('svg.metric-chart').waitFor();
    expect(await latencyChart.locator('h3').textContent()).toContain('Milliseconds');
    expect(await latencyChart.locator('circle.point.linked').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-metrics.png'), fullPage: true });

    // The stale answer's point: clicked, it lists that very trace.
    const stalePoint = staleChart.locator(`circle.point.linked[data-trace-ids*="${stale.traceId}"]`);
    const staleIds = ((await stalePoint.getAttribute('data-trace-ids')) ?? '').split(',');
    await stalePoint.click();
    await page.waitForURL(/#\/traces\/1-/);
    await page.locator(`table.traces a[data-trace-id="${stale.traceId}"]`).waitFor();
    expect(await page.locator('p.narrowed').textContent()).toContain('Example traces of a metric point');
    const listed = () =>
      page
        .locator('table.traces a[data-trace-id]')
        .evaluateAll((as) => as.map((a) => a.getAttribute('data-trace-id')));
    expect((await listed()).every((id) => staleIds.includes(id ?? ''))).toBe(true);
    const row = await page
      .locator('table.traces tr', { has: page.locator(`a[data-trace-id="${stale.traceId}"]`) })
      .textContent();
    expect(row).toContain('cache=stale');

    // A latency point, by keyboard: its examples are the slowest recorded requests of that second.
    await page.goBack();
    // The oldest bucket: complete, so its examples do not change while it is being clicked.
    const latencyPoint = latencyChart.locator('circle.point.linked').first();
    await latencyPoint.waitFor();
    const ids = ((await latencyPoint.getAttribute('data-trace-ids')) ?? '').split(',');
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(TRACE_ID);
    await latencyPoint.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/traces\/1-/);
    await expect.poll(async () => (await listed()).length).toBeGreaterThan(0);
    expect((await listed()).every((id) => ids.includes(id ?? ''))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-metric-traces.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
