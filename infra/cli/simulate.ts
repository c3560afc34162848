/**
 * `waymark simulate <journey> --events <file>`: one journey, a list of events,
 * and a clock that jumps from wait to wait: a week-long journey plays in under
 * a second and prints each customer's timeline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { parseDuration } from '../../shared/time/duration.ts';
import { customerTimeline } from '../local/edge.ts';
import { type PlannedEvent, playPlan } from '../local/drive.ts';
import { errorMessage } from '../local/errors.ts';
import { startLocalHost } from '../local/host.ts';
import type { Output } from './output.ts';

export const SIMULATE_USAGE = `usage: waymark simulate <journey id or file> --events <events.json> [--journeys <dir>] [--clock-start <ISO>] [--verbose]
  events.json: an array of events, each {"detail-type", "source", "detail"} (an EventBridge envelope works)
  with "delay": "2h" after the previous one, or "at": "<ISO time>".`;

const plannedSchema = z.object({
  'detail-type': z.string().min(1).optional(),
  detailType: z.string().min(1).optional(),
  source: z.string().min(1).default('simulate'),
  detail: z.record(z.string(), z.unknown()),
  delay: z.string().optional(),
  at: z.string().optional(),
});

export async function simulateCommand(args: readonly string[], io: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        events: { type: 'string' },
        journeys: { type: 'string' },
        'clock-start': { type: 'string' },
        verbose: { type: 'boolean' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    io.err(`waymark simulate: ${errorMessage(error)}\n${SIMULATE_USAGE}\n`);
    return 2;
  }
  const [target] = parsed.positionals;
  const eventsFile = parsed.values.events;
  if (target === undefined || eventsFile === undefined) {
    io.err(`${SIMULATE_USAGE}\n`);
    return 2;
  }
  const isFile = target.endsWith('.json') && existsSync(target);
  const journeyId = isFile ? basename(target, '.json') : target;
  const journeysDir = resolve(parsed.values.journeys ?? (isFile ? dirname(target) : 'journeys'));
  const start = new Date(parsed.values['clock-start'] ?? '2026-01-05T12:00:00Z');
  if (Number.isNaN(start.getTime())) {
    io.err(`waymark simulate: --clock-start must be an ISO time such as 2026-01-05T12:00:00Z\n`);
    return 2;
  }
  const plan = readPlan(eventsFile, start);
  if (typeof plan === 'string') {
    io.err(`waymark simulate: ${plan}\n`);
    return 2;
  }
  const verbose = parsed.values.verbose === true;
  const host = await startLocalHost({
    journeysDir,
    port: 0,
    clock: { mode: { kind: 'manual' }, start },
    log: (line) => {
      if (verbose) io.out(`${line}\n`);
    },
    only: [journeyId],
  });
  try {
    if (!host.journeys.some((journey) => journey.journeyId === journeyId)) {
      io.err(`waymark simulate: no valid journey "${journeyId}" in ${journeysDir}\n`);
      return 1;
    }
    const began = performance.now();
    await playPlan(host, plan);
    const customers = [
      ...new Set(plan.map((event) => event.detail.customerId).filter((id) => typeof id === 'string')),
    ];
    for (const customerId of customers) {
      io.out(`\n${customerId}\n`);
      for (const entry of await customerTimeline(host, customerId)) io.out(`  ${timelineLine(entry)}\n`);
    }
    io.out(
      `\nSimulated until ${host.clock.now().toISOString()} in ${Math.round(performance.now() - began)} ms.\n`,
    );
    return 0;
  } finally {
    await host.close();
  }
}

function readPlan(file: string, start: Date): PlannedEvent[] | string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return `${file}: ${errorMessage(error)}`;
  }
  const items = z.array(plannedSchema).safeParse(Array.isArray(raw) ? raw : [raw]);
  if (!items.success) return `${file}: ${z.prettifyError(items.error)}`;
  const plan: PlannedEvent[] = [];
  let offset = 0;
  for (const [index, item] of items.data.entries()) {
    const detailType = item['detail-type'] ?? item.detailType;
    if (detailType === undefined) return `${file}: event ${index + 1} has no "detail-type"`;
    if (item.at !== undefined) {
      const at = Date.parse(item.at);
      if (Number.isNaN(at)) return `${file}: event ${index + 1}: "at" is not a time`;
      offset = Math.max(offset, (at - start.getTime()) / 1000);
    } else if (item.delay !== undefined) {
      const delay = parseDuration(item.delay);
      if (!delay.ok) return `${file}: event ${index + 1}: ${delay.message}`;
      offset += delay.seconds;
    }
    plan.push({ offsetSeconds: offset, source: item.source, detailType, detail: item.detail });
  }
  return plan;
}

function timelineLine(entry: Record<string, unknown>): string {
  const at = String(entry.time).slice(0, 16).replace('T', ' ');
  const text = (key: string): string => (typeof entry[key] === 'string' ? entry[key] : '');
  switch (entry.kind) {
    case 'event':
      return `${at}  event     ${text('detailType')}`;
    case 'message':
      return `${at}  sent      ${text('channel')} ${text('journeyId')}/${text('stepId')}: ${text('headline')}`;
    case 'skipped':
      return `${at}  not sent  ${text('journeyId')}/${text('stepId')}: ${text('status')}, ${text('reason')}`;
    case 'journey':
      return `${at}  journey   ${text('journeyId')} ${text('action')}${text('reason') === '' ? '' : `: ${text('reason')}`}`;
    case 'step':
      return `${at}  step      ${text('journeyId')}/${text('stepId')}`;
    case 'conversion':
      return `${at}  converted ${text('journeyId')} by ${text('detailType')}`;
    default:
      return `${at}  ${String(entry.kind)}`;
  }
}
