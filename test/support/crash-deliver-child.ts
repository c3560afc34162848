/**
 * A deliver function that dies the way a Lambda container can: killed (SIGKILL)
 * right after the cap ledger reservation is stored and before the message is
 * sent. Run as a child process by test/trust-delivery.test.ts:
 *   node --import tsx crash-deliver-child.ts '<json: endpoints, table, task>'
 */
import { createAwsClients } from '../../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import { deliverTaskSchema, parseTask } from '../../shared/contract/parse.ts';
import { isRecord } from '../../shared/json.ts';
import { deliver } from '../../shared/runtime/deliver.ts';
import { project, settings } from './project.ts';

const input: unknown = JSON.parse(process.argv[2] ?? '{}');
if (!isRecord(input) || typeof input.dynamoEndpoint !== 'string' || typeof input.sesEndpoint !== 'string') {
  throw new Error('Usage: crash-deliver-child.ts {"dynamoEndpoint","sesEndpoint","table","task"}');
}
const clients = createAwsClients({
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  endpoints: { dynamodb: input.dynamoEndpoint, sesv2: input.sesEndpoint },
});
// The crash: once DynamoDB has answered the write that reserves the send, the process ends at once.
clients.dynamodb.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const request: unknown = args.input;
    if (isRecord(request) && String(request.UpdateExpression).includes('ledger')) {
      process.kill(process.pid, 'SIGKILL');
    }
    return result;
  },
  { step: 'initialize', name: 'crashAfterReservation' },
);
await deliver(parseTask(deliverTaskSchema, input.task), {
  store: { db: clients.dynamodb, table: String(input.table) },
  channels: createAwsChannelGateway(clients),
  workflows: {
    sendTaskSuccess: () => Promise.resolve(true),
    stopExecution: () => Promise.resolve(true),
    isRunning: () => Promise.resolve(true),
    describeExecution: () => Promise.resolve(undefined),
    startExecution: () => Promise.resolve('started'),
  },
  project: {
    settings,
    events: project.events,
    templates: project.templates,
    journeys: project.journeys.map((loaded) => loaded.journey),
    segments: project.segments,
  },
  unsubscribeSecret: 'test-secret-not-for-production',
  now: () => new Date('2026-11-18T15:00:00Z'),
});
// Reaching here means the crash never happened: the parent test fails on the exit code.
process.exit(3);
