/**
 * HTML built from typed template literals: every interpolated value is escaped
 * unless it is already `Html`, so a customer's name or an event's detail can
 * never become markup.
 */
import { escapeHtml } from '../../shared/text/html-escape.ts';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(text);
}

/** Markup from a trusted source (our own renderer), taken as is. */
export function trusted(text: string): Html {
  return new Html(text);
}

export { escapeHtml };

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}
