// Picks the readable part of a `node --prof-process` report for the terminal.

/** The title, column header and first `top` rows of one `[Section]:` of the
 *  --prof-process report (a note between title and table is skipped). */
export function reportSection(report: string, name: string, top: number): string[] {
  const lines = report.split('\n');
  const start = lines.findIndex((l) => l.trim() === `[${name}]:`);
  const title = lines[start];
  const header = lines.findIndex((l, i) => i > start && /^\s+ticks\s/.test(l));
  if (title === undefined || header < 0) return [];
  const end = lines.findIndex((l, i) => i > header && l.trim() === '');
  return [title, ...lines.slice(header, end < 0 ? undefined : end).slice(0, top + 1)];
}
