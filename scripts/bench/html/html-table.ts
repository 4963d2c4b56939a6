// A report table (table.ts) as an HTML table that scrolls sideways on a narrow screen.
import type { Table } from '../table.js';
import { escapeMarkup } from '../../../src/platform/escape-markup.js';

export function htmlTable(table: Table): string {
  const text = table.textColumns ?? 1;
  const cell = (tag: 'th' | 'td', value: string, i: number): string => `<${tag}${i < text ? ' class="text"' : ''}>${escapeMarkup(value)}</${tag}>`;
  return [
    `<h3>${escapeMarkup(table.title)}</h3>`,
    '<div class="scroll"><table>',
    `<thead><tr>${table.header.map((h, i) => cell('th', h, i)).join('')}</tr></thead>`,
    `<tbody>${table.rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}
