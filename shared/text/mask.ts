/**
 * Identifiers as logs may show them. Many systems use an email address or a phone number as the customer id;
 * a log line must not carry one in full, yet a person following the log still needs to tell customers apart.
 * So an id that looks like an email keeps its first character and its domain (`a***@example.com`), one that
 * looks like a phone number keeps its country code and last four digits (`+55*******4321`), and any other id
 * is shown as it is.
 */

/** Anything with one `@` between a local part and a domain: a log need not decide whether it is deliverable. */
const EMAIL = /^([^\s@]+)@([^\s@]+)$/;
/** Digits with the separators people write (spaces, dots, dashes, parentheses), an optional leading `+`. */
const PHONE = /^\+?[\d\s().-]+$/;
/** E.164 numbers have at most 15 digits; below 7 a number is more likely a short code or an ordinary id. */
const PHONE_DIGITS = { min: 7, max: 15 } as const;
const PHONE_KEPT = { leading: 2, trailing: 4 } as const;

export function maskIdentifier(id: string): string {
  const email = EMAIL.exec(id);
  if (email !== null) {
    const [, local = '', domain = ''] = email;
    // By code point, so a local part that starts with an emoji or an accented letter is not cut in half.
    const [first = ''] = Array.from(local);
    return `${first}***@${domain}`;
  }
  if (PHONE.test(id)) {
    const digits = id.replace(/\D/g, '');
    if (digits.length >= PHONE_DIGITS.min && digits.length <= PHONE_DIGITS.max) {
      const hidden = digits.length - PHONE_KEPT.leading - PHONE_KEPT.trailing;
      const plus = id.trimStart().startsWith('+') ? '+' : '';
      return `${plus}${digits.slice(0, PHONE_KEPT.leading)}${'*'.repeat(hidden)}${digits.slice(-PHONE_KEPT.trailing)}`;
    }
  }
  return id;
}
