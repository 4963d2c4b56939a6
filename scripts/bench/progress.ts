// A live progress line on stderr: target, scenario, seconds left, current req/s. On a
// terminal it redraws in place; elsewhere (CI logs) it prints one line per phase.
import { readFileSync } from 'node:fs';

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = process.stderr.isTTY === true;

  /** `shown: false` for a load that runs beside another one that shows the progress. */
  constructor(private readonly shown = true) {}

  /** Shows `label` until done(); `rate()` returns the current req/s, or undefined. */
  start(label: string, seconds: number, rate: () => number | undefined): void {
    if (!this.shown) return;
    const endsAt = Date.now() + seconds * 1000;
    if (!this.tty) {
      process.stderr.write(`${label} (${seconds} s)\n`);
      return;
    }
    const draw = (): void => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      const current = rate();
      const rps = current === undefined ? '' : `  ~${Math.round(current).toLocaleString('en-US')} req/s`;
      process.stderr.write(`\r\x1b[K${label}  ${left}s left${rps}`);
    };
    draw();
    this.timer = setInterval(draw, 250);
  }

  done(summary: string): void {
    if (!this.shown) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.stderr.write(this.tty ? `\r\x1b[K${summary}\n` : `  ${summary}\n`);
  }
}

/** Bytes received on the loopback interface so far (to estimate wrk's live rate). */
export function loopbackBytes(): number | undefined {
  try {
    const line = readFileSync('/proc/net/dev', 'latin1')
      .split('\n')
      .find((l) => l.trim().startsWith('lo:'));
    return line === undefined ? undefined : Number(line.trim().slice(3).trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

/** A rate over the last sample interval from a growing counter. */
export function rateOf(read: () => number | undefined, per = 1): () => number | undefined {
  let last = read();
  let lastAt = Date.now();
  let rate: number | undefined;
  return () => {
    const now = Date.now();
    const value = read();
    if (value !== undefined && last !== undefined && now - lastAt >= 200) {
      rate = (value - last) / per / ((now - lastAt) / 1000);
      last = value;
      lastAt = now;
    }
    return rate;
  };
}
