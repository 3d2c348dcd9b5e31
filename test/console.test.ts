import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetTraceSummariesCommand, InvalidRequestException, type XRayClient } from '@aws-sdk/client-xray';
import { newTraceId } from '@parcel/xray-protocol';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSharedStack } from './support/shared-stack';
import { readTrace, sampledHeader, type TraceNode, xrayClient } from './support/traces';

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
