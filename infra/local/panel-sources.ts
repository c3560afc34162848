/**
 * The panel's view of the local engine: the engine's table through the
 * store code, its executions as Step Functions would report them, the
 * outbox's copies of what was sent, the bus through the EventBridge API, and
 * the virtual clock.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { positionStatus, stepsFromStates } from '../../shared/report/positions.ts';
import type { ExecutionPosition } from '../../shared/report/types.ts';
import type { Project } from '../../shared/project/load.ts';
import { journeyFilesOf, type PanelSources, publisherTo, segmentFilesOf } from '../panel/sources.ts';
import type { ClockMode } from './clock.ts';
import { LOCAL_BUS, LOCAL_CREDENTIALS, LOCAL_REGION } from './constants.ts';
import type { ExecutionRecord } from './executions.ts';
import type { LocalHost } from './host.ts';

export function localPanelSources(host: LocalHost, project: Project): PanelSources {
  const running = new Set(host.journeys.map((compiled) => compiled.journeyId));
  const journeyFiles = journeyFilesOf(project, (journeyId) => running.has(journeyId));
  const eventbridge = new EventBridgeClient({
    region: LOCAL_REGION,
    endpoint: host.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    store: host.runtime.store,
    settings: host.runtime.project.settings,
    events: host.runtime.project.events,
    journeyFiles,
    segmentFiles: segmentFilesOf(project),
    executions: () =>
      Promise.resolve({ positions: host.engine.listExecutions().map(executionPosition), limited: [] }),
    customerExecutions: (overview) =>
      Promise.resolve(
        host.engine
          .listExecutions()
          .filter((record) => record.customerId === overview.customerId)
          .map(executionPosition),
      ),
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
    publish: publisherTo(eventbridge, LOCAL_BUS),
    now: host.clock.now,
    figuresMaxAgeMs: 0,
    figuresSettled: () => host.figuresSettled(),
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
  const entered = record.steps.filter((step) => step.event === 'entered').map((step) => step.state);
  const { visited, current } = stepsFromStates(entered);
  const currentState = entered[entered.length - 1];
  return {
    journeyId: record.journeyId,
    executionId: record.executionArn,
    customerId: record.customerId ?? '',
    status: positionStatus(record.status),
    visited,
    ...(record.status === 'RUNNING' && current !== undefined ? { current } : {}),
    // The state itself, so a step waiting for its send slot (`<step>.rateWait`) is told apart.
    ...(record.status === 'RUNNING' && currentState !== undefined ? { currentState } : {}),
    startedAt: record.startDate,
  };
}
