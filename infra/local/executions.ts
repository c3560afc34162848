/**
 * What the local engine knows about each execution, kept on disk so that
 * in-flight journeys survive a restart: where each one is parked (a wait, a
 * wait for an event) and with which state input, written as it parks.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { JsonValue } from '../../shared/json.ts';
import { isInterpreterDefinition, type LocalDefinition } from './definition.ts';
import { readJsonFile, writeJsonFile } from './json-file.ts';

const jsonSchema: z.ZodType<JsonValue> = z.json();

const executionStatusSchema = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED']);

const stepEventSchema = z.object({
  time: z.string(),
  state: z.string(),
  type: z.string(),
  event: z.enum(['entered', 'exited', 'failed', 'retried', 'caught']),
});
export type StepEvent = z.infer<typeof stepEventSchema>;

const executionRecordSchema = z.object({
  executionArn: z.string(),
  name: z.string(),
  stateMachineArn: z.string(),
  journeyId: z.string(),
  customerId: z.string().optional(),
  status: executionStatusSchema,
  input: jsonSchema,
  output: jsonSchema.optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  startDate: z.string(),
  stopDate: z.string().optional(),
  /** Where the execution is parked, to resume there after a restart. */
  checkpoint: z
    .object({ state: z.string(), input: jsonSchema, enteredAt: z.string(), due: z.string() })
    .optional(),
  steps: z.array(stepEventSchema),
  /** The definition it started on: a resumed execution goes on with it, as on AWS, even if the journey changed. */
  definitionHash: z.string().optional(),
  /**
   * Ended, and its status-change event not yet in the intake journal: put there at the next start if a
   * crash came in between. Absent once it is (and on records written before the engine sent the event).
   */
  endEventPending: z.literal(true).optional(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/** Steps kept per execution, as Step Functions caps history too; a journey never comes close. */
const MAX_STEP_EVENTS = 2_000;

const clockWaitSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('seconds'), seconds: z.number() }),
  z.object({ kind: z.literal('timestampPath'), path: z.string() }),
]);

const storedDefinitionSchema = z.object({
  definition: z.record(z.string(), z.unknown()),
  clockWaits: z.array(z.tuple([z.string(), clockWaitSchema])),
  tokenTimeouts: z.array(z.tuple([z.string(), z.number()])),
  // Absent in a definition saved before the engine paced retries.
  attemptTimeouts: z.array(z.tuple([z.string(), z.number()])).optional(),
});

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly definitions = new Map<string, LocalDefinition>();

  /** `dir` undefined: in memory only (simulate, tests). */
  constructor(private readonly dir: string | undefined) {
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    const present = new Set(files);
    for (const file of files) {
      const record = readJsonFile(join(dir, file), executionRecordSchema);
      if (record === undefined) continue;
      const current = fileName(record.executionArn);
      if (file !== current) {
        // Written by an engine that named files after a lossy form of the ARN: moved to today's name once.
        // If today's file is there too, it is the newer one.
        if (present.has(current)) {
          rmSync(join(dir, file), { force: true });
          continue;
        }
        renameSync(join(dir, file), join(dir, current));
        present.add(current);
      }
      this.records.set(record.executionArn, record);
    }
  }

  /** Keeps a definition executions started on, once per version. */
  saveDefinition(hash: string, local: LocalDefinition): void {
    if (this.definitions.has(hash)) return;
    this.definitions.set(hash, local);
    if (this.dir === undefined) return;
    const dir = join(this.dir, 'definitions');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${hash}.json`);
    if (existsSync(file)) return;
    writeJsonFile(file, {
      definition: local.definition,
      clockWaits: [...local.clockWaits],
      tokenTimeouts: [...local.tokenTimeouts],
      attemptTimeouts: [...local.attemptTimeouts],
    });
  }

  loadDefinition(hash: string): LocalDefinition | undefined {
    const known = this.definitions.get(hash);
    if (known !== undefined || this.dir === undefined) return known;
    const stored = readJsonFile(join(this.dir, 'definitions', `${hash}.json`), storedDefinitionSchema);
    if (stored === undefined || !isInterpreterDefinition(stored.definition)) return undefined;
    const local: LocalDefinition = {
      definition: stored.definition,
      clockWaits: new Map(stored.clockWaits),
      tokenTimeouts: new Map(stored.tokenTimeouts),
      attemptTimeouts: new Map(stored.attemptTimeouts ?? []),
    };
    this.definitions.set(hash, local);
    return local;
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.records.get(executionArn);
  }

  all(): ExecutionRecord[] {
    return [...this.records.values()];
  }

  /**
   * Written to disk first, then known: an execution whose record cannot be written (a full disk) is not
   * left behind in memory as RUNNING, never to run.
   */
  save(record: ExecutionRecord): void {
    if (record.steps.length > MAX_STEP_EVENTS) record.steps.splice(0, record.steps.length - MAX_STEP_EVENTS);
    if (this.dir !== undefined && existsSync(this.dir)) {
      writeJsonFile(join(this.dir, fileName(record.executionArn)), record);
    }
    this.records.set(record.executionArn, record);
  }
}

/** Characters kept as they are in the readable part of a file name; others become "_". */
const READABLE = /[^A-Za-z0-9_.=@+-]/g;
/** The readable part is cut here: an ARN with an 80-character name would make a long file name. */
const READABLE_LENGTH = 60;

/**
 * One file per execution, whatever its name: the readable part (journey and name) helps a person find a
 * file, and the hash of the whole ARN keeps "a=b" and "a_b" (or any two names the readable part folds
 * together) apart, at a length every file system takes.
 */
export function fileName(executionArn: string): string {
  const readable = (executionArn.split(':execution:')[1] ?? executionArn)
    .replace(READABLE, '_')
    .slice(0, READABLE_LENGTH);
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 32);
  return `${readable}.${hash}.json`;
}
