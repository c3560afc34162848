/**
 * The local engine's EventBridge Scheduler (infra/local/scheduler*.ts): the SDK's SchedulerClient against
 * the edge, schedules firing on the virtual clock through the engine's StartExecution, and schedules kept
 * in the data folder across a restart and a kill -9.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../infra/local/clock.ts';
import { EngineError } from '../infra/local/errors.ts';
import { checkCreate, type Schedule } from '../infra/local/scheduler-request.ts';
import { LocalScheduler } from '../infra/local/scheduler-store.ts';
import type { JsonValue } from '../shared/json.ts';
import { startEngineProcess } from './support/engine-process.ts';
import { engineForSuite, START, startTestEngine, withTempFolder } from './support/local-engine.ts';
import {
  executionsStartedWith,
  journeyArn,
  oneTimeSchedule,
  ROLE_ARN,
  schedulerClient,
  HOSTILE_BODIES,
  refusedCreates,
  settle,
} from './support/local-scheduler.ts';
import { rawRequest } from './support/signed-request.ts';

const HOUR_MS = 3_600_000;
const CART = journeyArn('cart-abandonment');

function later(ms: number): Date {
  return new Date(START.getTime() + ms);
}

/** The error a promise rejects with, for a look at its name, status and message. */
async function refusal(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`Rejected with a non-error: ${String(error)}`, { cause: error });
  }
  throw new Error('Expected a refusal, got an answer');
}

describe('the Scheduler API, through the SDK', () => {
  const engine = engineForSuite();
  const scheduler = (): ReturnType<typeof schedulerClient> => schedulerClient(engine.endpoint);

  it('creates, gets and deletes a one-time schedule', async () => {
    // Prepare
    const input = { resume: { customerId: 'c-1', park: 'P#1' } };
    // Act
    const created = await scheduler().send(
      new CreateScheduleCommand(oneTimeSchedule('round-trip', later(HOUR_MS), input)),
    );
    const got = await scheduler().send(
      new GetScheduleCommand({ Name: 'round-trip', GroupName: 'waymark-local' }),
    );
    await scheduler().send(new DeleteScheduleCommand({ Name: 'round-trip', GroupName: 'waymark-local' }));
    const gone = await refusal(
      scheduler().send(new GetScheduleCommand({ Name: 'round-trip', GroupName: 'waymark-local' })),
    );
    // Assess
    expect(created.ScheduleArn).toBe(
      'arn:aws:scheduler:us-east-1:000000000000:schedule/waymark-local/round-trip',
    );
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'round-trip',
      GroupName: 'waymark-local',
      ScheduleExpression: 'at(2026-11-18T13:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: CART, RoleArn: ROLE_ARN, Input: JSON.stringify(input) },
    });
    expect(got.CreationDate).toEqual(START);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses a second schedule of the same name in a group, and keeps groups apart', async () => {
    await scheduler().send(new CreateScheduleCommand(oneTimeSchedule('twice', later(HOUR_MS), { n: 1 })));
    const again = await refusal(
      scheduler().send(new CreateScheduleCommand(oneTimeSchedule('twice', later(HOUR_MS), { n: 2 }))),
    );
    expect(again).toBeInstanceOf(ConflictException);
    expect(again.$metadata?.httpStatusCode).toBe(409);
    expect(again.message).toBe('Schedule twice already exists.');
    // The same name in the default group is another schedule; deleting it leaves the first.
    await scheduler().send(
      new CreateScheduleCommand(oneTimeSchedule('twice', later(HOUR_MS), { n: 3 }, { GroupName: undefined })),
    );
    await scheduler().send(new DeleteScheduleCommand({ Name: 'twice' }));
    const kept = await scheduler().send(
      new GetScheduleCommand({ Name: 'twice', GroupName: 'waymark-local' }),
    );
    expect(kept.Target?.Input).toBe('{"n":1}');
    await scheduler().send(new DeleteScheduleCommand({ Name: 'twice', GroupName: 'waymark-local' }));
  });

  it("takes the functions' own calls: the runtime's ScheduleControl on the local group", async () => {
    // Prepare: what a park creates, and an exit deletes (shared/runtime/schedules.ts).
    const control = engine.host.runtime.schedules;
    if (control === undefined) throw new Error('The local runtime has no ScheduleControl');
    const schedule = {
      name: 'park-1',
      at: later(HOUR_MS + 400),
      target: { stateMachineArn: CART, roleArn: ROLE_ARN, input: { resume: {} } },
    };
    // Act, Assess
    expect(await control.create(schedule)).toBe('created');
    expect(await control.create(schedule)).toBe('exists');
    const made = await scheduler().send(
      new GetScheduleCommand({ Name: 'park-1', GroupName: 'waymark-local' }),
    );
    // at() takes whole seconds: rounded up, so a part never starts before its wake.
    expect(made.ScheduleExpression).toBe('at(2026-11-18T13:00:01)');
    expect(await control.delete('park-1')).toBe(true);
    expect(await control.delete('park-1')).toBe(false);
  });

  it('takes any name AWS takes, dots and all, however a URL would read it', async () => {
    for (const name of ['..', '.', 'a.b-c_D']) {
      await scheduler().send(new CreateScheduleCommand(oneTimeSchedule(name, later(HOUR_MS), { name })));
      const got = await scheduler().send(new GetScheduleCommand({ Name: name, GroupName: 'waymark-local' }));
      expect(got.Name).toBe(name);
      await scheduler().send(new DeleteScheduleCommand({ Name: name, GroupName: 'waymark-local' }));
    }
  });

  it('answers ResourceNotFoundException for an unknown schedule or group', async () => {
    const get = await refusal(
      scheduler().send(new GetScheduleCommand({ Name: 'nobody', GroupName: 'waymark-local' })),
    );
    const del = await refusal(
      scheduler().send(new DeleteScheduleCommand({ Name: 'nobody', GroupName: 'waymark-local' })),
    );
    const group = await refusal(
      scheduler().send(
        new CreateScheduleCommand(oneTimeSchedule('x', later(HOUR_MS), {}, { GroupName: 'elsewhere' })),
      ),
    );
    for (const error of [get, del, group]) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata?.httpStatusCode).toBe(404);
    }
    expect(get.message).toBe('Schedule nobody does not exist.');
    expect(group.message).toBe('Schedule group elsewhere does not exist.');
  });

  it.each(refusedCreates(later(HOUR_MS)))(
    'refuses %s with a ValidationException naming it',
    async (_case, request, expected) => {
      const error = await refusal(scheduler().send(new CreateScheduleCommand(request)));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.$metadata?.httpStatusCode).toBe(400);
      expect(error.message).toContain(expected);
    },
  );

  it.each(HOSTILE_BODIES)('answers %s with a 400, and goes on serving', async (_case, body) => {
    const answer = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/schedules/hostile',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/scheduler/aws4_request, SignedHeaders=host, Signature=x',
        'content-type': 'application/json',
      },
      body,
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(JSON.parse(answer.text)).toEqual({ Message: expect.any(String) });
    const health = await fetch(`${engine.endpoint}/_local/health`);
    expect(health.status).toBe(200);
  });
});

describe('firing on the virtual clock', () => {
  const engine = engineForSuite();
  const scheduler = (): ReturnType<typeof schedulerClient> => schedulerClient(engine.endpoint);

  it('starts its target with its Input when the clock reaches it, then is gone', async () => {
    // Prepare: due at 14:00 in Paris, 13:00 UTC in November.
    const input = { resume: { customerId: 'c-fire', park: 'P#fire', by: { kind: 'schedule' } } };
    await scheduler().send(
      new CreateScheduleCommand(
        oneTimeSchedule('fires', later(HOUR_MS), input, {
          ScheduleExpression: 'at(2026-11-18T14:00:00)',
          ScheduleExpressionTimezone: 'Europe/Paris',
        }),
      ),
    );
    // Act, Assess: not before its time.
    await engine.advance('59m');
    expect(await executionsStartedWith(engine.sfn, CART, input)).toEqual([]);
    await engine.advance('1d');
    const started = await executionsStartedWith(engine.sfn, CART, input);
    expect(started).toHaveLength(1);
    expect(started[0]?.startDate).toEqual(later(HOUR_MS));
    const gone = await refusal(
      scheduler().send(new GetScheduleCommand({ Name: 'fires', GroupName: 'waymark-local' })),
    );
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('fires schedules in time order when the clock moves by days, each once', async () => {
    const now = (await settle(engine.endpoint)).getTime();
    const inputs = [3, 1, 2].map((n) => ({ order: n }));
    for (const input of inputs) {
      await scheduler().send(
        new CreateScheduleCommand(
          oneTimeSchedule(`order-${input.order}`, new Date(now + input.order * HOUR_MS), input),
        ),
      );
    }
    await engine.advance('3d');
    const starts = await Promise.all(inputs.map((input) => executionsStartedWith(engine.sfn, CART, input)));
    expect(starts.map((found) => found.length)).toEqual([1, 1, 1]);
    expect(starts.map((found) => found[0]?.startDate?.getTime())).toEqual(
      [3, 1, 2].map((n) => now + n * HOUR_MS),
    );
  });

  it('keeps a schedule with ActionAfterCompletion NONE, fired once', async () => {
    const now = (await settle(engine.endpoint)).getTime();
    const input = { kept: true };
    await scheduler().send(
      new CreateScheduleCommand(
        oneTimeSchedule('kept', new Date(now + HOUR_MS), input, { ActionAfterCompletion: 'NONE' }),
      ),
    );
    await engine.advance('2h');
    await engine.advance('2d');
    expect(await executionsStartedWith(engine.sfn, CART, input)).toHaveLength(1);
    const kept = await scheduler().send(new GetScheduleCommand({ Name: 'kept', GroupName: 'waymark-local' }));
    expect(kept.ActionAfterCompletion).toBe('NONE');
  });

  it('fires a schedule whose time is past at once, and never a disabled one', async () => {
    const input = { late: true };
    const disabled = { disabled: true };
    await scheduler().send(new CreateScheduleCommand(oneTimeSchedule('late', START, input)));
    await scheduler().send(
      new CreateScheduleCommand(oneTimeSchedule('off', START, disabled, { State: 'DISABLED' })),
    );
    await settle(engine.endpoint);
    expect(await executionsStartedWith(engine.sfn, CART, input)).toHaveLength(1);
    await engine.advance('1d');
    expect(await executionsStartedWith(engine.sfn, CART, disabled)).toEqual([]);
  });
});

describe('schedules across restarts', () => {
  it('keeps an unfired schedule through a restart and fires it when due', async () => {
    await withTempFolder('waymark-scheduler-', async (dataDir) => {
      const input = { restart: 'kept' };
      const first = await startTestEngine({ dataDir, start: START });
      await schedulerClient(first.endpoint).send(
        new CreateScheduleCommand(oneTimeSchedule('kept', later(6 * HOUR_MS), input)),
      );
      await first.close();

      const second = await startTestEngine({ dataDir });
      try {
        const kept = await schedulerClient(second.endpoint).send(
          new GetScheduleCommand({ Name: 'kept', GroupName: 'waymark-local' }),
        );
        expect(kept.Target?.Input).toBe(JSON.stringify(input));
        await second.advance('5h');
        expect(await executionsStartedWith(second.sfn, CART, input)).toEqual([]);
        await second.advance('2h');
        expect(await executionsStartedWith(second.sfn, CART, input)).toHaveLength(1);
      } finally {
        await second.close();
      }
    });
  });

  it('fires a schedule that fell due while the engine was stopped right after the next start', async () => {
    await withTempFolder('waymark-scheduler-', async (dataDir) => {
      const input = { missed: true };
      const first = await startTestEngine({ dataDir, start: START });
      await schedulerClient(first.endpoint).send(
        new CreateScheduleCommand(oneTimeSchedule('missed', later(HOUR_MS), input)),
      );
      await first.close();

      const second = await startTestEngine({ dataDir, start: later(5 * HOUR_MS) });
      try {
        await settle(second.endpoint);
        const started = await executionsStartedWith(second.sfn, CART, input);
        expect(started).toHaveLength(1);
        expect(started[0]?.startDate).toEqual(later(5 * HOUR_MS));
      } finally {
        await second.close();
      }
    });
  });

  it('keeps a schedule acknowledged just before a kill -9', async () => {
    await withTempFolder('waymark-scheduler-kill-', async (dataDir) => {
      const child = await startEngineProcess(dataDir);
      const now = (await settle(child.endpoint)).getTime();
      const input = { killed: true };
      await schedulerClient(child.endpoint).send(
        new CreateScheduleCommand(oneTimeSchedule('survivor', new Date(now + 24 * HOUR_MS), input)),
      );
      await child.kill();

      const after = await startTestEngine({ dataDir });
      try {
        await after.advance('2d');
        expect(await executionsStartedWith(after.sfn, CART, input)).toHaveLength(1);
      } finally {
        await after.close();
      }
    });
  }, 60_000);
});

describe('the store, at least once', () => {
  const made = (name: string, input: JsonValue): Schedule => {
    const checked = checkCreate(name, oneTimeSchedule(name, later(HOUR_MS), input), {
      now: START,
      stateMachines: [CART],
    });
    if (!checked.ok) throw new Error(checked.message);
    return checked.schedule;
  };
  const storeOn = (
    dir: string,
    clock: VirtualClock,
    start: (arn: string, input: JsonValue) => { executionArn: string },
  ): LocalScheduler =>
    new LocalScheduler({
      dir,
      clock,
      groups: ['default', 'waymark-local'],
      stateMachines: () => [CART],
      start,
      log: () => undefined,
    });

  it('deletes a schedule only after its start was accepted: a crash in between fires it again', async () => {
    await withTempFolder('waymark-scheduler-store-', async (dir) => {
      // Prepare: the start copies the folder as a crash at that moment would leave it.
      const clock = new VirtualClock(START, { kind: 'manual' });
      const crashCopy = join(dir, 'crash');
      const store = storeOn(join(dir, 'live'), clock, () => {
        cpSync(join(dir, 'live'), crashCopy, { recursive: true });
        return { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:cart-abandonment:first' };
      });
      store.start();
      store.create(made('once', { n: 1 }));
      // Act
      await clock.advanceTo(later(2 * HOUR_MS));
      store.close();
      const restarted: JsonValue[] = [];
      const after = storeOn(
        crashCopy,
        new VirtualClock(later(2 * HOUR_MS), { kind: 'manual' }),
        (_arn, input) => {
          restarted.push(input);
          return { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:cart-abandonment:again' };
        },
      );
      after.start();
      await Promise.resolve();
      after.close();
      // Assess
      expect(readdirSync(join(dir, 'live', 'schedules'))).toEqual([]);
      expect(restarted).toEqual([{ n: 1 }]);
    });
  });

  it('retries a start that failed for a passing reason, and keeps one the engine refused as a dead letter', async () => {
    await withTempFolder('waymark-scheduler-store-', async (dir) => {
      const clock = new VirtualClock(START, { kind: 'manual' });
      let diskFull = true;
      const started: JsonValue[] = [];
      const store = storeOn(dir, clock, (_arn, input) => {
        if (JSON.stringify(input) === '{"gone":true}') {
          throw new EngineError('StateMachineDoesNotExist', 'State Machine Does Not Exist');
        }
        if (diskFull) throw new Error('ENOSPC: no space left on device');
        started.push(input);
        return { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:cart-abandonment:x' };
      });
      store.start();
      store.create(made('flaky', { flaky: true }));
      store.create(made('gone', { gone: true }));
      await clock.advanceTo(later(HOUR_MS));
      expect(started).toEqual([]);
      diskFull = false;
      await clock.advanceTo(later(3 * HOUR_MS));
      store.close();
      expect(started).toEqual([{ flaky: true }]);
      expect(store.deadLetters).toBe(1);
      const letters = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8').trim().split('\n');
      expect(letters.map((line) => JSON.parse(line).schedule.name)).toEqual(['gone']);
      expect(existsSync(join(dir, 'schedules'))).toBe(true);
      expect(readdirSync(join(dir, 'schedules'))).toEqual([]);
    });
  });
});
