/** Plain aligned text tables for the terminal: text columns to the left, figures to the right. */

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** The table's lines, each ending in a newline; a rule under the header. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const header = line(columns.map((column) => column.header));
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...rows.map(line)].map((text) => `${text}\n`).join('');
}

/** 0.25 → "25.0%"; no denominator → "-". */
export function percent(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(1)}%`;
}

/** Whole numbers as they are, shares (linear attribution) with two decimals. */
export function figure(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Seconds as a person reads a wait: "45s", "12m 5s", "1h 0m", "2d 3h"; null → "-". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${whole % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
