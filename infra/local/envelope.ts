/**
 * The one place a local event envelope is made, whoever puts the event: the EventBridge API, a journey's
 * PutEvents task, or a planned event of `simulate` and the demo. Every envelope carries the local account
 * and region, as EventBridge fills them in on AWS.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './constants.ts';

export interface EnvelopeFields {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  /** As the caller writes it: the EventBridge API to the second, the engine's own events to the millisecond. */
  time: string;
  /** A new UUID unless the caller assigns the id. */
  id?: string;
  resources?: readonly string[];
}

export function localEnvelope(fields: EnvelopeFields): EventEnvelope {
  return {
    version: '0',
    id: fields.id ?? randomUUID(),
    'detail-type': fields.detailType,
    source: fields.source,
    account: LOCAL_ACCOUNT,
    time: fields.time,
    region: LOCAL_REGION,
    resources: [...(fields.resources ?? [])],
    detail: fields.detail,
  };
}
