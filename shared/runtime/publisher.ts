/** An EventPublisher over EventBridge's PutEvents: on AWS, or any endpoint that speaks it. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from './runtime.ts';

export function createEventBridgePublisher(eventbridge: EventBridgeClient, busName: string): EventPublisher {
  return {
    async publish(event) {
      const result = await eventbridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: busName,
              Source: event.source,
              DetailType: event.detailType,
              Time: new Date(event.time),
              Detail: JSON.stringify(event.detail),
            },
          ],
        }),
      );
      const failed = result.Entries?.find((entry) => entry.ErrorCode !== undefined);
      // Thrown, so the record function fails and EventBridge delivers the cause again.
      if ((result.FailedEntryCount ?? 0) > 0)
        throw new Error(
          `PutEvents refused the entry: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`,
        );
    },
  };
}
