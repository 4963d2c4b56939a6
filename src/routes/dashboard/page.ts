// The dashboard as one self-contained HTML document: style, markup, and one inline script
// (series.ts's functions, then page-script.ts). Nothing is fetched but /metrics, and the
// Content-Security-Policy allows only that script, by its hash, made once with the page.
import { createHash } from 'node:crypto';
import { PAGE_FUNCTIONS } from './series.js';
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--fg:#1b1f24;--muted:#57606a;--grid:#d8dee4;--blue:#0969da;--green:#1a7f37;--amber:#9a6700;--red:#cf222e;--purple:#8250df}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;--grid:#30363d;--blue:#4493f8;--green:#3fb950;--amber:#d29922;--red:#f85149;--purple:#ab7df8}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.2rem;padding:.7rem 1rem;border-bottom:1px solid var(--grid);background:var(--card)}
h1{font-size:1.15rem;margin:0}
header .poll{color:var(--muted)}
#state{font-weight:600;color:var(--green)}
body[data-state=stale] #state{color:var(--red)}
body[data-state=starting] #state{color:var(--muted)}
nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin-left:auto;align-items:center}
a{color:var(--blue)}
.button{background:var(--blue);color:#fff;border-radius:6px;padding:.3rem .7rem;text-decoration:none;font-weight:600}
.button.busy{background:var(--amber)}
main{padding:1rem;display:grid;gap:1rem;max-width:120rem;margin:0 auto}
.top,.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:.75rem}
#numbers,#states{display:contents}
.big,.total,.panel,.chart,#workers{background:var(--card);border:1px solid var(--grid);border-radius:8px;padding:.7rem .8rem;margin:0;min-width:0}
.label{color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em}
.value{font-variant-numeric:tabular-nums;font-weight:650}
.big .value{font-size:2.1rem;line-height:1.15;white-space:nowrap}
.unit{font-size:.55em;font-weight:600;color:var(--muted)}
.total{padding:.45rem .8rem}
.total .value{font-size:1.1rem}
.state{font-size:1.3rem;font-weight:650}
.ok{color:var(--green)}.warn{color:var(--amber)}.bad{color:var(--red)}
.detail{color:var(--muted);font-size:.85rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr));gap:.75rem}
.legend{list-style:none;margin:.3rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.85rem}
.swatch{display:inline-block;width:.75em;height:.75em;border-radius:2px;background:var(--c);margin-right:.35em}
.now{margin-left:.4em;font-weight:650;font-variant-numeric:tabular-nums}
.plot{position:relative}
svg{display:block;width:100%;height:150px}
.grid{stroke:var(--grid);stroke-width:1;fill:none}
.line{fill:none;stroke:var(--c);stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.ymax{position:absolute;top:2px;left:4px;font-size:.75rem;color:var(--muted);background:var(--card);padding:0 .2em}
.xaxis{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted)}
.s0{--c:var(--blue)}.s1{--c:var(--amber)}.s2{--c:var(--red)}.s3{--c:var(--purple)}
[data-chart=requests] .s0{--c:var(--green)}[data-chart=requests] .s1{--c:var(--blue)}[data-chart=requests] .s2{--c:var(--amber)}[data-chart=requests] .s3{--c:var(--red)}
[data-chart=memory] .s1{--c:var(--purple)}
.badge{display:none;margin-left:.5em;padding:0 .4em;border-radius:4px;background:var(--red);color:#fff;font-size:.7rem}
body[data-state=stale] .badge{display:inline-block}
body[data-state=stale] .value,body[data-state=stale] .line,body[data-state=stale] .now{opacity:.4}
body[data-state=stale] .big::after{content:"stale";color:var(--red);font-size:.75rem;font-weight:600}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:right;padding:.3rem .6rem;border-bottom:1px solid var(--grid)}
th{color:var(--muted);font-weight:600;font-size:.8rem}
`;

const BODY = `<header>
<h1>turbina</h1>
<span><span id="state">starting</span> <span class="poll">· polling /metrics every <span id="every"></span> · last good poll <span id="last">never</span></span></span>
<nav><a href="/metrics">/metrics</a><a href="/metrics?format=prometheus">Prometheus</a><a href="/debug/pprof/">/debug/pprof</a><a href="/debug/pprof/heap?seconds=5">heap profile 5 s</a><a href="/debug/pprof/goroutine">runtime report</a><a id="cpu" class="button" href="/debug/pprof/profile?seconds=10" download="cpu-10s.pb.gz">CPU profile 10 s</a></nav>
</header>
<main>
<div class="top"><section id="numbers" aria-label="current numbers"></section><section id="states" aria-label="states"></section></div>
<section id="charts" class="charts" aria-label="charts"></section>
<section id="workers" hidden><div class="label">workers</div><div class="table"><table><thead><tr><th>worker</th><th>pid</th><th>requests/s</th><th>in flight</th><th>event loop busy</th><th>heap used</th></tr></thead><tbody id="worker-rows"></tbody></table></div></section>
<section id="totals" class="totals" aria-label="totals since start"></section>
</main>`;

export interface DashboardPage {
  readonly html: string;
  /** The Content-Security-Policy that lets exactly this page's script run. */
  readonly csp: string;
}

export function dashboardPage(): DashboardPage {
  const script = `${PAGE_FUNCTIONS.map(String).join('\n')}\n${PAGE_SCRIPT}`;
  const hash = createHash('sha256').update(script).digest('base64');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>turbina dashboard</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body data-state="starting">
${BODY}
<script>${script}</script>
</body></html>
`;
  const csp = `default-src 'self'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
