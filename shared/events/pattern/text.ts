/** Text helpers used by both validation and matching: wildcards, case folding, IP addresses and CIDR. */
import type { IpNetwork } from './types.ts';

// ---------------------------------------------------------------------------------------------------------------
// Text helpers used by both validation and matching

export type WildcardParse =
  { ok: true; parts: string[] } | { ok: false; reason: 'consecutive-stars' | 'bad-escape' };

/**
 * Splits a wildcard on unescaped stars. EventBridge rejects `**` and any backslash that does not escape `*` or `\`,
 * so those are reported rather than guessed at.
 */
export function parseWildcard(text: string): WildcardParse {
  const parts: string[] = [];
  let current = '';
  let previousWasStar = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === '\\') {
      const escaped = text[index + 1];
      if (escaped !== '*' && escaped !== '\\') return { ok: false, reason: 'bad-escape' };
      current += escaped;
      previousWasStar = false;
      index += 2;
      continue;
    }
    if (char === '*') {
      if (previousWasStar) return { ok: false, reason: 'consecutive-stars' };
      parts.push(current);
      current = '';
      previousWasStar = true;
    } else {
      current += char;
      previousWasStar = false;
    }
    index += 1;
  }
  parts.push(current);
  return { ok: true, parts };
}

/**
 * Glob matching with stars only. Taking the leftmost occurrence of each middle part is always safe, which keeps
 * this linear-ish instead of the exponential backtracking a naive regex could fall into.
 */
export function wildcardMatches(parts: readonly string[], value: string): boolean {
  const first = parts[0] ?? '';
  if (parts.length === 1) return value === first;
  const last = parts[parts.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  const end = value.length - last.length;
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

export function foldCase(text: string): string {
  return text.toLowerCase();
}

export function parseIpv4(text: string): number[] | undefined {
  const pieces = text.split('.');
  if (pieces.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const piece of pieces) {
    if (!/^\d{1,3}$/.test(piece)) return undefined;
    const byte = Number(piece);
    if (byte > 255) return undefined;
    bytes.push(byte);
  }
  return bytes;
}

export function parseIpv6Groups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const piece of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
    groups.push(Number.parseInt(piece, 16));
  }
  return groups;
}

export function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0] ?? '');
  if (head === undefined) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    groups = head;
  } else {
    const tail = parseIpv6Groups(halves[1] ?? '');
    if (tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array.from({ length: 8 - head.length - tail.length }, () => 0), ...tail];
  }
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/** IPv4 dotted quads or IPv6 hex groups; zone ids and dotted IPv6 tails are not accepted. */
export function parseIpAddress(text: string): number[] | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function parseCidr(text: string): IpNetwork | undefined {
  const pieces = text.split('/');
  if (pieces.length !== 2) return undefined;
  const [address = '', length = ''] = pieces;
  if (!/^\d{1,3}$/.test(length)) return undefined;
  const bytes = parseIpAddress(address);
  if (bytes === undefined) return undefined;
  const prefixLength = Number(length);
  if (prefixLength > bytes.length * 8) return undefined;
  return { bytes, prefixLength };
}

export function inNetwork(network: IpNetwork, address: readonly number[]): boolean {
  if (address.length !== network.bytes.length) return false;
  for (let bit = 0; bit < network.prefixLength; bit += 8) {
    const byteIndex = bit / 8;
    const bitsHere = Math.min(8, network.prefixLength - bit);
    const mask = (0xff << (8 - bitsHere)) & 0xff;
    if (((address[byteIndex] ?? 0) & mask) !== ((network.bytes[byteIndex] ?? 0) & mask)) return false;
  }
  return true;
}
