/**
 * Whether a `pattern` can backtrack for ever. The validator runs patterns with JavaScript's
 * backtracking engine on strings producers send: `^(a+)+$` takes seconds on thirty "a"s and a "!",
 * and hours on forty, while record, resume and the entry step wait on it (and the local engine with
 * them). Such patterns repeat a part that can match one text in several ways: a repetition inside a
 * repeated group (`(a+)+`, `(\w+\s?)*`), two repetitions side by side (`(-a*a*)*`), or alternatives
 * that overlap (`(a|a)*`). A repeated group is let through when its rounds cannot run into each
 * other: each starts, or each ends, with a character nothing variable inside it matches
 * (`(-[a-z]+)*`, `([a-z]+\.)+`, `(\d{1,3}\.){3}`).
 *
 * A heuristic in the manner of safe-regex, not a proof: it refuses the shapes known to explode, and
 * lets polynomial ones through (`\d+\d+x` is slow only on very long strings).
 */

type Node =
  /** One character: a literal, a class, an escape, `.`; `source` is its own regular expression. */
  | { kind: 'char'; source: string }
  /** Anchors, `\b`, lookarounds: they consume nothing. */
  | { kind: 'empty' }
  | { kind: 'group'; alternatives: Node[][] }
  | { kind: 'repeat'; node: Node; min: number; max: number; text: string };

const EMPTY: Node = { kind: 'empty' };
/** A backreference matches whatever its group did: any text, of any length. */
const ANY_TEXT: Node = {
  kind: 'repeat',
  node: { kind: 'char', source: '[^]' },
  min: 0,
  max: Infinity,
  text: '',
};

/**
 * Characters a set is tried with: printable ASCII, a few others, and every character the pattern
 * writes (so a range such as `[а-я]` is tried at its own ends, and overlaps are found between ranges).
 */
const BASE_PROBES = [
  ...Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index)),
  '\t',
  '\n',
  '\r',
  '\0',
  '\u00a0',
  'é',
  'ß',
  'ā',
  'ж',
  '中',
  '\u2028',
  '😀',
];

/** The part of a valid (`u` flag) pattern that can backtrack exponentially, such as `(a+)+`; undefined when none. */
export function catastrophicPart(pattern: string): string | undefined {
  let parsed: { tree: Node[][]; lookarounds: Node[][][] };
  try {
    parsed = parse(pattern);
  } catch {
    // Not read to the end: the validity check reports the pattern itself.
    return undefined;
  }
  const sets = characterSets(pattern);
  const repeats: Extract<Node, { kind: 'repeat' }>[] = [];
  const collect = (node: Node): void => {
    if (node.kind === 'repeat') {
      repeats.push(node);
      collect(node.node);
    } else if (node.kind === 'group') node.alternatives.forEach((sequence) => sequence.forEach(collect));
  };
  for (const alternatives of [parsed.tree, ...parsed.lookarounds])
    alternatives.forEach((sequence) => sequence.forEach(collect));
  return repeats.find((repeat) => explodes(repeat, sets))?.text;
}

// ---- reading the pattern ------------------------------------------------------------------------------------------

function parse(source: string): { tree: Node[][]; lookarounds: Node[][][] } {
  let at = 0;
  const lookarounds: Node[][][] = [];
  const alternatives = (): Node[][] => {
    const result = [sequence()];
    while (source[at] === '|') {
      at += 1;
      result.push(sequence());
    }
    return result;
  };
  const sequence = (): Node[] => {
    const nodes: Node[] = [];
    while (at < source.length && source[at] !== '|' && source[at] !== ')') {
      const start = at;
      nodes.push(quantified(atom(), start));
    }
    return nodes;
  };
  const atom = (): Node => {
    const char = source[at];
    if (char === '(') return group();
    if (char === '[') {
      let end = at + 1;
      if (source[end] === '^') end += 1;
      while (end < source.length && source[end] !== ']') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) throw new Error('unclosed class');
      const text = source.slice(at, end + 1);
      at = end + 1;
      return { kind: 'char', source: text };
    }
    if (char === '\\') return escape();
    if (char === '^' || char === '$') {
      at += 1;
      return EMPTY;
    }
    const point = String.fromCodePoint(source.codePointAt(at) ?? 0);
    at += point.length;
    return { kind: 'char', source: point };
  };
  const group = (): Node => {
    at += 1;
    let lookaround = false;
    if (source.startsWith('?:', at)) at += 2;
    else if (source.startsWith('?=', at) || source.startsWith('?!', at)) {
      at += 2;
      lookaround = true;
    } else if (source.startsWith('?<=', at) || source.startsWith('?<!', at)) {
      at += 3;
      lookaround = true;
    } else if (source.startsWith('?<', at)) at = source.indexOf('>', at) + 1;
    const inner = alternatives();
    if (source[at] !== ')') throw new Error('unclosed group');
    at += 1;
    if (!lookaround) return { kind: 'group', alternatives: inner };
    // A lookaround consumes nothing where it stands, but its own repetitions run all the same.
    lookarounds.push(inner);
    return EMPTY;
  };
  const escape = (): Node => {
    const next = source[at + 1] ?? '';
    let end = at + 2;
    if (next === 'b' || next === 'B') {
      at = end;
      return EMPTY;
    }
    if (/[1-9]/.test(next) || next === 'k') {
      at = next === 'k' ? source.indexOf('>', at) + 1 : end;
      while (next !== 'k' && /\d/.test(source[at] ?? '')) at += 1;
      return ANY_TEXT;
    }
    if (next === 'p' || next === 'P' || (next === 'u' && source[at + 2] === '{'))
      end = source.indexOf('}', at) + 1;
    else if (next === 'u') end = at + 6;
    else if (next === 'x') end = at + 4;
    else if (next === 'c') end = at + 3;
    else end = at + 1 + String.fromCodePoint(source.codePointAt(at + 1) ?? 0).length;
    const text = source.slice(at, end);
    at = end;
    return { kind: 'char', source: text };
  };
  const quantified = (node: Node, start: number): Node => {
    let min: number;
    let max: number;
    const char = source[at];
    if (char === '*' || char === '+' || char === '?') {
      [min, max] = char === '*' ? [0, Infinity] : char === '+' ? [1, Infinity] : [0, 1];
      at += 1;
    } else if (char === '{') {
      const bounds = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
      if (bounds === null) return node;
      min = Number(bounds[1]);
      max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3]);
      at += bounds[0].length;
    } else return node;
    if (source[at] === '?') at += 1;
    return { kind: 'repeat', node, min, max, text: source.slice(start, at) };
  };
  const tree = alternatives();
  if (at < source.length) throw new Error('unbalanced parenthesis');
  return { tree, lookarounds };
}

// ---- what the parts match -----------------------------------------------------------------------------------------

type CharSets = (node: Node) => ReadonlySet<string>;

/** The characters (of the probes) each node can consume, worked out once per character source. */
function characterSets(pattern: string): CharSets {
  const probes = [...new Set([...BASE_PROBES, ...pattern, ...escapedCharacters(pattern)])];
  const bySource = new Map<string, ReadonlySet<string>>();
  const ofChar = (source: string): ReadonlySet<string> => {
    const known = bySource.get(source);
    if (known !== undefined) return known;
    const test = new RegExp(`^(?:${source})$`, 'u');
    const set = new Set(probes.filter((probe) => test.test(probe)));
    bySource.set(source, set);
    return set;
  };
  const sets: CharSets = (node) => {
    switch (node.kind) {
      case 'char':
        return ofChar(node.source);
      case 'empty':
        return new Set();
      case 'repeat':
        return sets(node.node);
      case 'group':
        return new Set(node.alternatives.flatMap((sequence) => sequence.flatMap((part) => [...sets(part)])));
    }
  };
  return sets;
}

/** The characters `\u0430`, `\u{1F600}` and `\x41` stand for, so ranges written with them are probed at their ends. */
function escapedCharacters(pattern: string): string[] {
  const codes = [...pattern.matchAll(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g)].map(
    (match) => parseInt(match[1] ?? match[2] ?? match[3] ?? '0', 16),
  );
  return codes.filter((code) => code <= 0x10ffff).map((code) => String.fromCodePoint(code));
}

function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const char of a) if (b.has(char)) return true;
  return false;
}

/** The fewest and most characters a node consumes. */
function lengths(node: Node): { min: number; max: number } {
  switch (node.kind) {
    case 'char':
      return { min: 1, max: 1 };
    case 'empty':
      return { min: 0, max: 0 };
    case 'repeat': {
      const inner = lengths(node.node);
      return { min: inner.min * node.min, max: inner.max === 0 ? 0 : inner.max * node.max };
    }
    case 'group': {
      const each = node.alternatives.map((sequence) =>
        sequence.map(lengths).reduce((sum, part) => ({ min: sum.min + part.min, max: sum.max + part.max }), {
          min: 0,
          max: 0,
        }),
      );
      return {
        min: Math.min(...each.map((part) => part.min)),
        max: Math.max(...each.map((part) => part.max)),
      };
    }
  }
}

function isVariable(node: Node): boolean {
  const { min, max } = lengths(node);
  return min !== max;
}

/** The characters the variable parts of a sequence can consume: where one round could run into the next. */
function variableCharacters(sequence: readonly Node[], sets: CharSets): Set<string> {
  const found = new Set<string>();
  const visit = (node: Node): void => {
    if (isVariable(node)) for (const char of sets(node)) found.add(char);
    else if (node.kind === 'repeat') visit(node.node);
    else if (node.kind === 'group') node.alternatives.forEach((inner) => inner.forEach(visit));
  };
  sequence.forEach(visit);
  return found;
}

/** What a sequence can start with. */
function firstCharacters(sequence: readonly Node[], sets: CharSets): Set<string> {
  const found = new Set<string>();
  for (const node of sequence) {
    const starts =
      node.kind === 'group'
        ? node.alternatives.flatMap((inner) => [...firstCharacters(inner, sets)])
        : node.kind === 'repeat'
          ? [...firstCharacters([node.node], sets)]
          : [...sets(node)];
    for (const char of starts) found.add(char);
    if (lengths(node).min > 0) break;
  }
  return found;
}

/** The characters a sequence must begin (or end) with, when its first (or last) consuming part is one fixed character. */
function boundary(
  sequence: readonly Node[],
  fromEnd: boolean,
  sets: CharSets,
): ReadonlySet<string> | undefined {
  const consuming = sequence.filter((node) => node.kind !== 'empty');
  const first = fromEnd ? consuming[consuming.length - 1] : consuming[0];
  if (first === undefined) return undefined;
  if (first.kind === 'char') return sets(first);
  if (first.kind === 'repeat' && first.node.kind === 'char' && first.min >= 1) return sets(first.node);
  if (first.kind === 'group' && first.alternatives.length === 1 && first.alternatives[0] !== undefined)
    return boundary(first.alternatives[0], fromEnd, sets);
  return undefined;
}

/**
 * Inside a repeated body, a part that can match one text two ways: two variable parts side by side
 * that can share the characters between them (`a*a*`, `\w+\s*\w+`), or a group with two
 * alternatives of single characters that match the same text (`(a|a)`, `(\w|\d)`).
 */
function splitsAmbiguously(sequence: readonly Node[], sets: CharSets): boolean {
  for (const [index, node] of sequence.entries()) {
    const inner = node.kind === 'repeat' ? node.node : node;
    if (inner.kind === 'group') {
      const { alternatives } = inner;
      if (alternatives.some((alternative) => splitsAmbiguously(alternative, sets))) return true;
      for (const [at, alternative] of alternatives.entries())
        if (alternatives.slice(at + 1).some((other) => sameText(alternative, other, sets))) return true;
    }
    if (!isVariable(node)) continue;
    for (const next of sequence.slice(index + 1)) {
      if (isVariable(next) && overlap(sets(node), sets(next))) return true;
      if (lengths(next).min > 0) break;
    }
  }
  return false;
}

/** Two sequences of single characters, as long as each other, that can match the same text. */
function sameText(a: readonly Node[], b: readonly Node[], sets: CharSets): boolean {
  const left = a.filter((node) => node.kind !== 'empty');
  const right = b.filter((node) => node.kind !== 'empty');
  if (left.length !== right.length) return false;
  return left.every((node, index) => {
    const other = right[index];
    return node.kind === 'char' && other?.kind === 'char' && overlap(sets(node), sets(other));
  });
}

/** Whether two alternatives of one repeated group can match the same text, or one a start of the other's. */
function alternativesOverlap(
  a: readonly Node[],
  b: readonly Node[],
  roundStart: ReadonlySet<string>,
  sets: CharSets,
): boolean {
  const left = a.filter((node) => node.kind !== 'empty');
  const right = b.filter((node) => node.kind !== 'empty');
  for (let index = 0; ; index += 1) {
    const x = left[index];
    const y = right[index];
    // One ended: ambiguous when the next round could go on with what the other still has.
    if (x === undefined && y === undefined) return true;
    if (x === undefined || y === undefined) {
      return overlap(firstCharacters((x === undefined ? right : left).slice(index), sets), roundStart);
    }
    if (x.kind !== 'char' || y.kind !== 'char') {
      return overlap(firstCharacters(left.slice(index), sets), firstCharacters(right.slice(index), sets));
    }
    if (!overlap(sets(x), sets(y))) return false;
  }
}

/** A repetition that can take exponential time: its body matches some text in more than one way. */
function explodes(repeat: Extract<Node, { kind: 'repeat' }>, sets: CharSets): boolean {
  if (repeat.max <= 1 || repeat.node.kind === 'char' || repeat.node.kind === 'empty') return false;
  const body = repeat.node.kind === 'group' ? repeat.node.alternatives : [[repeat.node]];
  const roundStart = new Set(body.flatMap((sequence) => [...firstCharacters(sequence, sets)]));
  for (const [index, sequence] of body.entries()) {
    for (const other of body.slice(index + 1))
      if (alternativesOverlap(sequence, other, roundStart, sets)) return true;
  }
  if (body.some((sequence) => splitsAmbiguously(sequence, sets))) return true;
  const variable = new Set(body.flatMap((sequence) => [...variableCharacters(sequence, sets)]));
  if (variable.size === 0) return false;
  const separated = (ends: (ReadonlySet<string> | undefined)[]): boolean =>
    ends.every((end) => end !== undefined && !overlap(end, variable));
  const starts = body.map((sequence) => boundary(sequence, false, sets));
  const endings = body.map((sequence) => boundary(sequence, true, sets));
  return !separated(starts) && !separated(endings);
}
