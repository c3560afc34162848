/**
 * Identifiers as logs may show them. Many systems use an email address or a phone number as the customer id;
 * a log line must not carry one in full, yet a person following the log still needs to tell customers apart.
 * So an id that looks like an email keeps its first character and its domain (`a***@example.com`), one that
 * looks like a phone number keeps its country code and last four digits (`+55*******4321`), and any other id
 * is shown as it is, with an email address or an international phone number inside it masked the same way.
 *
 * An id comes from whoever sent the event, so what is shown is also made safe for a console: control
 * characters are written as escapes (a newline in an id would otherwise start a forged log line, an escape
 * sequence would drive the terminal), and a long id is cut.
 */

/** Anything with one `@` between a local part and a domain: a log need not decide whether it is deliverable. */
const EMAIL = /^([^\s@]+)@([^\s@]+)$/;
/** Digits with the separators people write (spaces, dots, dashes, parentheses), an optional leading `+`. */
const PHONE = /^\+?[\d\s().-]+$/;
/** E.164 numbers have at most 15 digits; below 7 a number is more likely a short code or an ordinary id. */
const PHONE_DIGITS = { min: 7, max: 15 } as const;
const PHONE_KEPT = { leading: 2, trailing: 4 } as const;
/**
 * An email address inside a longer id (`user:bob@example.com`): the characters addresses use in their local
 * part, and a domain with a dot, so `order@7` or `a@b` inside an id stay as they are.
 */
const EMAIL_INSIDE = /([\p{L}\p{N}._%+-]+)@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/gu;
/** A phone number inside a longer id, written with its `+`; a bare run of digits is as likely an order number. */
const PHONE_INSIDE = /\+\d{7,15}(?!\d)/g;
/** Enough of an id to tell customers apart; a 10,000-character id must not fill the console. */
export const MAX_SHOWN_LENGTH = 64;

export function maskIdentifier(id: string): string {
  return shown(masked(id));
}

/** The id with the email address or phone number it is, or holds, masked. */
function masked(id: string): string {
  const email = EMAIL.exec(id);
  if (email !== null) {
    const [, local = '', domain = ''] = email;
    return `${firstCharacter(local)}***@${domain}`;
  }
  if (PHONE.test(id)) {
    const phone = maskedPhone(id);
    if (phone !== undefined) return phone;
  }
  return id
    .replace(EMAIL_INSIDE, (_match, local: string, domain: string) => `${firstCharacter(local)}***@${domain}`)
    .replace(PHONE_INSIDE, (phone) => maskedPhone(phone) ?? phone);
}

/** By code point, so a local part that starts with an emoji or an accented letter is not cut in half. */
function firstCharacter(text: string): string {
  const [first = ''] = Array.from(text);
  return first;
}

function maskedPhone(text: string): string | undefined {
  const digits = text.replace(/\D/g, '');
  if (digits.length < PHONE_DIGITS.min || digits.length > PHONE_DIGITS.max) return undefined;
  const hidden = digits.length - PHONE_KEPT.leading - PHONE_KEPT.trailing;
  const plus = text.trimStart().startsWith('+') ? '+' : '';
  return `${plus}${digits.slice(0, PHONE_KEPT.leading)}${'*'.repeat(hidden)}${digits.slice(-PHONE_KEPT.trailing)}`;
}

/**
 * The text with every control character written as an escape, cut with `…` past MAX_SHOWN_LENGTH characters
 * as shown (an escape counts for its length). Cut after masking, so a cut never leaves part of an address
 * unmasked.
 */
function shown(text: string): string {
  let result = '';
  let length = 0;
  for (const character of text) {
    const piece = visible(character);
    const pieceLength = piece === character ? 1 : piece.length;
    if (length + pieceLength > MAX_SHOWN_LENGTH) return `${result}…`;
    result += piece;
    length += pieceLength;
  }
  return result;
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A character as a console may show it: a control character as an escape, anything else as it is. */
function visible(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  if (!isControl(code)) return character;
  return NAMED_ESCAPES[character] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * C0 and C1 controls and DEL (a newline, a carriage return, a terminal's escape sequences), the line and
 * paragraph separators some viewers break lines at, and the bidirectional overrides and isolates, which make
 * a line read in an order other than the one it was written in.
 */
function isControl(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Free text a service or a receiver wrote (an error message, an answer's body, a webhook's body), fit to
 * store and show: control characters become spaces, an email address `<address>`, a `+` phone number
 * `<phone>`. Unlike an id, nothing of them is kept: the text is read for what went wrong, not for whom.
 */
export function withoutContactDetails(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/[^\s<>"',;:]+@[^\s<>"',;]+/g, '<address>')
    .replace(/\+\d{7,15}/g, '<phone>')
    .trim();
}
