import { describe, expect, it } from 'vitest';
import { maskIdentifier } from '../shared/text/mask.ts';

describe('identifiers in logs', () => {
  it('masks an id that is an email address, keeping its first character and its domain', () => {
    expect(maskIdentifier('ana.souza@example.com')).toBe('a***@example.com');
    expect(maskIdentifier('a@example.com')).toBe('a***@example.com');
    // The first character whole, even when it takes two UTF-16 units.
    expect(maskIdentifier('😀smile@example.com')).toBe('😀***@example.com');
    expect(maskIdentifier('Élodie@exemple.fr')).toBe('É***@exemple.fr');
  });

  it('masks an id that is a phone number, keeping the country code and the last four digits', () => {
    expect(maskIdentifier('+5511987654321')).toBe('+55*******4321');
    expect(maskIdentifier('+55 (11) 98765-4321')).toBe('+55*******4321');
    expect(maskIdentifier('+1 415.555.0100')).toBe('+14*****0100');
    expect(maskIdentifier('11987654321')).toBe('11*****4321');
  });

  it("shows at most six digits of a phone number and one character of an email's local part", () => {
    for (const phone of ['+5511987654321', '+44 20 7946 0958', '(415) 555-0100']) {
      expect(maskIdentifier(phone).replace(/\D/g, '').length).toBeLessThanOrEqual(6);
    }
    expect(maskIdentifier('joao.pereira+promo@mail.example.com').split('@')[0]).toBe('j***');
  });

  it('leaves other ids as they are', () => {
    for (const id of [
      'cust-42',
      'e2e-cart',
      'C-1001',
      '12345',
      'order#7',
      '',
      '@handle',
      'name@',
      '1234567890123456',
    ]) {
      expect(maskIdentifier(id)).toBe(id);
    }
  });
});
