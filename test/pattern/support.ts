/** What the pattern tests share: the EventBridge guide's EC2 sample event and a matcher that validates first. */
import { expect } from 'vitest';
import {
  type EventPattern,
  type JsonValue,
  matchesPattern,
  validatePattern,
} from '../../shared/events/pattern.ts';

/** The EC2 sample event from the EventBridge user guide / Event Ruler README. */
export const ec2Event = {
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

export function withDetail(detail: Record<string, JsonValue>): Record<string, JsonValue> {
  return { source: 'aws.ec2', detail };
}

/** Asserts the pattern is valid first, so a typo in a test pattern cannot silently turn into "no match". */
export function matches(pattern: EventPattern, event: unknown): boolean {
  expect(validatePattern(pattern)).toEqual([]);
  return matchesPattern(pattern, event);
}
