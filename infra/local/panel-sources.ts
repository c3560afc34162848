/**
 * The panel's view of the local engine: the engine's table through the
 * store code, its executions as Step Functions would report them, the
 * outbox's copies of what was sent, the bus through the EventBridge API, and
 * the virtual clock.
 */
import { basename } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { positionStatus, stepsFromStates } from '../../shared/metrics/positions.ts';
import type { ExecutionPosition } from '../../shared/metrics/types.ts';
import type { Project } from '../../shared/project/load.ts';
import type { PanelJourneyFile, PanelSources, SendOutcome } from '../panel/sources.ts';
import type { ClockMode } from './clock.ts';
import { LOCAL_BUS, LOCAL_CREDENTIALS, LOCAL_REGION } from './constants.ts';
import type { ExecutionRecord } from './executions.ts';
import type { LocalHost } from './host.ts';
import { errorMessage } from './errors.ts';

export function localPanelSources(host: LocalHost, project: Project): PanelSources {
  const running = new Set(host.journeys.map((compiled) => compiled.journeyId));
  const journeyFiles: PanelJourneyFile[] = project.files.map((file) => {
    const journey = project.journeys.find((loaded) => loaded.file === file)?.journey;
    return {
      file: basename(file),
      ...(journey === undefined ? {} : { journey }),
      running: journey !== undefined && running.has(journey.id),
      problems: project.problems.filter((problem) => problem.file === file),
    };
  });
  const eventbridge = new EventBridgeClient({
    region: LOCAL_REGION,
    endpoint: host.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    store: host.runtime.store,
    settings: host.runtime.project.settings,
    journeyFiles,
    executions: () => Promise.resolve(host.engine.listExecutions().map(executionPosition)),
    sentContent: (messageId) => {
      const message = host.outbox.find(messageId);
      return message === undefined
        ? undefined
        : {
            channel: message.channel,
            recipient: message.recipient,
            text: message.body,
            ...(message.subject === undefined ? {} : { subject: message.subject }),
            ...(message.html === undefined ? {} : { html: message.html }),
          };
    },
    publish: async (event): Promise<SendOutcome> => {
      try {
        const result = await eventbridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: LOCAL_BUS,
                Source: event.source,
                DetailType: event.detailType,
                Detail: JSON.stringify(event.detail),
              },
            ],
          }),
        );
        const entry = result.Entries?.[0];
        if (entry?.EventId !== undefined) return { sent: true, eventId: entry.EventId };
        return {
          sent: false,
          reason: `${entry?.ErrorCode ?? 'Refused'}: ${entry?.ErrorMessage ?? 'no reason given'}`,
        };
      } catch (error) {
        return { sent: false, reason: errorMessage(error) };
      }
    },
    now: host.clock.now,
    clock: {
      mode: describeClock(host.clock.mode),
      advanceBy: (seconds) => host.advanceTo(new Date(host.clock.now().getTime() + seconds * 1000)),
    },
  };
}

function describeClock(mode: ClockMode): string {
  switch (mode.kind) {
    case 'manual':
      return 'manual: moves only when asked';
    case 'scaled':
      return `${mode.scale}× real time`;
    default: {
      const unreachable: never = mode;
      return String(unreachable);
    }
  }
}

export function executionPosition(record: ExecutionRecord): ExecutionPosition {
  const { visited, current } = stepsFromStates(
    record.steps.filter((step) => step.event === 'entered').map((step) => step.state),
  );
  return {
    journeyId: record.journeyId,
    executionId: record.executionArn,
    customerId: record.customerId ?? '',
    status: positionStatus(record.status),
    visited,
    ...(record.status === 'RUNNING' && current !== undefined ? { current } : {}),
    startedAt: record.startDate,
  };
}
