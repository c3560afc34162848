/** An audience trigger: its segment must exist, its time be ahead and its cron and zone valid. */
import { checkCron, shortestGapSeconds } from '../../audience/recurrence.ts';
import { namedRun } from '../../audience/schedule.ts';
import { schedulerCron } from '../../audience/scheduler-expression.ts';
import { didYouMean } from '../../text/suggest.ts';
import { type Journey, isAudienceTrigger } from '../schema.ts';
import { audienceTriggerKind } from '../trigger.ts';
import type { Report, ValidationContext } from './scope.ts';

const PAST_GRACE_MS = 86_400_000;
const MIN_GAP_SECONDS = 3_600;

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
    else {
      // What cron allows and EventBridge Scheduler does not (both days restricted) fails here, not at deploy.
      const scheduler = schedulerCron(trigger.cron);
      if (!scheduler.ok) report(['trigger', 'cron'], scheduler.message);
      // Each run reads the whole table, and one in customers' zones lasts a day: runs would pile up.
      else if (shortestGapSeconds(trigger.cron) < MIN_GAP_SECONDS) {
        report(
          ['trigger', 'cron'],
          `"${trigger.cron}" runs more often than once an hour; each run reads every profile.`,
          {
            severity: 'warning',
            hint: 'a broadcast is for hours and days apart; a journey triggered by an event reacts at once',
          },
        );
      }
    }
    if (journey.entry.reentry === 'never') {
      report(
        ['entry', 'reentry'],
        'A recurring broadcast with "reentry": "never" reaches each member once, at its first run only.',
        {
          severity: 'warning',
          hint: 'use "always", or {"after": "6d"} for a weekly one',
        },
      );
    }
  }
  const run = namedRun(trigger, context.settings.timeZone);
  // Past for every zone: nobody is due any more. A day's grace keeps a broadcast that has just run (or is
  // running) loadable, so a restart can finish it; only an active journey would send anything.
  if (run !== undefined && journey.status === 'active' && run.lastAt.getTime() <= context.now.getTime()) {
    const stale = context.now.getTime() - run.lastAt.getTime() > PAST_GRACE_MS;
    report(['trigger', 'at'], `This broadcast's time, ${trigger.at ?? ''} (${run.zone}), has passed.`, {
      severity: stale ? 'error' : 'warning',
      hint: stale
        ? 'set a time ahead, or set "status" to "paused" once a broadcast has been sent'
        : 'members not started yet are started now; set "status" to "paused" once it has been sent',
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
