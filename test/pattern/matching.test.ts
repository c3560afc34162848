/**
 * How an event pattern matches (shared/events/pattern): exact values, null, arrays, $or and compiled
 * patterns, checked against the EventBridge guide's and Event Ruler's own examples.
 */
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  type EventPattern,
  matchesCompiled,
  matchesPattern,
} from '../../shared/events/pattern.ts';
import { ec2Event, matches, withDetail } from './support.ts';

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
