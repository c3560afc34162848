/**
 * Handlebars (Pinpoint's template language) to Liquid: variables through mapVariable
 * (template-variables.ts), with their DefaultSubstitutions as `| default`, and Pinpoint's helpers
 * as Liquid tags and filters; what has no Liquid equivalent is left as a marked comment and named
 * in the differences. Pure: text in, text out.
 */
import { type Arg, escapeText, lineOf, marked, type Mustache, scan, tokenize } from './handlebars-scan.ts';
import {
  liquidString,
  mapVariable,
  member,
  type PinpointChannel,
  pathSegments,
  variableKey,
} from './template-variables.ts';

export interface ConvertOptions {
  channel: PinpointChannel;
  /** The Waymark file the text goes to, named in differences. */
  file: string;
  /** DefaultSubstitutions by variable key (see variableKey). */
  defaults: ReadonlyMap<string, string>;
}

export interface Conversion {
  liquid: string;
  report: { variable: string; became: string }[];
  differences: string[];
  /** Handlebars the converter cannot read (an unclosed block, a stray {{/if}}), with the line. */
  errors: string[];
}

interface Frame {
  helper: string;
  raw: string;
  line: number;
  close: string;
  elseTag: string | undefined;
  /** Set on an {{#each}} frame: the loop variable, in scope until {{else}} or the end. */
  loopVar: string | undefined;
  inLoop: boolean;
  converted: boolean;
}

const COMPARISONS: Record<string, string> = {
  eq: '==',
  neq: '!=',
  ne: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};
const FILTERS: Record<string, string> = {
  upper: 'upcase',
  lower: 'downcase',
  trim: 'strip',
  urlEncode: 'url_encode',
};
const HELPER_NAMES = new Set([
  ...Object.keys(COMPARISONS),
  ...Object.keys(FILTERS),
  'if',
  'unless',
  'each',
  'with',
  'lookup',
  'log',
  'and',
  'or',
  'not',
  'now',
]);

/** One Pinpoint template part as Liquid, with what each variable became, differences and errors. */
export function convertHandlebars(source: string, options: ConvertOptions): Conversion {
  const report: Conversion['report'] = [];
  const differences: string[] = [];
  const errors: string[] = [];
  const where = options.file;
  const scanned = scan(source);
  if (scanned.error !== undefined) return { liquid: '', report, differences, errors: [scanned.error] };
  const stack: Frame[] = [];
  let out = '';

  const loopVars = (): string[] =>
    stack.filter((frame) => frame.inLoop && frame.loopVar !== undefined).map((frame) => frame.loopVar ?? '');
  const noted = (variable: string, became: string): void => {
    if (!report.some((entry) => entry.variable === variable)) report.push({ variable, became });
  };

  /** A path as a Liquid expression: `value` for conditions (no default), or with its default for output. */
  const resolve = (
    raw: string,
    forOutput: boolean,
  ): { liquid: string; comment?: string } | { none: string; fallback: string | undefined } => {
    let path = raw;
    let vars = loopVars();
    while (path.startsWith('../')) {
      path = path.slice(3);
      vars = vars.slice(0, -1);
    }
    if (path.startsWith('@root.')) {
      path = path.slice(6);
      vars = [];
    }
    const loopVar = vars.at(-1);
    if (path === '@index')
      return loopVar === undefined
        ? { none: 'outside {{#each}}', fallback: undefined }
        : { liquid: 'forloop.index0' };
    if (path === '@first' || path === '@last')
      return loopVar === undefined
        ? { none: 'outside {{#each}}', fallback: undefined }
        : { liquid: `forloop.${path.slice(1)}` };
    if (path === 'this' || path === '.' || path.startsWith('this.') || path.startsWith('./')) {
      if (loopVar === undefined) return { none: 'outside {{#each}}', fallback: undefined };
      const rest = path.replace(/^(this|\.)\/?\.?/, '');
      if (rest === '') return { liquid: loopVar };
      const parts = pathSegments(rest);
      let liquid: string | undefined = loopVar;
      for (const part of parts) liquid = liquid === undefined ? undefined : member(liquid, part);
      return liquid === undefined ? { none: 'a name Liquid cannot write', fallback: undefined } : { liquid };
    }
    const key = variableKey(path);
    const fallback = options.defaults.get(key);
    const mapping = mapVariable(path, options.channel);
    switch (mapping.kind) {
      case 'mapped': {
        const quoted = fallback === undefined ? undefined : liquidString(fallback);
        if (fallback !== undefined && quoted === undefined)
          differences.push(
            `${where}: the default of {{${key}}} holds both kinds of quote, which a Liquid string cannot; it is left out.`,
          );
        const liquid = !forOutput
          ? mapping.liquid
          : quoted !== undefined
            ? `${mapping.liquid} | default: ${quoted}`
            : mapping.always
              ? mapping.liquid
              : `${mapping.liquid} | default: ""`;
        noted(key, quoted !== undefined ? `${mapping.liquid} | default: ${quoted}` : mapping.liquid);
        return { liquid };
      }
      case 'literal':
        noted(key, `"${mapping.text}"`);
        return { liquid: `"${mapping.text}"` };
      case 'none': {
        noted(
          key,
          `no Waymark counterpart (${mapping.why}): a marked comment${fallback === undefined ? '' : ` and its default "${fallback}"`}`,
        );
        differences.push(
          `${where}: Pinpoint variable {{${key}}} has no Waymark counterpart (${mapping.why}); it is left as a marked comment${fallback === undefined ? '' : `, followed by its default "${fallback}"`}.`,
        );
        return { none: `Pinpoint variable {{${key}}} has no Waymark counterpart`, fallback };
      }
      default: {
        const unreachable: never = mapping;
        throw new Error(`Unknown mapping ${JSON.stringify(unreachable)}`);
      }
    }
  };

  /** An operand of a condition; `prefix` collects comments for variables with no counterpart. */
  const operand = (arg: Arg, prefix: string[]): string | undefined => {
    switch (arg.kind) {
      case 'string':
        return liquidString(arg.value);
      case 'number':
        return arg.value;
      case 'path': {
        const resolved = resolve(arg.value, false);
        if ('liquid' in resolved) return resolved.liquid;
        prefix.push(marked(`${resolved.none}: it counts as empty here`));
        return 'nil';
      }
      case 'sub':
      case 'hash':
        return undefined;
      default: {
        const unreachable: never = arg;
        throw new Error(`Unknown argument ${JSON.stringify(unreachable)}`);
      }
    }
  };

  /** A helper call (`eq a b`, `and a b`, or a single value) as a Liquid condition. */
  const condition = (helper: string | undefined, args: Arg[], prefix: string[]): string | undefined => {
    if (helper === undefined) {
      const [only] = args;
      if (args.length !== 1 || only === undefined) return undefined;
      if (only.kind === 'sub') {
        const [head, ...rest] = only.args;
        return head?.kind === 'path' ? condition(head.value, rest, prefix) : undefined;
      }
      return operand(only, prefix);
    }
    const op = COMPARISONS[helper];
    if (op !== undefined) {
      const [left, right] = args;
      if (args.length !== 2 || left === undefined || right === undefined) return undefined;
      const a = operand(left, prefix);
      const b = operand(right, prefix);
      return a === undefined || b === undefined ? undefined : `${a} ${op} ${b}`;
    }
    if ((helper === 'and' || helper === 'or') && args.length >= 2) {
      const parts = args.map((arg) => condition(undefined, [arg], prefix));
      return parts.some((part) => part === undefined) ? undefined : parts.join(` ${helper} `);
    }
    return undefined;
  };

  const tag = (piece: Mustache, body: string, first = true, last = true): string =>
    `{%${first && piece.trimLeft ? '-' : ''} ${body} ${last && piece.trimRight ? '-' : ''}%}`;

  const unconverted = (piece: Mustache, what: string): string => {
    differences.push(`${where}: Pinpoint helper ${piece.raw} has no Liquid equivalent here; ${what}.`);
    return marked(`Pinpoint helper not converted: ${piece.raw}`);
  };

  for (const piece of scanned.pieces) {
    if (typeof piece === 'string') {
      out += piece;
      continue;
    }
    const line = lineOf(source, piece.offset);
    const inner = piece.inner;
    if (piece.comment) {
      out += marked(inner.replace(/^!(--)?/, '').replace(/--$/, ''));
      continue;
    }
    if (inner.startsWith('#') || (inner.startsWith('^') && inner.length > 1)) {
      const inverse = inner.startsWith('^');
      const args = tokenize(inner.slice(1).trim());
      const head = args?.[0];
      if (args === undefined || head === undefined || head.kind !== 'path') {
        errors.push(`line ${line}: cannot read ${piece.raw}`);
        continue;
      }
      const helper = inverse ? 'unless' : head.value;
      const rest = inverse ? args : args.slice(1);
      const frame: Frame = {
        helper: inverse ? head.value : helper,
        raw: piece.raw,
        line,
        close: '',
        elseTag: undefined,
        loopVar: undefined,
        inLoop: false,
        converted: true,
      };
      const prefix: string[] = [];
      if (helper === 'if' || helper === 'unless' || helper === 'not') {
        const test = condition(undefined, rest, prefix);
        const liquidTag = helper === 'if' ? 'if' : 'unless';
        if (test !== undefined) {
          out += prefix.join('') + tag(piece, `${liquidTag} ${test}`);
          frame.close = `end${liquidTag}`;
          frame.elseTag = 'else';
        } else frame.converted = false;
      } else if (helper === 'each') {
        const [list] = rest;
        const test = rest.length === 1 && list?.kind === 'path' ? operand(list, prefix) : undefined;
        if (test !== undefined) {
          const loopVar = `item${loopVars().length === 0 ? '' : String(loopVars().length + 1)}`;
          out +=
            prefix.join('') +
            tag(piece, `if ${test}`, true, false) +
            tag(piece, `for ${loopVar} in ${test}`, false, true);
          frame.close = 'endfor %}{% endif';
          frame.elseTag = 'endfor %}{% else';
          frame.loopVar = loopVar;
          frame.inLoop = true;
        } else frame.converted = false;
      } else {
        const test = condition(helper, rest, prefix);
        if (test !== undefined) {
          out += prefix.join('') + tag(piece, `if ${test}`);
          frame.close = 'endif';
          frame.elseTag = 'else';
        } else frame.converted = false;
      }
      if (!frame.converted) out += unconverted(piece, 'its content is kept and always shows');
      stack.push(frame);
      continue;
    }
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim();
      const frame = stack.pop();
      if (frame === undefined || frame.helper !== name) {
        errors.push(
          `line ${line}: ${piece.raw} closes ${frame === undefined ? 'no open block' : `{{#${frame.helper}}} opened on line ${frame.line}`}`,
        );
        continue;
      }
      out += frame.converted ? tag(piece, frame.close) : marked(`end of ${frame.raw}`);
      continue;
    }
    if (inner === 'else' || inner === '^' || inner.startsWith('else ')) {
      const frame = stack.at(-1);
      if (frame === undefined) {
        errors.push(`line ${line}: ${piece.raw} is outside any block`);
        continue;
      }
      const chained = inner.startsWith('else ') ? inner.slice(5).trim() : undefined;
      if (!frame.converted) {
        out += marked(`Pinpoint ${piece.raw} of ${frame.raw}`);
        continue;
      }
      if (chained !== undefined) {
        const args = tokenize(chained.replace(/^if\s+/, ''));
        const prefix: string[] = [];
        const test =
          chained.startsWith('if ') && frame.close === 'endif' && args !== undefined
            ? condition(undefined, args, prefix)
            : undefined;
        if (test === undefined) {
          out += unconverted(piece, 'the branch after it shows whenever the one before does not');
          out += tag(piece, 'else');
        } else out += prefix.join('') + tag(piece, `elsif ${test}`);
        continue;
      }
      out += tag(piece, frame.elseTag ?? 'else');
      if (frame.loopVar !== undefined) {
        frame.inLoop = false;
        frame.close = 'endif';
      }
      continue;
    }
    if (inner.startsWith('>')) {
      out += unconverted(piece, 'Waymark templates have no partials; paste the partial in');
      continue;
    }
    const args = tokenize(inner.replace(/^&/, '').trim());
    const [head, ...rest] = args ?? [];
    if (args === undefined || head === undefined) {
      errors.push(`line ${line}: cannot read ${piece.raw}`);
      continue;
    }
    if (head.kind === 'path' && rest.length === 0 && !HELPER_NAMES.has(head.value)) {
      const resolved = resolve(head.value, true);
      if ('liquid' in resolved)
        out += `{{${piece.trimLeft ? '-' : ''} ${resolved.liquid} ${piece.trimRight ? '-' : ''}}}`;
      else
        out += marked(resolved.none) + (resolved.fallback === undefined ? '' : escapeText(resolved.fallback));
      continue;
    }
    if (head.kind === 'path' && head.value === 'now' && rest.length === 0) {
      differences.push(
        `${where}: {{now}} becomes the time of sending, written like 2026-01-15T12:00:00Z in the time zone the sender runs in (UTC on Lambda); Pinpoint's format may differ.`,
      );
      out += '{{ "now" | date: "%Y-%m-%dT%H:%M:%SZ" }}';
      continue;
    }
    const filter = head.kind === 'path' ? FILTERS[head.value] : undefined;
    const [value] = rest;
    if (filter !== undefined && rest.length === 1 && value !== undefined) {
      if (value.kind === 'path') {
        const resolved = resolve(value.value, true);
        if ('liquid' in resolved) out += `{{ ${resolved.liquid} | ${filter} }}`;
        else out += marked(resolved.none);
        continue;
      }
      const literal = operand(value, []);
      if (literal !== undefined) {
        out += `{{ ${literal} | ${filter} }}`;
        continue;
      }
    }
    out += unconverted(piece, 'it is left as a marked comment and renders nothing');
  }
  for (const frame of stack.reverse()) errors.push(`line ${frame.line}: ${frame.raw} is never closed`);
  return { liquid: out, report, differences: [...new Set(differences)], errors };
}
