/**
 * What the local engine knows about each execution, kept on disk so that
 * in-flight journeys survive a restart: where each one is parked (a wait, a
 * wait for an event) and with which state input, written as it parks.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
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
});

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly definitions = new Map<string, LocalDefinition>();

  /** `dir` undefined: in memory only (simulate, tests). */
  constructor(private readonly dir: string | undefined) {
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const record = readJsonFile(join(dir, file), executionRecordSchema);
      if (record !== undefined) this.records.set(record.executionArn, record);
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

  save(record: ExecutionRecord): void {
    if (record.steps.length > MAX_STEP_EVENTS) record.steps.splice(0, record.steps.length - MAX_STEP_EVENTS);
    this.records.set(record.executionArn, record);
    if (this.dir === undefined || !existsSync(this.dir)) return;
    writeJsonFile(join(this.dir, `${fileName(record.executionArn)}.json`), record);
  }
}

function fileName(executionArn: string): string {
  return executionArn.replace(/[^A-Za-z0-9_.-]/g, '_');
}
