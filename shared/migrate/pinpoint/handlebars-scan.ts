/**
 * Reading Handlebars, Pinpoint's template language: the text cut into plain text and mustaches, and
 * a mustache's expression into arguments. Pure. The conversion to Liquid is in handlebars.ts.
 */

/** One {{...}} of the source, with its place and its whitespace control (~). */
export interface Mustache {
  offset: number;
  raw: string;
  inner: string;
  comment: boolean;
  trimLeft: boolean;
  trimRight: boolean;
}

/** One argument of a helper call, as tokenize reads it. */
export type Arg =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'path'; value: string }
  | { kind: 'sub'; args: Arg[] }
  | { kind: 'hash'; key: string };

/** The 1-based line of an offset in the source. */
export function lineOf(source: string, offset: number): number {
  let line = 1;
  for (
    let index = source.indexOf('\n');
    index !== -1 && index < offset;
    index = source.indexOf('\n', index + 1)
  )
    line++;
  return line;
}

/** Text outside any mustache, safe in Liquid: a "{%" would open a tag. */
export function escapeText(text: string): string {
  return text.replaceAll('{%', '{% raw %}{%{% endraw %}');
}

/** Text inside a Liquid comment: nothing in it may close the comment. */
function commentText(text: string): string {
  return text.replaceAll('{%', '{ %').replaceAll('%}', '% }');
}

/** A Liquid comment, marking what the converter left unconverted. */
export function marked(text: string): string {
  return `{% comment %}${commentText(text)}{% endcomment %}`;
}

/** The source as plain text (escaped for Liquid) and mustaches, or where a mustache is never closed. */
export function scan(source: string): { pieces: (string | Mustache)[]; error?: string } {
  const pieces: (string | Mustache)[] = [];
  let text = '';
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open === -1) {
      text += source.slice(index);
      break;
    }
    if (open > 0 && source[open - 1] === '\\') {
      text += `${escapeText(source.slice(index, open - 1))}{% raw %}{{{% endraw %}`;
      index = open + 2;
      continue;
    }
    text += escapeText(source.slice(index, open));
    let inner = open + 2;
    const triple = source.startsWith('{', inner);
    if (triple) inner++;
    const trimLeft = source.startsWith('~', inner);
    if (trimLeft) inner++;
    const longComment = source.startsWith('!--', inner);
    const closer = longComment ? /--(~?)\}\}/g : triple ? /(~?)\}\}\}/g : /(~?)\}\}/g;
    closer.lastIndex = inner;
    const match = closer.exec(source);
    if (match === null) return { pieces, error: `line ${lineOf(source, open)}: "{{" is never closed` };
    if (text !== '') pieces.push(text);
    text = '';
    const end = match.index + match[0].length;
    const body = source.slice(inner, match.index);
    pieces.push({
      offset: open,
      raw: source.slice(open, end),
      inner: body.trim(),
      comment: body.startsWith('!'),
      trimLeft,
      trimRight: match[1] === '~',
    });
    index = end;
  }
  if (text !== '') pieces.push(text);
  return { pieces };
}

/** A mustache's expression as arguments: strings, numbers, paths, (sub expressions) and hash keys. */
export function tokenize(expression: string): Arg[] | undefined {
  const args: Arg[] = [];
  let index = 0;
  const read = (stopAtParen: boolean): Arg[] | undefined => {
    const out: Arg[] = [];
    while (index < expression.length) {
      const char = expression[index] ?? '';
      if (/\s/.test(char)) {
        index++;
        continue;
      }
      if (char === ')') {
        if (!stopAtParen) return undefined;
        index++;
        return out;
      }
      if (char === '(') {
        index++;
        const inner = read(true);
        if (inner === undefined) return undefined;
        out.push({ kind: 'sub', args: inner });
        continue;
      }
      if (char === '"' || char === "'") {
        const end = expression.indexOf(char, index + 1);
        if (end === -1) return undefined;
        out.push({ kind: 'string', value: expression.slice(index + 1, end) });
        index = end + 1;
        continue;
      }
      const word = /^(?:\[[^\]]*\]|[^\s()=])+(=)?/.exec(expression.slice(index));
      if (word === null) return undefined;
      index += word[0].length;
      const value = word[0];
      if (word[1] !== undefined) {
        out.push({ kind: 'hash', key: value.slice(0, -1) });
        continue;
      }
      out.push(
        /^-?\d+(\.\d+)?$/.test(value) || value === 'true' || value === 'false' || value === 'null'
          ? { kind: 'number', value: value === 'null' ? 'nil' : value }
          : { kind: 'path', value },
      );
    }
    return stopAtParen ? undefined : out;
  };
  const result = read(false);
  if (result === undefined) return undefined;
  args.push(...result);
  return args;
}
