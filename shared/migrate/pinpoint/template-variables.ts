/**
 * Pinpoint message variables and Handlebars helpers, as Waymark Liquid. Pure: text in, text out.
 *
 * The attribute contract with the endpoint importer (endpoints.ts): a Pinpoint endpoint's
 * `User.UserAttributes.X` and `Attributes.X` (lists of strings) land on the profile as
 * `profile.attributes.X`, under Pinpoint's own attribute name, holding the first value (a list of
 * one string renders the same in Liquid, so either way of storing it gives the same text).
 * `User.UserId` is the customer id; `Demographic.Timezone` and `Demographic.Locale` are the
 * profile's time zone and locale; the endpoint `Address` is the email address or phone number.
 */

export type PinpointChannel = 'email' | 'sms' | 'push';

export type VariableMapping =
  /** `always`: the value is on every profile, so no `| default` is needed. */
  | { kind: 'mapped'; liquid: string; always: boolean }
  | { kind: 'literal'; text: string }
  | { kind: 'none'; why: string };

/** A Pinpoint template name as a Waymark template folder name: "CartReminder_v2" -> "cart-reminder-v2". */
export function waymarkTemplateName(pinpointName: string): string | undefined {
  const name = pinpointName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? undefined : name;
}

/** `User.UserAttributes.FirstName.[0]` -> ["User", "UserAttributes", "FirstName", "0"]. */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  const pattern = /\[([^\]]*)\]|([^.[\]/]+)/g;
  for (const match of path.matchAll(pattern)) segments.push(match[1] ?? match[2] ?? '');
  return segments;
}

/** The key a variable is known by in DefaultSubstitutions, with a first-value index dropped. */
export function variableKey(path: string): string {
  const segments = pathSegments(path);
  if (segments.length > 1 && segments.at(-1) === '0') segments.pop();
  return segments.join('.');
}

/** A Liquid string literal for any text (a double quote inside is kept by quoting with single quotes). */
export function liquidString(text: string): string | undefined {
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return undefined;
}

function member(base: string, name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `${base}.${name}`;
  const quoted = liquidString(name);
  return quoted === undefined ? undefined : `${base}[${quoted}]`;
}

/** Endpoint fields Pinpoint has and Waymark keeps nothing like. */
const NO_COUNTERPART: Record<string, string> = {
  Id: 'a Waymark profile is a customer, not one of its endpoints; profile.customerId is the customer id',
  Location: 'Waymark keeps no location on a profile',
  Metrics: 'Waymark keeps no endpoint metrics on a profile',
  Demographic: 'Waymark keeps only the time zone and locale of a device on a profile',
  OptOut: 'consent is per channel in Waymark (profile.consent), and opted-out customers get no message',
  EndpointStatus: 'Waymark keeps no endpoint status',
  EffectiveDate: 'Waymark keeps no endpoint dates',
  CreationDate: 'Waymark keeps no endpoint dates',
  RequestId: 'Waymark keeps no endpoint request ids',
  CohortId: 'Waymark keeps no cohort ids',
  ApplicationId: 'a Waymark project has no Pinpoint application',
  Recommendations: 'Waymark has no recommender models',
  User: 'Waymark keeps only the user id and attributes of a Pinpoint user',
  Address: 'a push address is a device token, which Waymark keeps out of templates',
  ChannelType: 'a push message goes to every platform the customer has',
};

/** What a Pinpoint variable becomes in a template of this channel. */
export function mapVariable(path: string, channel: PinpointChannel): VariableMapping {
  const segments = pathSegments(path);
  if (segments.length > 1 && segments.at(-1) === '0') segments.pop();
  const [root, second, third] = segments;
  const attribute = (name: string | undefined, rest: number): VariableMapping => {
    const liquid = name === undefined || rest > 0 ? undefined : member('profile.attributes', name);
    return liquid === undefined
      ? { kind: 'none', why: 'only a whole attribute, or its first value, has a Waymark counterpart' }
      : { kind: 'mapped', liquid, always: false };
  };
  if (root === 'User' && second === 'UserId' && segments.length === 2)
    return { kind: 'mapped', liquid: 'profile.customerId', always: true };
  if (root === 'User' && second === 'UserAttributes') return attribute(third, segments.length - 3);
  if (root === 'Attributes') return attribute(second, segments.length - 2);
  if (root === 'Demographic' && segments.length === 2 && second === 'Timezone')
    return { kind: 'mapped', liquid: 'profile.timeZone', always: false };
  if (root === 'Demographic' && segments.length === 2 && second === 'Locale')
    return { kind: 'mapped', liquid: 'profile.locale', always: false };
  if (root === 'Address' && segments.length === 1 && channel !== 'push')
    return { kind: 'mapped', liquid: channel === 'email' ? 'profile.email' : 'profile.phone', always: false };
  if (root === 'ChannelType' && segments.length === 1 && channel !== 'push')
    return { kind: 'literal', text: channel === 'email' ? 'EMAIL' : 'SMS' };
  const why = root === undefined ? undefined : NO_COUNTERPART[root];
  if (why !== undefined) return { kind: 'none', why };
  // A name that is no endpoint field is a message variable: a journey value in Waymark.
  if (root !== undefined && segments.length === 1) {
    const liquid = member('values', root);
    if (liquid !== undefined) return { kind: 'mapped', liquid, always: false };
  }
  return { kind: 'none', why: 'it is neither an endpoint field nor a message variable Waymark can take' };
}

// ---------------------------------------------------------------------------------------------
// Handlebars (Pinpoint's template language) to Liquid.

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

interface Mustache {
  offset: number;
  raw: string;
  inner: string;
  comment: boolean;
  trimLeft: boolean;
  trimRight: boolean;
}

type Arg =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'path'; value: string }
  | { kind: 'sub'; args: Arg[] }
  | { kind: 'hash'; key: string };

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

function lineOf(source: string, offset: number): number {
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
function escapeText(text: string): string {
  return text.replaceAll('{%', '{% raw %}{%{% endraw %}');
}

/** Text inside a Liquid comment: nothing in it may close the comment. */
function commentText(text: string): string {
  return text.replaceAll('{%', '{ %').replaceAll('%}', '% }');
}

function marked(text: string): string {
  return `{% comment %}${commentText(text)}{% endcomment %}`;
}

function scan(source: string): { pieces: (string | Mustache)[]; error?: string } {
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

function tokenize(expression: string): Arg[] | undefined {
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
