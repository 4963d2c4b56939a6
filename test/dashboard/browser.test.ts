// /debug/dashboard in a real headless Chromium against the real server (a child process)
// under load: the page's numbers are the ones /metrics reports, its charts fill, it asks
// nothing of any other origin, it fits a phone, it says "stale" and stops drawing when
// the server goes, and in cluster mode it lists each worker. Leaves a screenshot under
// load in dist/artifacts/dashboard.png (and at $TURBINA_DASHBOARD_PNG when set).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { MetricsReport } from '../../src/metrics/report.js';
import { Browser, CHROMIUM_SKIP, type Page } from '../helpers/chromium.js';
import { startServer, type Child } from '../helpers/child.js';
import { request } from '../helpers/http.js';

/** dist/suite/test/dashboard/ -> dist/artifacts/ */
const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url));
const EVERY_MS = 250;
/** The mix a user would see: cache hits, 404s and the timer endpoint. */
const PATHS = ['/products/1', '/products/2', '/products/1', '/products/3', '/nope', '/io?ms=2'];

/** Keep-alive clients looping over PATHS until stop(); counts the answers. */
function drive(port: number, clients: number): { stop: () => Promise<void>; done: () => number } {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let answered = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = c; running; i++) {
      await request(port, PATHS[i % PATHS.length]!, { agent });
      answered++;
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
    done: () => answered,
  };
}

async function metrics(port: number): Promise<MetricsReport> {
  return (await request(port, '/metrics')).json<MetricsReport>();
}

/** The raw value behind a large number or total (data-value), as a number. */
function metric(page: Page, name: string): Promise<number> {
  return page.evaluate<number>(`Number(document.querySelector('[data-metric="${name}"]').dataset.value)`);
}

/** Every chart's point count, by chart. */
function points(page: Page): Promise<Record<string, number>> {
  return page.evaluate(`Object.fromEntries([...document.querySelectorAll('[data-chart]')].map((f) => [f.dataset.chart, Number(f.dataset.points)]))`);
}

const goodPolls = (page: Page): Promise<number> => page.evaluate<number>('Number(document.body.dataset.polls)');

/** The x of the requests chart's newest point: it moves left as time passes without polls. */
const newestX = (page: Page): Promise<number> =>
  page.evaluate<number>(`Number(/([\\d.]+) [\\d.]+(?:h0)?$/.exec(document.querySelector('[data-chart="requests"] path.line').getAttribute('d'))[1])`);

describe('/debug/dashboard in a real browser', { skip: CHROMIUM_SKIP }, () => {
  let browser: Browser;
  let launched: Browser | undefined;
  before(() => {
    browser = launched = Browser.launch();
  });
  after(() => launched?.close());

  test('under load: the numbers /metrics reports, charts that fill, same origin only, fits a phone, stale when the server goes', async () => {
    const { child, port } = await startServer([], { DEBUG_ENDPOINTS: 'on' });
    const origin = `http://127.0.0.1:${port}`;
    const load = drive(port, 4);
    try {
      const page = await browser.newPage();
      await page.viewport(1280, 900);
      const loadStarted = Date.now();
      await page.goto(`${origin}/debug/dashboard?every=${EVERY_MS}&window=5`);
      assert.ok((await page.evaluate<number>(`performance.getEntriesByType('navigation')[0].decodedBodySize`)) < 40 * 1024);

      await page.until(`[...document.querySelectorAll('[data-chart]')].every((f) => Number(f.dataset.points) >= 12)`, '12 points in every chart');
      assert.equal(await page.evaluate<string>('document.body.dataset.state'), 'live');
      const rate = await metric(page, 'rps');
      const measured = load.done() / ((Date.now() - loadStarted) / 1000);
      assert.ok(rate > measured / 4 && rate < measured * 4, `the page says ${rate} requests/s, the load made ${measured.toFixed(0)}/s`);
      assert.ok((await metric(page, 'hit-rate')) > 0.9, 'two products and a 404, over and over: nearly all hits');
      const p99 = await metric(page, 'p99');
      assert.ok(p99 > 0 && p99 <= (await metrics(port)).responseTimeMs.max, `p99 ${p99}`);
      // Each series the load feeds has a line: 2xx and 4xx requests, all three percentiles, L1 hits.
      const paths = await page.evaluate<Record<string, string[]>>(
        `Object.fromEntries([...document.querySelectorAll('[data-chart]')].map((f) => [f.dataset.chart, [...f.querySelectorAll('path.line')].map((p) => p.getAttribute('d'))]))`,
      );
      for (const [chart, index] of [['requests', 0], ['requests', 2], ['latency', 0], ['latency', 1], ['latency', 2], ['hits', 0], ['load', 1], ['memory', 0], ['memory', 1], ['elu', 0]] as const) {
        assert.match(paths[chart]![index]!, /^M[\d.]+ [\d.]+h0(L[\d.]+ [\d.]+){8,}/, `${chart} series ${index}`);
      }
      assert.match(paths['requests']![3]!, /^(?:(?:M[\d.]+ 150\.0h0)|(?:L[\d.]+ 150\.0))+$/, 'no 5xx: a line along zero');
      assert.equal(paths['hits']![1], '', 'no Redis, no L2 line');
      assert.deepEqual(await page.evaluate('[...document.querySelectorAll("[data-panel]")].map((p) => p.dataset.panel)'), ['breaker'], 'no shedder, no Redis, no cluster: their panels are absent');

      // The screenshot, after about 20 polls under load.
      await page.until(`[...document.querySelectorAll('[data-chart]')].every((f) => Number(f.dataset.points) >= 20)`, '20 points');
      mkdirSync(ARTIFACTS, { recursive: true });
      const png = join(ARTIFACTS, 'dashboard.png');
      writeFileSync(png, await page.screenshot());
      const copyTo = process.env['TURBINA_DASHBOARD_PNG'];
      if (copyTo !== undefined && copyTo !== '') {
        mkdirSync(dirname(copyTo), { recursive: true });
        copyFileSync(png, copyTo);
      }
      // The same page as a dark-mode user sees it (and a phone, below): to look at, not for the README.
      await page.colorScheme('dark');
      writeFileSync(join(ARTIFACTS, 'dashboard-dark.png'), await page.screenshot());
      await page.colorScheme('light');

      // Load stopped, three polls later (the first may have been sent before): counters no poll moves are exact, the rest close.
      await load.stop();
      const stoppedAt = await goodPolls(page);
      await page.until(`Number(document.body.dataset.polls) >= ${stoppedAt + 3}`, 'three polls after the load');
      const m = await metrics(port);
      assert.equal(await metric(page, 'cache-hits'), m.cache.hits);
      assert.equal(await metric(page, 'cache-misses'), m.cache.misses);
      assert.equal(await metric(page, 'errors-5xx'), 0);
      const total = await metric(page, 'requests-total');
      assert.ok(total <= m.requests.total && total >= m.requests.total - 6, `page ${total}, /metrics ${m.requests.total} (only polls since)`);
      const connections = await metric(page, 'connections-total');
      assert.ok(connections <= m.connections.total && connections >= m.connections.total - 6, `connections: page ${connections}, /metrics ${m.connections.total}`);
      const inFlight = await metric(page, 'in-flight');
      assert.ok(inFlight >= 1 && inFlight <= 2, `in flight ${inFlight}: the page's own poll, perhaps ours`);
      const heap = await metric(page, 'heap');
      // The heap moves with each collection between the two reads: the same size, roughly.
      assert.ok(heap > m.memory.heapUsedBytes / 4 && heap < m.memory.heapUsedBytes * 4, `heap: page ${heap}, /metrics ${m.memory.heapUsedBytes}`);
      const idle = await metric(page, 'rps');
      assert.ok(idle < 40, `${idle} requests/s: idle but for the polls`);

      // Nothing but this origin (and the inline favicon) was asked for.
      assert.ok(page.requests.length > 20, `${page.requests.length} requests`);
      const elsewhere = page.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
      assert.deepEqual(elsewhere, []);

      // A phone: everything reflows into the width.
      await page.viewport(390, 844, true);
      await sleep(100);
      assert.ok(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no horizontal overflow at 390 px');
      writeFileSync(join(ARTIFACTS, 'dashboard-phone.png'), await page.screenshot());

      // The CPU profile button asks for one 10 s profile; a second click while it records
      // asks for nothing (it would download the server's 409 as the file).
      // The server tells: a second recording would have been answered 409 at once, and
      // while the page's records, ours is refused so.
      const downloadDir = mkdtempSync(join(tmpdir(), 'turbina-download-'));
      await browser.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloadDir });
      await page.evaluate(`document.getElementById('cpu').click()`);
      await sleep(300);
      await page.evaluate(`document.getElementById('cpu').click()`);
      await sleep(700);
      const during = await metrics(port);
      const ours = await request(port, '/debug/pprof/profile?seconds=1');
      rmSync(downloadDir, { recursive: true, force: true });
      assert.equal(during.requests.byStatus['409'], undefined, 'no second recording asked for');
      assert.equal(ours.status, 409, 'the page\'s profile is being recorded');
      assert.match(await page.evaluate<string>(`document.getElementById('cpu').textContent`), /^recording CPU profile/);

      // The server goes away: "stale" everywhere, and no more points.
      child.kill('SIGKILL');
      await child.exited;
      await page.until(`document.body.dataset.state === 'stale'`, 'the stale state', 3000);
      const [pollsThen, pointsThen, xThen] = [await goodPolls(page), await points(page), await newestX(page)];
      await sleep(3 * EVERY_MS + 100);
      assert.equal(await goodPolls(page), pollsThen);
      for (const [chart, count] of Object.entries(await points(page))) assert.ok(count <= pointsThen[chart]!, `${chart}: no new points while polls fail`);
      assert.ok((await newestX(page)) < xThen - 20, 'the last good point slides left: the chart is not frozen as if live');
      assert.match(await page.evaluate<string>(`document.getElementById('state').textContent`), /^stale: /);
      assert.equal(await page.evaluate<string>(`getComputedStyle(document.querySelector('[data-chart="requests"] .badge')).display`), 'inline-block', 'each chart is marked stale');
    } finally {
      await load.stop();
      child.kill('SIGKILL');
    }
  });

  test('a /metrics answer it cannot read: stale, and polling goes on until the real one is back', async () => {
    const { child, port } = await startServer([], { DEBUG_ENDPOINTS: 'on' });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/debug/dashboard?every=${EVERY_MS}&window=5`);
      await page.until(`Number(document.body.dataset.polls) >= 2`, 'two good polls');
      // First a 503 (a proxy in front, say), then a 200 with JSON of another shape (an older
      // server on the port, a proxy's answer).
      let status = 503;
      browser.on('Fetch.requestPaused', page.sessionId, (paused) => {
        const body = Buffer.from('{"uptimeSeconds":5}').toString('base64');
        void page.send('Fetch.fulfillRequest', { requestId: paused['requestId'], responseCode: status, responseHeaders: [{ name: 'content-type', value: 'application/json' }], body });
      });
      await page.send('Fetch.enable', { patterns: [{ urlPattern: '*/metrics' }] });
      await page.until(`document.getElementById('state').textContent === 'stale: /metrics answered 503'`, 'stale, saying what /metrics answered', 3000);
      status = 200;
      await page.until(`document.getElementById('state').textContent === 'stale: polling /metrics failed'`, 'stale on an answer it cannot read', 3000);
      await page.send('Fetch.disable');
      const pollsThen = await goodPolls(page);
      await page.until(`document.body.dataset.state === 'live' && Number(document.body.dataset.polls) >= ${pollsThen + 2}`, 'live again', 3000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('cluster mode: a row per worker and the cluster panel', async () => {
    const { child, port } = await startServer([], { DEBUG_ENDPOINTS: 'on', WORKERS: '2' });
    const load = drive(port, 2);
    try {
      const page = await browser.newPage();
      await page.viewport(1280, 900);
      await page.goto(`http://127.0.0.1:${port}/debug/dashboard?every=${EVERY_MS}&window=5`);
      await page.until(`document.querySelectorAll('#worker-rows tr').length === 2 && [...document.querySelectorAll('#worker-rows td:nth-child(3)')].every((td) => td.textContent !== '–')`, 'two workers with their rates', 10_000);
      const rows = await page.evaluate<string[][]>(`[...document.querySelectorAll('#worker-rows tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
      const m = await metrics(port);
      assert.deepEqual(rows.map((r) => [r[0], r[1]]), m.workers!.map((w) => [String(w.worker), String(w.pid)]));
      assert.equal(await page.evaluate<boolean>(`document.getElementById('workers').hidden`), false);
      assert.equal(await page.evaluate<string>(`document.querySelector('[data-panel="cluster"] .state').textContent`), '2 of 2 workers');
      await page.until(`Number(document.querySelector('[data-chart="requests"]').dataset.points) >= 8`, '8 points');
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'dashboard-cluster.png'), await page.screenshot());
    } finally {
      await load.stop();
      child.kill('SIGTERM');
      await (child as Child).exited;
    }
  });
});
