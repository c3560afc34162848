/** An audience trigger: its segment must exist, its time be ahead and its cron and zone valid. */
import { checkCron, namedRun } from '../../audience/schedule.ts';
import { didYouMean } from '../../text/suggest.ts';
import { type Journey, isAudienceTrigger } from '../schema.ts';
import { audienceTriggerKind } from '../trigger.ts';
import type { Report, ValidationContext } from './scope.ts';

export function checkAudienceTrigger(journey: Journey, context: ValidationContext, report: Report): void {
  const trigger = journey.trigger;
  if (!isAudienceTrigger(trigger)) return;
  if (!context.segments.has(trigger.segment)) {
    const known = [...context.segments.keys()].sort();
    report(['trigger', 'segment'], `There is no segment "${trigger.segment}".`, {
      expected: known.length === 0 ? 'a file in journeys/segments/' : `one of ${known.join(', ')}`,
      hint:
        didYouMean(trigger.segment, known) ??
        `write journeys/segments/${trigger.segment}.json (docs/audiences.md)`,
    });
  }
  if (trigger.cron !== undefined) {
    const cron = checkCron(trigger.cron);
    if (!cron.ok) report(['trigger', 'cron'], cron.message);
  }
  const run = namedRun(trigger, context.settings.timeZone);
  // Past for every zone: nobody would be due any more. Only an active journey would try to send it.
  if (run !== undefined && journey.status === 'active' && run.lastAt.getTime() <= context.now.getTime()) {
    report(['trigger', 'at'], `This broadcast's time, ${trigger.at ?? ''} (${run.zone}), has passed.`, {
      hint: 'set a time ahead, or set "status" to "paused" once a broadcast has been sent',
    });
  }
  if (audienceTriggerKind(trigger) !== 'enter' && journey.entry.dedupeBy !== undefined) {
    report(
      ['entry', 'dedupeBy'],
      'A broadcast enters each member once per run already; "dedupeBy" does not apply.',
      {
        severity: 'warning',
      },
    );
  }
}
