// A report table as data, so that every format (terminal, Markdown, HTML) renders the
// same rows instead of building them again.

export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Leading columns of text (names), aligned left; the rest are numbers. Default 1. */
  readonly textColumns?: number;
}

/** The table in Markdown, its title in bold or as a plain line before it. */
export function markdownTable(table: Table, boldTitle = true): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const text = table.textColumns ?? 1;
  return [
    boldTitle ? `**${table.title}**` : table.title,
    '',
    row(table.header),
    row(table.header.map((_, i) => (i < text ? '---' : '---:'))),
    ...table.rows.map(row),
  ].join('\n');
}
