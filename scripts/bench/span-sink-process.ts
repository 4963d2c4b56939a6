// The traced scenario's collector (span-sink.ts) as a process of its own, started on a
// free port before the scenario's first run and stopped after its last.
import { fileURLToPath } from 'node:url';
import { freePort, startTarget } from './run-target.js';
import type { Launch } from './targets.js';

const SPAN_SINK = fileURLToPath(new URL('./span-sink.js', import.meta.url));

export interface RunningSpanSink {
  /** http://127.0.0.1:<port>: the traced targets' OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts it (through `place`, which may pin it) and waits until it answers. */
export async function startSpanSink(place: (launch: Launch) => Launch, logPath: string): Promise<RunningSpanSink> {
  const port = await freePort();
  const sink = await startTarget(place({ command: process.execPath, args: [SPAN_SINK], env: { PORT: String(port) } }), port, logPath, '/');
  return { url: `http://127.0.0.1:${port}`, stop: () => sink.stop() };
}
