/**
 * Where each journey's executions are, read through the Step Functions API: the same calls answer
 * on AWS and at the local engine's endpoint. ListStateMachines names the journeys, ListExecutions
 * lists each one's executions (newest first), and GetExecutionHistory tells the steps each one
 * entered and the one it is in.
 *
 * The work is bounded: at most `limit` executions per journey (the most recent), and `concurrency`
 * history reads at once, because Step Functions throttles GetExecutionHistory. A journey cut at the
 * limit is named in `limited`, so the figures can say they are partial. Express state machines keep
 * no execution history in Step Functions and are left out (`skipped`).
 */
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  type StateMachineListItem,
} from '@aws-sdk/client-sfn';
import { isRecord } from '../json.ts';
import { STATE } from '../journey/compile.ts';
import type { ExecutionPosition } from './types.ts';
import { journeyOfStateMachine } from '../aws/names.ts';
import { mapWithConcurrency } from '../concurrency.ts';

export interface PositionsOptions {
  /** The journeys to look for; a state machine that is none of them is not read. */
  journeyIds: readonly string[];
  /**
   * State machine names are `<prefix><journeyId>`: "" locally, `waymark-<stage>-` on AWS. Undefined:
   * the journey id alone or after any prefix ending in "-" (the longest journey id wins).
   */
  namePrefix?: string;
  /** Executions read per journey, newest first; default 500. */
  limit?: number;
  /** History reads at once; default 4. */
  concurrency?: number;
}

export interface PositionsRead {
  positions: ExecutionPosition[];
  /** Journeys with more executions than the limit. */
  limited: string[];
  /** State machines left out, with the reason. */
  skipped: { name: string; reason: string }[];
}

export const DEFAULT_EXECUTION_LIMIT = 500;
const DEFAULT_CONCURRENCY = 4;
/** ListExecutions' largest page. */
const MAX_PAGE = 1000;

export async function readExecutionPositions(
  sfn: SFNClient,
  options: PositionsOptions,
): Promise<PositionsRead> {
  const limit = options.limit ?? DEFAULT_EXECUTION_LIMIT;
  const skipped: PositionsRead['skipped'] = [];
  const machines: { arn: string; journeyId: string }[] = [];
  for (const machine of await listStateMachines(sfn)) {
    const name = machine.name ?? '';
    const journeyId = journeyOfStateMachine(name, options.journeyIds, options.namePrefix);
    if (journeyId === undefined || machine.stateMachineArn === undefined) continue;
    if (machine.type === 'EXPRESS') {
      skipped.push({
        name,
        reason: 'an Express workflow: Step Functions keeps no history of its executions',
      });
      continue;
    }
    const other = machines.find((known) => known.journeyId === journeyId);
    if (other !== undefined) {
      skipped.push({
        name,
        reason: `journey "${journeyId}" is already read from ${other.arn}; give a stage`,
      });
      continue;
    }
    machines.push({ arn: machine.stateMachineArn, journeyId });
  }
  const limited: string[] = [];
  const work: { execution: ExecutionListItem; journeyId: string }[] = [];
  for (const machine of machines) {
    const listed = await listExecutions(sfn, machine.arn, limit);
    if (listed.more) limited.push(machine.journeyId);
    work.push(...listed.executions.map((execution) => ({ execution, journeyId: machine.journeyId })));
  }
  const positions = await mapWithConcurrency(work, options.concurrency ?? DEFAULT_CONCURRENCY, (item) =>
    readPosition(sfn, item.journeyId, item.execution),
  );
  return {
    positions: positions.flatMap((position) => (position === undefined ? [] : [position])),
    limited,
    skipped,
  };
}

/**
 * Where some known executions are (a customer's open journeys, from their membership items):
 * DescribeExecution and the history of each, rather than every execution of every journey.
 * An execution Step Functions no longer knows, or cannot read now, is left out, and so are Express ones.
 */
export async function readPositionsOf(
  sfn: SFNClient,
  executions: readonly { journeyId: string; executionArn: string }[],
  concurrency = DEFAULT_CONCURRENCY,
): Promise<ExecutionPosition[]> {
  // Step Functions keeps no history of Express executions (their ARNs say ":express:").
  const standard = executions.filter((execution) => !execution.executionArn.includes(':express:'));
  const positions = await mapWithConcurrency(standard, concurrency, async ({ journeyId, executionArn }) => {
    try {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return await readPosition(sfn, journeyId, described);
    } catch {
      // Gone, or not readable now: one execution must not cost the customer's whole page.
      return undefined;
    }
  });
  return positions.flatMap((position) => (position === undefined ? [] : [position]));
}

async function listStateMachines(sfn: SFNClient): Promise<StateMachineListItem[]> {
  const machines: StateMachineListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    machines.push(...(page.stateMachines ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return machines;
}

async function listExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  limit: number,
): Promise<{ executions: ExecutionListItem[]; more: boolean }> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: Math.min(MAX_PAGE, Math.max(1, limit - executions.length)),
        nextToken,
      }),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined && executions.length < limit);
  // A service that ignores maxResults (the local engine) answers everything in one page.
  return {
    executions: executions.slice(0, limit),
    more: nextToken !== undefined || executions.length > limit,
  };
}

async function readPosition(
  sfn: SFNClient,
  journeyId: string,
  execution: Pick<ExecutionListItem, 'executionArn' | 'status' | 'startDate'>,
): Promise<ExecutionPosition | undefined> {
  const executionArn = execution.executionArn;
  if (executionArn === undefined) return undefined;
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  const status = positionStatus(execution.status);
  const states = statesEntered(events);
  const { visited, current } = stepsFromStates(states);
  // The last state entered is the one a running execution is in: a send's rate wait tells the
  // report the message is waiting for its slot.
  const currentState = states.at(-1);
  return {
    journeyId,
    executionId: executionArn,
    customerId: customerOf(events),
    status,
    visited,
    ...(status === 'running' && current !== undefined ? { current } : {}),
    ...(status === 'running' && currentState !== undefined ? { currentState } : {}),
    startedAt: (execution.startDate ?? new Date(0)).toISOString(),
  };
}

const COMPILER_STATES: ReadonlySet<string> = new Set(Object.values(STATE));

export function stepsOf(events: readonly HistoryEvent[]): { visited: string[]; current: string | undefined } {
  return stepsFromStates(statesEntered(events));
}

/** The states entered, in order, from an execution's history. */
function statesEntered(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const name = event.stateEnteredEventDetails?.name;
    return name !== undefined && event.type?.endsWith('StateEntered') === true ? [name] : [];
  });
}

/**
 * The journey steps entered, from the states entered in order: each step's first state has the step's
 * id; the compiler's own states contain a dot (`remind.outcome`, `Waymark.Enter`). A send entered
 * again straight from its quiet-hours wait is the same visit, not a new one. Any host that knows the
 * states an execution entered (Step Functions' history, the local engine) reads them here.
 */
export function stepsFromStates(states: readonly string[]): {
  visited: string[];
  current: string | undefined;
} {
  const visited: string[] = [];
  let current: string | undefined;
  let previousState: string | undefined;
  for (const name of states) {
    if (!name.includes('.')) {
      if (previousState !== `${name}.quietHours`) visited.push(name);
      current = name;
    } else {
      current = COMPILER_STATES.has(name) ? undefined : name.slice(0, name.indexOf('.'));
    }
    previousState = name;
  }
  return { visited, current };
}

/** The trigger event is the execution's input: its `detail.customerId`. */
function customerOf(events: readonly HistoryEvent[]): string {
  const input = events.find((event) => event.type === 'ExecutionStarted')?.executionStartedEventDetails
    ?.input;
  if (input === undefined) return '';
  try {
    const parsed: unknown = JSON.parse(input);
    const detail = isRecord(parsed) ? parsed.detail : undefined;
    const customerId = isRecord(detail) ? detail.customerId : undefined;
    return typeof customerId === 'string' ? customerId : '';
  } catch {
    // A history that cut a large input short: the customer is not known from here.
    return '';
  }
}

/** Step Functions' status as the report counts it; the local engine reports the same names. */
export function positionStatus(status: ExecutionStatus | undefined): ExecutionPosition['status'] {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'ABORTED':
      return 'stopped';
    // A failed execution waiting for a redrive has failed until someone redrives it.
    case 'PENDING_REDRIVE':
    case 'FAILED':
    case 'TIMED_OUT':
    case undefined:
      return 'failed';
    default: {
      const unknown: never = status;
      return unknown;
    }
  }
}
