/**
 * The content filters of event patterns (shared/events/pattern/operators): prefix, suffix, equals-ignore-case,
 * anything-but, numeric, exists, wildcard and cidr, each against the EventBridge guide's own examples.
 */
import { describe, expect, it } from 'vitest';
import { parseCidr, parseWildcard, wildcardMatches } from '../../shared/events/pattern.ts';
import { ec2Event, matches, withDetail } from './support.ts';

describe('prefix and suffix', () => {
  it('prefix: matches the docs time example', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matches(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matches(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  it('prefix: only applies to strings', () => {
    expect(matches({ code: [{ prefix: '12' }] }, { code: 123 })).toBe(false);
  });

  it('prefix with equals-ignore-case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matches(pattern, withDetail({ service: 'EventBridge' }))).toBe(true);
    expect(matches(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matches(pattern, withDetail({ service: 'EventSource' }))).toBe(false);
  });

  it('suffix: matches the docs FileName example', () => {
    const pattern = { FileName: [{ suffix: '.png' }] };
    expect(matches(pattern, { FileName: 'image.png' })).toBe(true);
    expect(matches(pattern, { FileName: 'image.PNG' })).toBe(false);
    expect(matches(pattern, { FileName: 'image.jpg' })).toBe(false);
  });

  it('suffix with equals-ignore-case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matches(pattern, withDetail({ FileName: 'image.PNG' }))).toBe(true);
    expect(matches(pattern, withDetail({ FileName: 'image.gif' }))).toBe(false);
  });
});

describe('equals-ignore-case', () => {
  it('matches any casing of the value', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matches(pattern, { Name: 'Alice' })).toBe(true);
    expect(matches(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matches(pattern, { Name: 'Alicia' })).toBe(false);
  });
});

describe('anything-but', () => {
  it('single string (docs example)', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matches(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('single number (docs example)', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matches(pattern, withDetail({ 'x-limit': 124 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  it('list of strings (docs example)', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(pattern, withDetail({ state: 'overloaded' }))).toBe(false);
  });

  it('list of numbers (docs example)', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matches(pattern, withDetail({ 'x-limit': 150 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('prefix (docs example)', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matches(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('suffix (docs example)', () => {
    const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matches(pattern, { FileName: 'notes.txt' })).toBe(true);
    expect(matches(pattern, { FileName: 'photo.png' })).toBe(false);
  });

  it('equals-ignore-case, single and list (docs example)', () => {
    const single = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matches(single, { state: 'running' })).toBe(true);
    expect(matches(single, { state: 'INITIALIZING' })).toBe(false);
    const list = { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'overloaded'] } }] };
    expect(matches(list, { state: 'Running' })).toBe(true);
    expect(matches(list, { state: 'STOPPED' })).toBe(false);
  });

  it('wildcard, single and list (docs example)', () => {
    const single = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(single, { FilePath: '/usr/bin/node' })).toBe(true);
    expect(matches(single, { FilePath: '/usr/lib/node' })).toBe(false);
    const list = { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] };
    expect(matches(list, { FilePath: '/home/me/file' })).toBe(true);
    expect(matches(list, { FilePath: '/usr/bin/node' })).toBe(false);
  });

  it('does not match a missing field (only exists:false does)', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matches(pattern, withDetail({ other: 'x' }))).toBe(false);
    expect(matches(pattern, { source: 'aws.ec2' })).toBe(false);
    expect(matches({ state: [{ 'anything-but': 'x' }, { exists: false }] }, {})).toBe(true);
  });

  it('matches values of another type, including null', () => {
    const pattern = { state: [{ 'anything-but': 'initializing' }] };
    expect(matches(pattern, { state: null })).toBe(true);
    expect(matches(pattern, { state: 5 })).toBe(true);
    expect(matches({ state: [{ 'anything-but': { prefix: 'init' } }] }, { state: null })).toBe(true);
    expect(matches({ count: [{ 'anything-but': [1, 2] }] }, { count: '1' })).toBe(true);
  });

  it('matches an event array when any element is not excluded', () => {
    const pattern = { tags: [{ 'anything-but': 'spam' }] };
    expect(matches(pattern, { tags: ['spam', 'ham'] })).toBe(true);
    expect(matches(pattern, { tags: ['spam'] })).toBe(false);
  });
});

describe('numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches the docs example (all fields must hold)', () => {
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, 'c-count': 6 } })).toBe(false);
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, 'c-count': 0 } })).toBe(false);
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, 'x-limit': 301.9 } })).toBe(false);
  });

  it('honours inclusive and exclusive bounds', () => {
    const range = { price: [{ numeric: ['>=', 10, '<', 20] }] };
    expect(matches(range, { price: 10 })).toBe(true);
    expect(matches(range, { price: 19.99 })).toBe(true);
    expect(matches(range, { price: 20 })).toBe(false);
    expect(matches({ price: [{ numeric: ['<=', 20, '>', 10] }] }, { price: 20 })).toBe(true);
  });

  it('numeric equals (docs: Price is 100)', () => {
    expect(matches({ Price: [{ numeric: ['=', 100] }] }, { Price: 100.0 })).toBe(true);
    expect(matches({ Price: [{ numeric: ['=', 100] }] }, { Price: 101 })).toBe(false);
  });

  it('only compares JSON numbers, never numeric-looking strings', () => {
    expect(matches({ price: [{ numeric: ['>', 0] }] }, { price: '5' })).toBe(false);
    expect(matches({ price: [{ numeric: ['>', 0] }] }, { price: null })).toBe(false);
  });
});

describe('exists (docs examples)', () => {
  it('exists:true matches a present leaf and not a missing one', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const present = { 'detail-type': 'EC2 Instance State-change Notification', detail: { state: 'pending' } };
    const absent = {
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { 'c-count': { c1: 100 } },
    };
    expect(matches(pattern, present)).toBe(true);
    expect(matches(pattern, absent)).toBe(false);
  });

  it('exists:false matches a missing field, and a field that is not a leaf', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matches(pattern, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    expect(matches(pattern, { detail: { state: 'running', 'c-count': { c1: 100 } } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 5 } })).toBe(false);
  });

  it('exists:false matches when the enclosing object is missing altogether', () => {
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { source: 'x' })).toBe(true);
  });

  it('exists:false matches an empty array, exists:true does not', () => {
    expect(matches({ tags: [{ exists: false }] }, { tags: [] })).toBe(true);
    expect(matches({ tags: [{ exists: true }] }, { tags: [] })).toBe(false);
  });
});

describe('wildcard', () => {
  it('matches the docs folder example', () => {
    const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };
    expect(matches(pattern, { FileName: 'dir/cat.png' })).toBe(true);
    expect(matches(pattern, { FileName: 'dir/sub/cat.png' })).toBe(true);
    expect(matches(pattern, { FileName: 'other/cat.png' })).toBe(false);
  });

  it('matches the Event Ruler example and anchors both ends', () => {
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expect(matches(pattern, { source: 'SimpleQueueService' })).toBe(true);
    expect(matches(pattern, { source: 'SimpleService' })).toBe(true);
    expect(matches(pattern, { source: 'SimpleQueueServices' })).toBe(false);
  });

  it('lets a star match the empty string and supports several stars', () => {
    expect(wildcardMatches(['', 'Title', ''], 'Title')).toBe(true);
    expect(matches({ t: [{ wildcard: '*a*b*' }] }, { t: 'xxaxxbxx' })).toBe(true);
    expect(matches({ t: [{ wildcard: '*a*b*' }] }, { t: 'xxbxxaxx' })).toBe(false);
    expect(matches({ t: [{ wildcard: 'ab*ab' }] }, { t: 'ab' })).toBe(false);
    expect(matches({ t: [{ wildcard: 'ab*ab' }] }, { t: 'abab' })).toBe(true);
  });

  it('treats an escaped star as a literal star and a double backslash as a backslash', () => {
    const pattern = { note: [{ wildcard: 'a\\*b' }] };
    expect(matches(pattern, { note: 'a*b' })).toBe(true);
    expect(matches(pattern, { note: 'axyzb' })).toBe(false);
    expect(parseWildcard('a\\\\*')).toEqual({ ok: true, parts: ['a\\', ''] });
    expect(matches({ path: [{ wildcard: 'C:\\\\*' }] }, { path: 'C:\\Users' })).toBe(true);
  });

  it('only applies to strings', () => {
    expect(matches({ n: [{ wildcard: '1*' }] }, { n: 12 })).toBe(false);
  });
});

describe('cidr', () => {
  it('IPv4 (docs example)', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.1.0' }))).toBe(false);
    expect(matches(pattern, withDetail({ sourceIPAddress: 'not an ip' }))).toBe(false);
  });

  it('IPv4 with a prefix that is not byte aligned', () => {
    const pattern = { ip: [{ cidr: '192.168.0.0/20' }] };
    expect(matches(pattern, { ip: '192.168.15.7' })).toBe(true);
    expect(matches(pattern, { ip: '192.168.16.0' })).toBe(false);
  });

  it('IPv6, including compressed forms and mixed case', () => {
    const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
    expect(matches(pattern, { ip: '2001:db8:85a3::8a2e:370:7334' })).toBe(true);
    expect(matches(pattern, { ip: '2001:DB8:0:0:0:0:0:1' })).toBe(true);
    expect(matches(pattern, { ip: '2001:db9::1' })).toBe(false);
    expect(matches(pattern, { ip: '10.0.0.1' })).toBe(false);
  });

  it('/0 matches every address of the family', () => {
    expect(matches({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '8.8.8.8' })).toBe(true);
    expect(matches({ ip: [{ cidr: '::/0' }] }, { ip: '::1' })).toBe(true);
  });

  it('parses and rejects addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ bytes: [10, 0, 0, 0], prefixLength: 8 });
    for (const bad of [
      '10.0.0.0',
      '10.0.0/8',
      '256.0.0.0/8',
      '10.0.0.0/33',
      '1:2::3::4/64',
      'fe80::1%eth0/64',
    ]) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });
});
