// The HTML index of /debug/pprof/, like Go's: each profile, what it is, and how to use it.
import { escapeMarkup } from '../platform/escape-markup.js';

interface Entry {
  readonly path: string;
  readonly about: string;
  readonly commands: (base: string) => readonly string[];
}

const ENTRIES: readonly Entry[] = [
  {
    path: 'profile?seconds=30',
    about: 'CPU profile over N seconds (default 30, at most 300) while the server keeps serving; gzip-compressed pprof protobuf. Add format=cpuprofile for V8 .cpuprofile JSON (Chrome DevTools, speedscope). One at a time; stops if the client disconnects.',
    commands: (base) => [`go tool pprof -top ${base}/profile?seconds=10`, `curl -o cpu.cpuprofile '${base}/profile?seconds=10&format=cpuprofile'`],
  },
  {
    path: 'heap',
    about: 'Sampled allocations over N seconds (seconds=N, default 5), including objects already collected: objects/count and space/bytes in pprof format. Add format=heapprofile for V8 .heapprofile JSON.',
    commands: (base) => [`go tool pprof -top -sample_index=space ${base}/heap?seconds=5`, `curl -o heap.heapprofile '${base}/heap?format=heapprofile'`],
  },
  {
    path: 'heap?format=heapsnapshot',
    about: 'A full .heapsnapshot of every live object. WARNING: taking it blocks the event loop (hundreds of ms to seconds, no request is served meanwhile) and can double memory; prefer the sampled heap profile on a busy server.',
    commands: (base) => [`curl -o heap.heapsnapshot '${base}/heap?format=heapsnapshot'`],
  },
  {
    path: 'goroutine',
    about: 'The Node analogue of goroutines, as plain text: active handles and requests, in-flight HTTP requests with their age, open connections, event-loop delay.',
    commands: (base) => [`curl ${base}/goroutine`],
  },
];

/** `host` comes from the request's Host header; anything odd falls back to localhost. */
export function debugIndexHtml(host: string | undefined): string {
  const base = `http://${host !== undefined && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : 'localhost:8080'}/debug/pprof`;
  const rows = ENTRIES.map(
    (e) =>
      // Absolute links: the index also answers at /debug/pprof, without the slash.
      `<tr><td><a href="/debug/pprof/${escapeMarkup(e.path)}">${escapeMarkup(e.path)}</a></td><td>${escapeMarkup(e.about)}` +
      `<pre>${e.commands(base).map(escapeMarkup).join('\n')}</pre></td></tr>`,
  ).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>/debug/pprof/</title>
<style>body{font-family:sans-serif;max-width:60em;margin:1em auto}td{vertical-align:top;padding:.4em}pre{background:#f4f4f4;padding:.3em}</style>
</head><body>
<h1>/debug/pprof/</h1>
<p>Live charts of this server: <a href="/debug/dashboard">/debug/dashboard</a> (add <code>?every=250</code> to poll every 250 ms).</p>
<p>Profiles of this Node.js process (pid ${process.pid}, node ${escapeMarkup(process.version)}), served to loopback clients or with the DEBUG_TOKEN bearer token.</p>
<table>
${rows}
</table>
<p>Without HTTP: <code>node --prof dist/server.js</code>, load it, stop it, then <code>node --prof-process isolate-*.log</code>; or <code>npm run prof</code>.</p>
</body></html>
`;
}
