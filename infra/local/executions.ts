/**
 * What the local engine knows about each execution, kept on disk so that
 * in-flight journeys survive a restart: where each one is parked (a wait, a
 * wait for an event) and with which state input, written as it parks.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { JsonValue } from '../../shared/json.ts';

const jsonSchema: z.ZodType<JsonValue> = z.json();

export const executionStatusSchema = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED']);
export type ExecutionStatus = z.infer<typeof executionStatusSchema>;

const stepEventSchema = z.object({
  time: z.string(),
  state: z.string(),
  type: z.string(),
  event: z.enum(['entered', 'exited', 'failed', 'retried', 'caught']),
});
export type StepEvent = z.infer<typeof stepEventSchema>;

export const executionRecordSchema = z.object({
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
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/** Steps kept per execution, as Step Functions caps history too; a journey never comes close. */
const MAX_STEP_EVENTS = 2_000;

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();

  /** `dir` undefined: in memory only (simulate, tests). */
  constructor(private readonly dir: string | undefined) {
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const parsed = executionRecordSchema.safeParse(safeJson(readFileSync(join(dir, file), 'utf8')));
      if (parsed.success) this.records.set(parsed.data.executionArn, parsed.data);
    }
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
    const file = join(this.dir, `${fileName(record.executionArn)}.json`);
    // Write then rename: a crash mid-write leaves the previous version, never half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(record));
    renameSync(`${file}.tmp`, file);
  }
}

function fileName(executionArn: string): string {
  return executionArn.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
