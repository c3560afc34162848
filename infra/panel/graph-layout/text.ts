/**
 * Text fitted to boxes without a font to measure by: the sizes the renderer draws with, an estimate
 * of how wide a text is drawn, and wrapping and cutting to a number of characters.
 */

/** Sizes the renderer draws text with: the layout makes room for exactly these. */
export const NODE_TEXT = {
  width: 248,
  paddingX: 10,
  paddingY: 8,
  headingHeight: 18,
  headingFontSize: 13,
  lineHeight: 16,
  lineFontSize: 12,
  countsGap: 4,
  countRowHeight: 15,
  countFontSize: 11,
  labelFontSize: 11,
  labelHeight: 16,
} as const;

/**
 * A character's width in ems, estimated: a little generous for prose, tighter for the counts (short
 * words and digits).
 */
const CHAR_WIDTH_EM = { plain: 0.6, bold: 0.66, counts: 0.55 } as const;
export type TextStyle = keyof typeof CHAR_WIDTH_EM;

/** An estimate of how wide `text` is drawn. */
export function textWidth(text: string, fontSize: number, style: TextStyle = 'plain'): number {
  return [...text].length * fontSize * CHAR_WIDTH_EM[style];
}

/** How many characters fit in `width` by that estimate. */
export function charsThatFit(width: number, fontSize: number, style: TextStyle = 'plain'): number {
  return Math.max(1, Math.floor(width / (fontSize * CHAR_WIDTH_EM[style])));
}

/** Each phrase on its own line(s), words wrapped; past `maxLines` the last line ends in "…". */
export function wrapPhrases(phrases: string[], maxChars: number, maxLines: number): string[] {
  const lines = phrases.flatMap((phrase) => wrapWords(phrase, maxChars));
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept.pop() ?? '';
  return [...kept, cut(`${last}…`, maxChars, true)];
}

function wrapWords(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if ([...candidate].length <= maxChars) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    // A word longer than a line (a long event or template name) is broken after a "-" or "."
    // where it has one far enough in, or else where it must be.
    let rest = [...word];
    while (rest.length > maxChars) {
      const head = rest.slice(0, maxChars);
      const breakAfter = Math.max(head.lastIndexOf('-'), head.lastIndexOf('.'), head.lastIndexOf('_'));
      const length = breakAfter >= maxChars / 3 ? breakAfter + 1 : maxChars;
      lines.push(rest.slice(0, length).join(''));
      rest = rest.slice(length);
    }
    line = rest.join('');
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

/** `text` cut to `maxChars`, ending in "…" when cut (or when `alreadyCut`). */
export function cut(text: string, maxChars: number, alreadyCut = false): string {
  const characters = [...text];
  if (characters.length <= maxChars && !alreadyCut) return text;
  if (characters.length <= maxChars) return text.endsWith('…') ? text : `${text}…`;
  const kept = characters
    .slice(0, maxChars - 1)
    .join('')
    .trimEnd();
  return `${kept}…`;
}
