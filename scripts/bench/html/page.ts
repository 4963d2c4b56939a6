// The page around the report: its style sheet (light and dark, one column on a phone,
// charts side by side on a wide screen) and the figure that holds a chart. Everything
// is inline: the file is opened from disk, with no network.
import { escapeMarkup } from '../../../src/platform/escape-markup.js';

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2127;--muted:#5f6874;--grid:#e4e7eb;--axis:#c9ced6;
--base:#98a1ad;--gain:#16a34a;--loss:#dc6a1c;--dot:#1d2127;--dotring:#fff;
--c0:#2563eb;--c1:#0d9488;--c2:#9333ea;--c3:#d97706;--c4:#db2777;--c5:#0891b2;--c6:#65a30d;--c7:#7c3aed}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#181c22;--fg:#e4e7eb;--muted:#9aa4b1;--grid:#2a3039;--axis:#3a424d;
--base:#6f7986;--gain:#22c55e;--loss:#f28b3c;--dot:#f4f5f7;--dotring:#181c22;
--c0:#60a5fa;--c1:#2dd4bf;--c2:#c084fc;--c3:#fbbf24;--c4:#f472b6;--c5:#22d3ee;--c6:#a3e635;--c7:#a78bfa}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1320px;margin:0 auto;padding:8px}
h1{font-size:1.5rem;margin:8px 0 4px}h2{font-size:1.2rem;margin:0 0 8px}h3{font-size:.95rem;margin:14px 0 6px}
.meta{color:var(--muted);font-size:.85rem;margin:2px 0;overflow-wrap:anywhere}
nav{display:flex;flex-wrap:wrap;gap:6px;margin:10px 0}
nav a{color:inherit;text-decoration:none;background:var(--card);border:1px solid var(--grid);border-radius:999px;padding:2px 10px;font-size:.85rem}
section{background:var(--card);border:1px solid var(--grid);border-radius:10px;padding:10px;margin:12px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,360px),1fr));gap:14px 28px}
figure{margin:0;min-width:0}
figcaption{font-weight:600;font-size:.9rem}
figcaption small{display:block;font-weight:400;color:var(--muted);font-size:.78rem;line-height:1.35;margin-bottom:4px}
svg{display:block;width:100%;height:auto;font-size:13px;overflow:visible}
svg text{fill:var(--fg)}
.label,.figure{paint-order:stroke;stroke:var(--card);stroke-width:3px;stroke-linejoin:round}
.tick,.ytick{fill:var(--muted);font-size:11px}.tick{text-anchor:middle}.ytick{text-anchor:end}
.figure{text-anchor:end;font-variant-numeric:tabular-nums;fill:var(--muted)}
.grid{stroke:var(--grid)}
.ref{stroke:var(--muted);stroke-dasharray:4 3}
.one{stroke:var(--fg);stroke-width:1.5}.median{stroke:var(--fg);stroke-width:2.5}
.s0{--c:var(--c0)}.s1{--c:var(--c1)}.s2{--c:var(--c2)}.s3{--c:var(--c3)}.s4{--c:var(--c4)}.s5{--c:var(--c5)}.s6{--c:var(--c6)}.s7{--c:var(--c7)}.sb{--c:var(--base)}
.sb .label{font-style:italic}
.bar{fill:var(--c)}.gain{fill:var(--gain)}.loss{fill:var(--loss)}
.dot{fill:var(--dot);stroke:var(--dotring);stroke-width:1.2;fill-opacity:.85}
.range{stroke:var(--c);stroke-width:6;stroke-linecap:round}.whisker{stroke:var(--c);stroke-width:1.5;stroke-opacity:.45}
.p90{stroke:var(--card);stroke-width:2}.p50{fill:var(--card);stroke:var(--c);stroke-width:2}.p99{fill:var(--c)}
.line{fill:none;stroke:var(--c);stroke-width:2.2;stroke-linejoin:round}.point{fill:var(--c)}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;list-style:none;padding:0;margin:6px 0 0;font-size:.8rem}
.legend li::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;background:var(--c);margin-right:5px;vertical-align:-1px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.8rem;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid var(--grid);text-align:right;white-space:nowrap}
th{color:var(--muted);font-weight:600}.text{text-align:left}
code{font-size:.85em;overflow-wrap:anywhere}
@media (min-width:600px){main{padding:12px 16px}section{padding:12px 16px}}
`;

/** A chart with its title and a line saying how to read it (raw text: escaped here). */
export function figure(title: string, how: string, svg: string, after = ''): string {
  return `<figure><figcaption>${escapeMarkup(title)}<small>${escapeMarkup(how)}</small></figcaption>${svg}${after}</figure>`;
}

/** The whole document; `title` is raw text, `body` is markup. */
export function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeMarkup(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
