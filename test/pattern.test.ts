import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  type EventPattern,
  type JsonValue,
  MAX_NESTING_DEPTH,
  matchesCompiled,
  matchesPattern,
  parseCidr,
  parseWildcard,
  validatePattern,
  wildcardMatches,
} from '../shared/events/pattern.ts';

/** The EC2 sample event from the EventBridge user guide / Event Ruler README. */
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

function withDetail(detail: Record<string, JsonValue>): Record<string, JsonValue> {
  return { source: 'aws.ec2', detail };
}

/** Asserts the pattern is valid first, so a typo in a test pattern cannot silently turn into "no match". */
function matches(pattern: EventPattern, event: unknown): boolean {
  expect(validatePattern(pattern)).toEqual([]);
  return matchesPattern(pattern, event);
}

function onlyProblem(pattern: unknown): { path: (string | number)[]; message: string } {
  const problems = validatePattern(pattern);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  if (problem === undefined) throw new Error('expected a problem');
  return problem;
}

describe('basic matching (docs: Creating event patterns)', () => {
  it('matches the EC2 termination example and ignores fields not in the pattern', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    const terminated = { ...ec2Event, detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' } };
    expect(matches(pattern, terminated)).toBe(true);
    expect(matches(pattern, ec2Event)).toBe(false);
  });

  it('treats the values of a list as alternatives', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matches(pattern, { source: 'aws.fargate' })).toBe(true);
    expect(matches(pattern, { source: 'aws.s3' })).toBe(false);
  });

  it('requires every field named in the pattern (AND across fields)', () => {
    const pattern = { Location: ['New York'], Day: ['Monday'] };
    expect(matches(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
    expect(matches(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
    expect(matches(pattern, { Location: 'New York' })).toBe(false);
  });

  it('matches the Macie risk-score example on numbers, nested objects included', () => {
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    };
    const event = {
      source: 'aws.macie',
      'detail-type': 'Macie Alert',
      detail: {
        'risk-score': 80,
        tags: ['Custom_Alert', 'Insider'],
        trigger: { risk: 8, 'alert-type': 'basic' },
      },
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { ...event, detail: { ...event.detail, trigger: { risk: 7 } } })).toBe(false);
  });

  it('compares exact numbers numerically and never against strings', () => {
    expect(matches({ price: [5] }, { price: 5.0 })).toBe(true);
    expect(matches({ price: [300] }, { price: 3.0e2 })).toBe(true);
    expect(matches({ price: [5] }, { price: '5' })).toBe(false);
    expect(matches({ price: ['5'] }, { price: 5 })).toBe(false);
  });

  it('matches booleans exactly', () => {
    expect(matches({ vip: [true] }, { vip: true })).toBe(true);
    expect(matches({ vip: [true] }, { vip: 'true' })).toBe(false);
  });

  it('does not match a field the event lacks, even an inherited name like toString', () => {
    expect(matches({ detail: { state: ['running'] } }, { source: 'x' })).toBe(false);
    expect(matches({ toString: [{ exists: true }] }, {})).toBe(false);
  });

  it('does not match a leaf pattern against an object value, nor a nested pattern against a string', () => {
    expect(matches({ detail: ['x'] }, { detail: { a: 'x' } })).toBe(false);
    expect(matches({ detail: { state: ['x'] } }, { detail: 'x' })).toBe(false);
  });

  it('returns false for events that are not objects', () => {
    const pattern = { source: ['a'] };
    for (const event of [null, undefined, 'a', 1, ['a'], true]) {
      expect(matchesPattern(pattern, event)).toBe(false);
    }
  });

  it('returns false instead of throwing for an invalid pattern', () => {
    expect(matchesPattern({ source: 'aws.ec2' }, { source: 'aws.ec2' })).toBe(false);
  });
});

describe('null values and empty strings (docs: Matching null values)', () => {
  const event = {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance Launch Successful',
    resources: [],
    detail: { eventVersion: '', responseElements: null },
  };

  it('matches an empty string and a null value', () => {
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
  });

  it('does not treat null and empty string as interchangeable', () => {
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('does not match null against a missing field', () => {
    expect(matches({ detail: { other: [null] } }, event)).toBe(false);
  });

  it('counts a null value as present for exists', () => {
    expect(matches({ detail: { responseElements: [{ exists: true }] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [{ exists: false }] } }, event)).toBe(false);
  });
});

describe('arrays in events (docs: Arrays in event patterns)', () => {
  it('matches when the pattern list and the event array intersect', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: ['arn:other'] })).toBe(false);
    expect(matches(pattern, { resources: [] })).toBe(false);
  });

  it('applies operators to each element of an event array', () => {
    expect(matches({ tags: [{ prefix: 'vip-' }] }, { tags: ['new', 'vip-gold'] })).toBe(true);
    expect(matches({ scores: [{ numeric: ['>', 90] }] }, { scores: [10, [20, [95]]] })).toBe(true);
  });

  it('descends into arrays of objects but never combines fields from different elements', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matches({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });
});

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

describe('$or (docs and Event Ruler examples)', () => {
  it('matches when any alternative matches (Location or Day)', () => {
    const pattern: EventPattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(matches(pattern, { Location: 'Paris', Day: 'Monday' })).toBe(true);
    expect(matches(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
    expect(matches(pattern, { Location: 'Paris', Day: 'Sunday' })).toBe(false);
  });

  it('combines with sibling fields by AND', () => {
    const pattern: EventPattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.ec2', namespace: 'AWS/ES' })).toBe(false);
  });

  it('works inside nested objects and in parallel at several levels', () => {
    const pattern: EventPattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(
      matches(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } }),
    ).toBe(true);
    expect(matches(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.s3' } })).toBe(false);
  });

  it('supports nested $or with an AND inside', () => {
    const pattern: EventPattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' };
    expect(matches(pattern, { ...base, spaceId: 1000 })).toBe(true);
    expect(matches(pattern, { ...base, spaceId: 999 })).toBe(false);
    expect(matches(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('works with content filters inside the alternatives (docs numeric $or example)', () => {
    const pattern: EventPattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matches(pattern, withDetail({ 'd-count': 3 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'c-count': 50, 'd-count': 50 }))).toBe(false);
  });
});

describe('compiled patterns', () => {
  it('can be compiled once and matched many times', () => {
    const result = compilePattern({ source: [{ prefix: 'aws.' }] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(matchesCompiled(result.pattern, { source: 'aws.ec2' })).toBe(true);
    expect(matchesCompiled(result.pattern, { source: 'my.app' })).toBe(false);
  });
});

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
