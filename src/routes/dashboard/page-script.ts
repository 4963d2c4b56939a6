// The dashboard's browser side, as the page carries it: poll /metrics, keep the points of
// the chart window (five minutes unless ?window= says otherwise), draw. The arithmetic it calls (pointBetween, svgPath, the format* functions)
// is series.ts, embedded before it and tested in Node; this part only moves data into the
// DOM. No template literal placeholders or backticks in here: it is one TS string.
export const PAGE_SCRIPT = String.raw`'use strict';
var OPTIONS = pageOptions(location.search);
var EVERY = OPTIONS.everyMs;
var SPAN_MS = OPTIONS.windowMs;
var TIMEOUT_MS = Math.max(2 * EVERY, 2000);
var W = 600, H = 150;
var SVG_NS = 'http://www.w3.org/2000/svg';
var CHARTS = [
  { id: 'requests', title: 'Requests per second, by status', fmt: formatCount, unit: '/s',
    series: [['rps2xx', '2xx'], ['rps3xx', '3xx'], ['rps4xx', '4xx'], ['rps5xx', '5xx']] },
  { id: 'latency', title: 'Latency per poll interval', fmt: formatMs, unit: ' ms',
    series: [['p50Ms', 'p50'], ['p90Ms', 'p90'], ['p99Ms', 'p99']] },
  { id: 'hits', title: 'Cache hit rate', fmt: formatPercent, unit: '', top: 1,
    series: [['hitRate', 'L1 memory'], ['l2HitRate', 'L2 Redis', 'redis']] },
  { id: 'load', title: 'In flight and open connections', fmt: formatCount, unit: '',
    series: [['inFlight', 'requests in flight'], ['connections', 'connections']] },
  { id: 'elu', title: 'Event-loop utilization', fmt: formatPercent, unit: '', top: 1,
    series: [['elu', 'busiest process']] },
  { id: 'delay', title: 'Event-loop delay p99', fmt: formatMs, unit: ' ms',
    series: [['loopDelayP99Ms', 'busiest process']] },
  { id: 'memory', title: 'Memory', fmt: formatBytes, unit: '',
    series: [['heapBytes', 'heap used'], ['rssBytes', 'RSS']] },
  { id: 'refusals', title: 'Refused per second', fmt: formatCount, unit: '/s',
    series: [['shedPerSecond', 'shed'], ['limitedPerSecond', 'rate-limited'], ['deadlinePerSecond', 'past deadline']] },
  { id: 'store', title: 'Backing store per second', fmt: formatCount, unit: '/s',
    series: [['storeCallsPerSecond', 'calls'], ['storeRetriesPerSecond', 'retries'], ['storeFailuresPerSecond', 'failed attempts']] }
];
var BIG = [
  ['rps', 'requests/s', 'rps', formatCount],
  ['p99', 'p99 latency, ms', 'p99Ms', formatMs],
  ['hit-rate', 'cache hit rate', 'anyHitRate', formatPercent],
  ['in-flight', 'in flight', 'inFlight', formatCount],
  ['elu', 'event-loop busy', 'elu', formatPercent],
  ['heap', 'heap used', 'heapBytes', formatBytes]
];
var TOTALS = [
  ['requests-total', 'requests', function (r) { return r.requests.total; }, formatCount],
  ['errors-5xx', '5xx', function (r) { return statusClasses(r.requests.byStatus)[3]; }, formatCount],
  ['cache-hits', 'cache hits', function (r) { return r.cache.hits; }, formatCount],
  ['cache-misses', 'cache misses', function (r) { return r.cache.misses; }, formatCount],
  ['connections-total', 'connections accepted', function (r) { return r.connections.total; }, formatCount],
  ['uptime', 'uptime', function (r) { return r.uptimeSeconds; }, formatDuration]
];

var ring = [];
var polls = 0;
var before = null, beforeAt = 0, report = null, latest = null, lastGood = null, failure = '';

function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs) {
  var e = document.createElementNS(SVG_NS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}
function hook(box, metric, label) {
  var card = el('div', box);
  card.dataset.metric = metric;
  card.dataset.value = '';
  card.appendChild(el('div', 'label', label));
  card.appendChild(el('div', 'value', '–'));
  return card;
}
function show(card, value, fmt) {
  card.dataset.value = value === null || value === undefined ? '' : String(value);
  var text = fmt(value === undefined ? null : value).split(' ');
  card.lastChild.textContent = text[0];
  if (text.length > 1) card.lastChild.appendChild(el('span', 'unit', ' ' + text[1]));
}

BIG.forEach(function (b) { b.push($('numbers').appendChild(hook('big', b[0], b[1]))); });
TOTALS.forEach(function (b) { b.push($('totals').appendChild(hook('total', b[0], b[1]))); });
CHARTS.forEach(function (c) {
  var fig = el('figure', 'chart');
  fig.dataset.chart = c.id;
  fig.dataset.points = '0';
  var cap = el('figcaption', 'label', c.title);
  cap.appendChild(el('span', 'badge', 'stale'));
  var legend = el('ul', 'legend');
  var svg = svgEl('svg', { viewBox: '0 -4 ' + W + ' ' + (H + 6), preserveAspectRatio: 'none', role: 'img', 'aria-label': c.title });
  svg.appendChild(svgEl('path', { class: 'grid', d: 'M0 0.5H600M0 37.5H600M0 75H600M0 112.5H600M0 149.5H600', 'vector-effect': 'non-scaling-stroke' }));
  c.paths = [];
  c.items = [];
  c.series.forEach(function (s, i) {
    var item = el('li', 's' + i);
    item.appendChild(el('span', 'swatch'));
    item.appendChild(el('span', '', s[1]));
    item.appendChild(el('span', 'now', '–'));
    legend.appendChild(item);
    c.items.push(item);
    c.paths.push(svg.appendChild(svgEl('path', { class: 'line s' + i, d: '', 'vector-effect': 'non-scaling-stroke' })));
  });
  var plot = el('div', 'plot');
  plot.appendChild(svg);
  c.topLabel = plot.appendChild(el('span', 'ymax', ''));
  var axis = el('div', 'xaxis');
  axis.appendChild(el('span', '', '−' + formatSpan(SPAN_MS)));
  axis.appendChild(el('span', '', 'now'));
  fig.appendChild(cap);
  fig.appendChild(legend);
  fig.appendChild(plot);
  fig.appendChild(axis);
  c.fig = fig;
  $('charts').appendChild(fig);
});
$('every').textContent = EVERY >= 1000 ? EVERY / 1000 + ' s' : EVERY + ' ms';

function draw(now) {
  while (ring.length > 0 && (ring[0] === null || ring[0].atMs < now - SPAN_MS - EVERY)) ring.shift();
  var xs = ring.map(function (p) { return p === null ? 0 : W - ((now - p.atMs) / SPAN_MS) * W; });
  var points = ring.filter(function (p) { return p !== null; }).length;
  CHARTS.forEach(function (c) {
    var max = 0;
    var columns = c.series.map(function (s) {
      var off = s[2] === 'redis' && (report === null || report.redis === null);
      c.items[c.series.indexOf(s)].hidden = off;
      return ring.map(function (p) {
        var v = p === null || off ? null : p[s[0]];
        if (v !== null && v > max) max = v;
        return v;
      });
    });
    var top = c.top || axisMax(max);
    c.topLabel.textContent = c.fmt(top) + c.unit;
    columns.forEach(function (ys, i) {
      c.paths[i].setAttribute('d', svgPath(xs, ys, H, top));
      c.items[i].lastChild.textContent = latest === null ? '–' : c.fmt(latest[c.series[i][0]]) + c.unit;
    });
    c.fig.dataset.points = String(points);
  });
}

function panel(name, title, state, level, details) {
  var box = el('div', 'panel');
  box.dataset.panel = name;
  box.appendChild(el('div', 'label', title));
  var s = box.appendChild(el('div', 'state ' + level, state));
  s.dataset.state = state;
  details.forEach(function (d) { box.appendChild(el('div', 'detail', d)); });
  return box;
}
function breakerLevel(state) { return state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn'; }

function render(r, p) {
  BIG.forEach(function (b) { show(b[4], p === null ? null : p[b[2]], b[3]); });
  TOTALS.forEach(function (b) { show(b[4], b[2](r), b[3]); });
  var panels = [];
  var b = r.store.breaker;
  panels.push(panel('breaker', 'Store breaker', b.state, breakerLevel(b.state),
    ['opened ' + b.opened + '×, ' + r.store.shortCircuited + ' calls refused while open']));
  var sh = r.shedding;
  if (sh.eventLoopDelayMs > 0 || sh.eventLoopUtilization > 0 || sh.maxInFlight > 0) {
    var shedding = sheddingState(sh.active, p === null ? null : p.shedPerSecond);
    panels.push(panel('shedding', 'Load shedding', shedding, shedding === 'shedding' ? 'bad' : 'ok',
      ['shed: ' + sh.shed.eventLoopDelay + ' on delay, ' + sh.shed.eventLoopUtilization + ' on utilization, ' + sh.shed.inFlight + ' over max in flight',
       'now ' + formatCount(p === null ? null : p.shedPerSecond) + '/s']));
  }
  if (r.redis !== null) {
    panels.push(panel('redis', 'Redis (L2 cache)', r.redis.state, r.redis.state === 'ready' ? 'ok' : 'bad',
      ['breaker ' + r.redis.breaker.state + ', hit rate ' + formatPercent(p === null ? null : p.l2HitRate) + ', errors ' + r.redis.errors]));
  }
  if (r.cluster) {
    var missing = r.cluster.missing.length;
    panels.push(panel('cluster', 'Cluster', (r.workers || []).length + ' of ' + r.cluster.workers + ' workers', missing > 0 ? 'warn' : 'ok',
      ['restarts ' + r.cluster.restarts + (missing > 0 ? ', not answering: ' + missing : '')]));
  }
  $('states').replaceChildren.apply($('states'), panels);
  // Without a point (first poll, a restart) the rows still show, rates unknown.
  var workers = p !== null ? p.workers : (r.workers || []).map(function (w) {
    return { worker: w.worker, pid: w.pid, rps: null, inFlight: w.requests.inFlight, elu: w.eventLoop.utilization, heapBytes: w.memory.heapUsedBytes };
  });
  var rows = workers.map(function (w) {
    var tr = el('tr');
    tr.dataset.worker = String(w.worker);
    [String(w.worker), String(w.pid), formatCount(w.rps), formatCount(w.inFlight), formatPercent(w.elu), formatBytes(w.heapBytes)]
      .forEach(function (text) { tr.appendChild(el('td', '', text)); });
    return tr;
  });
  $('workers').hidden = !r.workers;
  $('worker-rows').replaceChildren.apply($('worker-rows'), rows);
}

function status() {
  var state = lastGood === null ? (failure ? 'stale' : 'starting') : failure ? 'stale' : 'live';
  document.body.dataset.state = state;
  $('state').textContent = state === 'stale' ? 'stale: ' + failure : state;
  $('last').textContent = lastGood === null ? 'never' : lastGood.toLocaleTimeString();
}

function poll() {
  var started = performance.now();
  fetch('/metrics', { headers: { accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) })
    .then(function (res) {
      if (!res.ok) throw { answered: '/metrics answered ' + res.status };
      return res.json();
    })
    .then(function (r) {
      var at = performance.now();
      var p = before === null ? null : pointBetween(before, r, (at - beforeAt) / 1000, at);
      // A restart (p null after a report) begins a new series: a gap, never a negative rate.
      ring.push(p);
      before = r;
      beforeAt = at;
      report = r;
      latest = p;
      lastGood = new Date();
      failure = '';
      document.body.dataset.polls = String(++polls);
      render(r, p);
    })
    // Also a report the page cannot read (not this server's shape): stale, and polling goes
    // on; an exception here would otherwise end the polling with the page saying "live".
    .catch(function (e) {
      // No point until two good polls in a row again: the gap stays a gap.
      if (ring.length > 0 && ring[ring.length - 1] !== null) ring.push(null);
      before = null;
      failure = e && e.answered ? e.answered : e && e.name === 'TimeoutError' ? 'no answer within ' + TIMEOUT_MS + ' ms' : 'polling /metrics failed';
    })
    .then(function () {
      status();
      draw(performance.now());
      setTimeout(poll, Math.max(0, EVERY - (performance.now() - started)));
    });
}

$('cpu').addEventListener('click', function (event) {
  var button = $('cpu');
  // One recording at a time: a second click would download the server's 409 as the file.
  if (button.classList.contains('busy')) {
    event.preventDefault();
    return;
  }
  button.classList.add('busy');
  button.textContent = 'recording CPU profile, 10 s…';
  setTimeout(function () { button.classList.remove('busy'); button.textContent = 'CPU profile 10 s'; }, 10500);
});
status();
poll();
`;
