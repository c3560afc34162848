/**
 * An awaited event arrived: resume each journey step waiting for it, once.
 * Events that match no registration, or arrive after the step timed out,
 * change nothing.
 */
import { z } from 'zod';
import type { AwaitedEvent } from '../contract/tasks.ts';
import { customerIdSchema } from '../customer/profile.ts';
import { eventEnvelopeSchema } from '../events/catalog.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/compile.ts';
import { registerWait, takeWait, waitsFor } from '../store/waits.ts';
import type { Runtime } from './runtime.ts';

export type ResumeOutcome =
  | { status: 'handled'; customerId: string; resumed: number; late: number; unmatched: number }
  | { status: 'rejected'; problems: string[] };

export async function resumeWaits(input: unknown, runtime: Runtime): Promise<ResumeOutcome> {
  const parsed = eventEnvelopeSchema.safeParse(input);
  if (!parsed.success)
    return { status: 'rejected', problems: parsed.error.issues.map((issue) => issue.message) };
  const event = parsed.data;
  const customerId = customerIdSchema.safeParse(event.detail.customerId);
  if (!customerId.success)
    return { status: 'rejected', problems: [`detail.customerId: ${z.prettifyError(customerId.error)}`] };
  const counts = { resumed: 0, late: 0, unmatched: 0 };
  const now = runtime.now().toISOString();
  const awaited: AwaitedEvent = { eventId: event.id, detailType: event['detail-type'], time: event.time };
  for (const registration of await waitsFor(runtime.store, customerId.data, event['detail-type'])) {
    if (event.time < registration.since || !matchesPattern(matcherPattern(registration.event), event)) {
      counts.unmatched += 1;
      continue;
    }
    if (registration.until < now) {
      // The step has timed out and moved on; the registration is only clutter now.
      await takeWait(runtime.store, registration);
      counts.late += 1;
      continue;
    }
    if (!(await takeWait(runtime.store, registration))) continue;
    try {
      if (await runtime.workflows.sendTaskSuccess(registration.taskToken, awaited)) counts.resumed += 1;
      else counts.late += 1;
    } catch (error) {
      // Put it back so the retried event can resume the step.
      await registerWait(runtime.store, registration);
      throw error;
    }
  }
  return { status: 'handled', customerId: customerId.data, ...counts };
}
