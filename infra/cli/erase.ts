/**
 * `waymark erase <customerId> --table <name>`: the right to erasure from a
 * terminal, for requests that come in by email or support ticket rather
 * than as an event on the bus.
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createAwsClients } from '../../shared/aws/clients.ts';
import { customerIdSchema } from '../../shared/customer/profile.ts';
import { type ErasureOutcome, eraseCustomer } from '../../shared/runtime/preferences.ts';
import { createSfnWorkflowControl } from '../../shared/runtime/workflows.ts';
import { errorMessage } from '../local/errors.ts';
import type { Output } from './output.ts';

export const ERASE_USAGE =
  'usage: waymark erase <customerId> --table <name> [--endpoint <url>] [--region <region>]';

interface EraseRequest {
  customerId: string;
  table: string;
  endpoint?: string;
  region?: string;
}

/** Never rejects: exit code 0 when done, 1 when AWS refused, 2 for a wrong command line. */
export async function eraseCommand(args: readonly string[], io: Output): Promise<number> {
  let request: EraseRequest;
  try {
    request = parseRequest(args);
  } catch (error) {
    io.err(`waymark erase: ${errorMessage(error)}\n${ERASE_USAGE}\n`);
    return 2;
  }
  try {
    const clients = createAwsClients({
      ...(request.region === undefined ? {} : { region: request.region }),
      ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
    });
    const outcome = await eraseCustomer(
      {
        store: { db: clients.dynamodb, table: request.table },
        workflows: createSfnWorkflowControl(clients.sfn),
      },
      request.customerId,
    );
    io.out(describeErasure(outcome));
    return 0;
  } catch (error) {
    io.err(`waymark erase: ${errorMessage(error)}\n`);
    return 1;
  }
}

function parseRequest(args: readonly string[]): EraseRequest {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { table: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' } },
  });
  const [customerId, extra] = positionals;
  if (customerId === undefined || extra !== undefined) throw new Error('expected one customer id');
  const id = customerIdSchema.safeParse(customerId);
  if (!id.success) throw new Error(z.prettifyError(id.error));
  if (values.table === undefined || values.table === '') throw new Error('--table is required');
  return {
    customerId: id.data,
    table: values.table,
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
}

function describeErasure(outcome: ErasureOutcome): string {
  switch (outcome.status) {
    case 'nothing-to-erase':
      return `Nothing is stored for customer ${outcome.customerId}.\n`;
    case 'erased': {
      const { deleted, executions } = outcome;
      const lines = [
        `Erased customer ${outcome.customerId}:`,
        `  profile              ${deleted.profile}`,
        `  history entries      ${deleted.history}`,
        `  journey memberships  ${deleted.journeys}`,
        `  entry markers        ${deleted.entries}`,
        `  wait registrations   ${deleted.waits}`,
        ...(deleted.other > 0 ? [`  other items          ${deleted.other}`] : []),
        `  executions stopped   ${executions.stopped} (${executions.alreadyEnded} had already ended)`,
        'Suppressed addresses are kept, as hashes only.',
      ];
      return `${lines.join('\n')}\n`;
    }
    default: {
      const unreachable: never = outcome;
      throw new Error(`Unknown erasure outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
