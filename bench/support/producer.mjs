// A producer system in a process of its own: it puts the events it is given on the local bus through
// the real SDK client, a few calls at once, 10 entries a call. The engine's thread then spends its
// time on the engine, as it would with producers elsewhere. Reads one JSON line on stdin:
// {endpoint, producers, entries: [{DetailType, Detail}]}; prints "ready" once loaded, "done" at the end.
import { createInterface } from 'node:readline';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  const { endpoint, producers, entries } = JSON.parse(line);
  const client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const calls = [];
  for (let index = 0; index < entries.length; index += 10) calls.push(entries.slice(index, index + 10));
  let next = 0;
  const producer = async () => {
    for (let call = calls[next++]; call !== undefined; call = calls[next++]) {
      await client.send(
        new PutEventsCommand({
          Entries: call.map((entry) => ({ ...entry, EventBusName: 'waymark', Source: 'bench' })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: producers }, producer));
  client.destroy();
  process.stdout.write('done\n');
  break;
}
