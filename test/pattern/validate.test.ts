/**
 * validatePattern: every documented operator form is accepted, and each mistake is reported with its
 * path and a message a user can act on, before a pattern can silently match nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  type JsonValue,
  MAX_NESTING_DEPTH,
  matchesPattern,
  validatePattern,
} from '../../shared/events/pattern.ts';
import { matches } from './support.ts';

function onlyProblem(pattern: unknown): { path: (string | number)[]; message: string } {
  const problems = validatePattern(pattern);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  if (problem === undefined) throw new Error('expected a problem');
  return problem;
}

describe('validatePattern', () => {
  it('accepts every documented operator form', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      service: [
        { prefix: { 'equals-ignore-case': 'eventb' } },
        { suffix: { 'equals-ignore-case': 'tbridge' } },
      ],
      FileName: [{ suffix: '.png' }, { wildcard: 'dir/*.png' }],
      Name: ['Alice', { 'equals-ignore-case': 'alice' }, null, '', 7, true],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        a: [{ 'anything-but': 123 }],
        b: [{ 'anything-but': ['stopped', 'overloaded'] }],
        c: [{ 'anything-but': [100, 200, 300] }],
        d: [{ 'anything-but': { prefix: 'init' } }],
        e: [{ 'anything-but': { suffix: '.png' } }],
        f: [{ 'anything-but': { 'equals-ignore-case': ['x', 'y'] } }],
        g: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }],
        h: [{ numeric: ['>', 0, '<=', 5] }, { numeric: ['=', 3.018e2] }, { numeric: ['<', 10] }],
        i: [{ exists: true }],
        j: [{ exists: false }],
        k: [{ cidr: '10.0.0.0/24' }, { cidr: '2001:db8::/64' }],
        $or: [{ x: ['1'] }, { y: ['2'], $or: [{ z: [3] }, { w: [4] }] }],
      },
    };
    expect(validatePattern(pattern)).toEqual([]);
  });

  it('rejects a pattern that is not an object', () => {
    for (const input of [null, undefined, 'source', 42, ['source'], true]) {
      const problem = onlyProblem(input);
      expect(problem.path).toEqual([]);
      expect(problem.message).toMatch(/must be a JSON object/);
    }
  });

  it('rejects an empty pattern', () => {
    expect(onlyProblem({})).toEqual({ path: [], message: expect.stringMatching(/is empty/) });
  });

  it('rejects a leaf that is not a list, with the fix in the message', () => {
    const problem = onlyProblem({ detail: { state: 'running' } });
    expect(problem.path).toEqual(['detail', 'state']);
    expect(problem.message).toContain('"detail.state" must be a list');
    expect(problem.message).toContain('"state": ["running"]');
  });

  it('explains an operator that was not wrapped in a list', () => {
    const problem = onlyProblem({ detail: { state: { prefix: 'run' } } });
    expect(problem.path).toEqual(['detail', 'state', 'prefix']);
    expect(problem.message).toContain('"detail.state": [{"prefix": "run"}]');
  });

  it('explains an unwrapped anything-but but keeps a real nested field that happens to be called prefix', () => {
    const problem = onlyProblem({ state: { 'anything-but': { prefix: 'init' } } });
    expect(problem.path).toEqual(['state', 'anything-but']);
    expect(problem.message).toContain('"state": [{"anything-but": {"prefix":"init"}}]');
    expect(matches({ detail: { prefix: { code: ['x'] } } }, { detail: { prefix: { code: 'x' } } })).toBe(
      true,
    );
  });

  it('rejects empty lists and empty nested objects', () => {
    expect(onlyProblem({ detail: { state: [] } })).toEqual({
      path: ['detail', 'state'],
      message: expect.stringMatching(/empty list/),
    });
    expect(onlyProblem({ detail: {} }).path).toEqual(['detail']);
  });

  it('rejects lists inside value lists and non-JSON values', () => {
    expect(onlyProblem({ a: [['x']] }).path).toEqual(['a', 0]);
    expect(onlyProblem({ a: [undefined] }).path).toEqual(['a', 0]);
    expect(onlyProblem({ a: [Number.NaN] }).path).toEqual(['a', 0]);
  });

  it('suggests the closest operator for a typo', () => {
    const problem = onlyProblem({ detail: { state: [{ prefx: 'run' }] } });
    expect(problem.path).toEqual(['detail', 'state', 0, 'prefx']);
    expect(problem.message).toContain('did you mean "prefix"?');
    expect(onlyProblem({ a: [{ anything_but: 'x' }] }).message).toContain('did you mean "anything-but"?');
    expect(onlyProblem({ a: [{ Exist: true }] }).message).toContain('did you mean "exists"?');
    expect(onlyProblem({ a: [{ prefix: { 'equals-ignore-cas': 'x' } }] }).message).toContain(
      'did you mean "equals-ignore-case"?',
    );
  });

  it('lists the operators when nothing is close', () => {
    const problem = onlyProblem({ a: [{ contains: 'x' }] });
    expect(problem.message).not.toContain('did you mean');
    expect(problem.message).toContain('prefix, suffix, anything-but');
  });

  it('rejects more than one operator in one matcher object', () => {
    const problem = onlyProblem({ a: [{ prefix: 'a', suffix: 'b' }] });
    expect(problem.path).toEqual(['a', 0]);
    expect(problem.message).toContain('"prefix" and "suffix"');
  });

  it('rejects an empty matcher object', () => {
    expect(onlyProblem({ a: [{}] }).path).toEqual(['a', 0]);
  });

  it('rejects operator values of the wrong type', () => {
    expect(onlyProblem({ a: [{ prefix: 5 }] }).path).toEqual(['a', 0, 'prefix']);
    expect(onlyProblem({ a: [{ suffix: ['x'] }] }).path).toEqual(['a', 0, 'suffix']);
    expect(onlyProblem({ a: [{ 'equals-ignore-case': null }] }).path).toEqual(['a', 0, 'equals-ignore-case']);
    expect(onlyProblem({ a: [{ wildcard: 1 }] }).path).toEqual(['a', 0, 'wildcard']);
    expect(onlyProblem({ a: [{ exists: 'true' }] }).message).toContain('true or false');
    expect(onlyProblem({ a: [{ cidr: 10 }] }).path).toEqual(['a', 0, 'cidr']);
    expect(onlyProblem({ a: [{ prefix: { 'equals-ignore-case': 1 } }] }).path).toEqual([
      'a',
      0,
      'prefix',
      'equals-ignore-case',
    ]);
  });

  it('rejects malformed anything-but values', () => {
    expect(onlyProblem({ a: [{ 'anything-but': null }] }).path).toEqual(['a', 0, 'anything-but']);
    expect(onlyProblem({ a: [{ 'anything-but': true }] }).path).toEqual(['a', 0, 'anything-but']);
    expect(onlyProblem({ a: [{ 'anything-but': [] }] }).message).toContain('empty list');
    expect(onlyProblem({ a: [{ 'anything-but': ['x', 1] }] }).path).toEqual(['a', 0, 'anything-but', 1]);
    expect(onlyProblem({ a: [{ 'anything-but': { prefix: ['x', 'y'] } }] }).message).toContain(
      'single "prefix"',
    );
    expect(onlyProblem({ a: [{ 'anything-but': { numeric: ['>', 1] } }] }).message).toContain(
      'cannot be used inside "anything-but"',
    );
    expect(onlyProblem({ a: [{ 'anything-but': { prefx: 'x' } }] }).message).toContain(
      'did you mean "prefix"?',
    );
    expect(onlyProblem({ a: [{ 'anything-but': { prefix: 'x', suffix: 'y' } }] }).path).toEqual([
      'a',
      0,
      'anything-but',
    ]);
    expect(onlyProblem({ a: [{ 'anything-but': { wildcard: [] } }] }).path).toEqual([
      'a',
      0,
      'anything-but',
      'wildcard',
    ]);
    expect(onlyProblem({ a: [{ 'anything-but': { wildcard: ['ok*', 'bad**'] } }] }).path).toEqual([
      'a',
      0,
      'anything-but',
      'wildcard',
      1,
    ]);
  });

  it('rejects bad numeric ranges with the position of the mistake', () => {
    const path = ['detail', 'price', 0, 'numeric'];
    const pattern = (numeric: JsonValue): unknown => ({ detail: { price: [{ numeric }] } });
    expect(onlyProblem(pattern(['>'])).path).toEqual([...path, 1]);
    expect(onlyProblem(pattern(['>'])).message).toContain('must be followed by a number');
    expect(onlyProblem(pattern(['>', '5'])).message).toContain('remove any quotes');
    expect(onlyProblem(pattern(['>', 0, '>=', 1])).message).toContain('two lower bounds');
    expect(onlyProblem(pattern(['<', 0, '<=', 1])).message).toContain('two upper bounds');
    expect(onlyProblem(pattern(['=>', 1])).path).toEqual([...path, 0]);
    expect(onlyProblem(pattern(['=', 1, '<', 5])).message).toContain('"=" cannot be combined');
    expect(onlyProblem(pattern(['>', 10, '<', 5])).message).toContain('can never match');
    expect(onlyProblem(pattern(['>', 5, '<=', 5])).message).toContain('can never match');
    expect(onlyProblem(pattern(['>', 0, '<', 5, '<', 6])).path).toEqual(path);
    expect(onlyProblem(pattern([])).path).toEqual(path);
    expect(onlyProblem(pattern('>5')).path).toEqual(path);
    expect(onlyProblem(pattern(['>', 6e9])).message).toContain('outside the range');
    expect(validatePattern(pattern(['>=', 5, '<=', 5]))).toEqual([]);
  });

  it('rejects invalid CIDR ranges', () => {
    for (const cidr of ['10.0.0.0', '10.0.0.300/24', '10.0.0.0/33', '2001:db8::/129', 'abc/8', '']) {
      const problem = onlyProblem({ ip: [{ cidr }] });
      expect(problem.path).toEqual(['ip', 0, 'cidr']);
      expect(problem.message).toContain('not a valid IP range');
    }
  });

  it('rejects wildcards with consecutive stars or stray backslashes', () => {
    expect(onlyProblem({ f: [{ wildcard: 'a**b' }] }).message).toContain('two * in a row');
    expect(onlyProblem({ f: [{ wildcard: 'a\\b' }] }).message).toContain('backslash');
    expect(onlyProblem({ f: [{ wildcard: 'trailing\\' }] }).message).toContain('backslash');
    expect(validatePattern({ f: [{ wildcard: 'a\\**' }] })).toEqual([]);
  });

  it('rejects $or that is not a list of at least two objects', () => {
    expect(onlyProblem({ $or: [{ a: ['x'] }] })).toEqual({
      path: ['$or'],
      message: expect.stringContaining('at least two alternatives but has 1'),
    });
    expect(onlyProblem({ $or: [] }).path).toEqual(['$or']);
    expect(onlyProblem({ detail: { $or: { a: ['x'] } } }).path).toEqual(['detail', '$or']);
    expect(onlyProblem({ $or: [{ a: ['x'] }, 'b'] }).path).toEqual(['$or', 1]);
    expect(onlyProblem({ $or: [{ a: ['x'] }, {}] }).path).toEqual(['$or', 1]);
    expect(onlyProblem({ a: [{ $or: [{ b: ['x'] }, { c: ['y'] }] }] }).path).toEqual(['a', 0, '$or']);
  });

  it('reports problems inside $or alternatives with their full path', () => {
    const problem = onlyProblem({ detail: { $or: [{ a: ['x'] }, { b: [{ numeric: ['>'] }] }] } });
    expect(problem.path).toEqual(['detail', '$or', 1, 'b', 0, 'numeric', 1]);
    expect(problem.message).toContain('"detail.b"');
  });

  it('reports every problem, not just the first', () => {
    expect(validatePattern({ a: 'x', b: [], c: [{ prefx: 'y' }] })).toHaveLength(3);
  });

  it('rejects nesting that is too deep', () => {
    let pattern: JsonValue = { leaf: ['x'] };
    for (let level = 0; level < MAX_NESTING_DEPTH + 5; level++) pattern = { inner: pattern };
    const problem = onlyProblem(pattern);
    expect(problem.message).toContain(`more than ${MAX_NESTING_DEPTH} levels`);
    expect(problem.path).toHaveLength(MAX_NESTING_DEPTH);
  });

  it('does not throw on pathologically deep input', () => {
    let pattern: unknown = ['x'];
    for (let level = 0; level < 100_000; level++) pattern = { a: pattern };
    expect(validatePattern(pattern).length).toBeGreaterThan(0);
    let event: unknown = 'x';
    for (let level = 0; level < 100_000; level++) event = [event];
    expect(matchesPattern({ a: ['x'] }, { a: event })).toBe(true);
  });

  it('rejects patterns longer than EventBridge accepts', () => {
    const values = Array.from({ length: 500 }, (_, index) => `value-${index}`);
    const problem = onlyProblem({ source: values });
    expect(problem.message).toContain('at most 4096');
  });
});
