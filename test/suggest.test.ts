import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../shared/text/suggest.ts';

describe('did-you-mean hints', () => {
  it('measures edits', () => {
    expect(editDistance('prefx', 'prefix')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    expect(editDistance('remnd', 'remind')).toBe(1);
  });

  it('suggests the closest candidate, and nothing when all are far', () => {
    expect(closest('remnd', ['remind', 'retarget', 'done'])).toBe('remind');
    expect(closest('cart.abandonned', ['cart.abandoned', 'order.placed'])).toBe('cart.abandoned');
    expect(closest('zzz', ['remind', 'retarget'])).toBeUndefined();
    expect(didYouMean('nxt', ['next', 'type'])).toBe('did you mean "next"?');
  });
});

describe('more hints', () => {
  it('counts a swap of two letters as one edit', () => {
    expect(editDistance('emial', 'email')).toBe(1);
    expect(closest('feild', ['field', 'filter'])).toBe('field');
  });

  it('suggests a field the misspelt name contains', () => {
    expect(closest('cartTotal', ['cartId', 'total', 'currency'])).toBe('total');
  });
});
