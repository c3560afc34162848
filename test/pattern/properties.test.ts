/** Fast-check properties of event patterns: validation and matching never throw, whatever JSON they get. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EventPattern,
  type JsonValue,
  matchesPattern,
  validatePattern,
} from '../../shared/events/pattern.ts';

describe('properties', () => {
  const text = fc.string({ maxLength: 8 });
  const wildcardText = fc
    .array(fc.constantFrom('a', 'b', '*', '\\*', '.'), { maxLength: 6 })
    .map((tokens) => tokens.join('').replace(/\*+/g, '*'));
  const bound = fc.integer({ min: -1000, max: 1000 });
  const matcher: fc.Arbitrary<JsonValue> = fc.oneof(
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    text.map((prefix) => ({ prefix })),
    text.map((suffix) => ({ suffix: { 'equals-ignore-case': suffix } })),
    text.map((value) => ({ 'equals-ignore-case': value })),
    wildcardText.map((wildcard) => ({ wildcard })),
    fc
      .oneof(text, fc.array(text, { minLength: 1, maxLength: 3 }))
      .map((value) => ({ 'anything-but': value })),
    text.map((prefix) => ({ 'anything-but': { prefix } })),
    fc
      .array(wildcardText, { minLength: 1, maxLength: 3 })
      .map((wildcard) => ({ 'anything-but': { wildcard } })),
    fc.tuple(bound, bound).map(([a, b]) => ({ numeric: ['>=', Math.min(a, b), '<=', Math.max(a, b)] })),
    fc.boolean().map((exists) => ({ exists })),
    fc.constantFrom('10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32').map((cidr) => ({ cidr })),
  );
  const fieldName = fc.constantFrom('a', 'b', 'detail', 'toString', '__proto__', 'x-y');
  const leaf = fc.array(matcher, { minLength: 1, maxLength: 3 });
  // Built level by level rather than with letrec so sizes stay small and shrinking stays fast.
  const level = (inner: fc.Arbitrary<Record<string, JsonValue>>): fc.Arbitrary<Record<string, JsonValue>> =>
    fc.oneof(
      fc.dictionary(fieldName, fc.oneof(leaf, inner), { minKeys: 1, maxKeys: 2 }),
      fc
        .tuple(
          fc.array(inner, { minLength: 2, maxLength: 3 }),
          fc.dictionary(fieldName, leaf, { maxKeys: 1 }),
        )
        .map(([alternatives, rest]): Record<string, JsonValue> => ({ ...rest, $or: alternatives })),
    );
  const pattern = level(level(fc.dictionary(fieldName, leaf, { minKeys: 1, maxKeys: 2 }))).filter(
    (generated) => JSON.stringify(generated).length <= 4096,
  );

  it('validatePattern never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(Array.isArray(validatePattern(value))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('generated patterns are valid and matchesPattern never throws on arbitrary JSON events', () => {
    fc.assert(
      fc.property(pattern, fc.jsonValue(), (generated, event) => {
        expect(validatePattern(generated)).toEqual([]);
        expect(typeof matchesPattern(generated, event)).toBe('boolean');
        expect(typeof matchesPattern(generated, { a: event, detail: event, b: [event, 'x'] })).toBe(
          'boolean',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('a pattern built from an event own values always matches that event', () => {
    const primitive = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 4 }).filter((key) => key !== '$or'),
          primitive,
          { minKeys: 1 },
        ),
        (event) => {
          const built: EventPattern = Object.fromEntries(
            Object.entries(event).map(([key, value]) => [key, [value]]),
          );
          expect(matchesPattern(built, event)).toBe(true);
        },
      ),
    );
  });
});
