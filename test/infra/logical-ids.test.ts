/**
 * The logical ids deployed stages already have. CloudFormation replaces a resource whose logical id
 * changes: a retained key, table or secret would be orphaned with its data and a new, empty one
 * created; a queue or log group would lose what it holds. A refactor of the construct tree must keep
 * these (`overrideLogicalId`, see infra/cdk/deployed-logical-ids.ts); a new stateful resource is added
 * here on purpose.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devStage,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

/** Resources that hold data or messages, by type: every one the core stack has, by its logical id. */
const STATEFUL: Readonly<Record<string, readonly string[]>> = {
  'AWS::KMS::Key': ['Key961B73FD'],
  'AWS::KMS::Alias': ['KeyAlias910D852D'],
  'AWS::DynamoDB::Table': ['TableCD117FA1'],
  'AWS::SecretsManager::Secret': ['UnsubscribeSecret07D7FF90'],
  'AWS::Events::EventBus': ['EventBus7B8748AA'],
  'AWS::Events::Archive': ['Archive'],
  'AWS::SES::ConfigurationSet': ['ConfigurationSet3DD38186'],
  'AWS::SQS::Queue': [
    'RecordFunctionFailuresQueue081161C1',
    'ResumeFunctionFailuresQueue0E6DCBDF',
    'GoalsFunctionFailuresQueue8D0549C1',
    'PreferencesFunctionFailuresQueueED8185F3',
    'RecordDeadLetterQueue9137EA0E',
    'ErasureDeadLetterQueueE430E06E',
    'SesFeedbackDeadLetterQueue65AF818A',
    'RoutesReceiptsDeadLetterQueue56DCA675',
    'BroadcastsDeadLetterQueue03189122',
    'FunctionsFinishFunctionFailuresQueue85DB7F3F',
    'RoutesExecutionEndsDeadLetterQueue785E2C3F',
    'FiguresFailuresQueueF76A0ECF',
  ],
  'AWS::Logs::LogGroup': [
    'StepsFunctionLogGroup7BAE98C0',
    'DeliverFunctionLogGroup84B9739C',
    'RecordFunctionLogGroup072CA527',
    'ResumeFunctionLogGroup673A1139',
    'GoalsFunctionLogGroup8C6942EB',
    'PreferencesFunctionLogGroup867A32E4',
    'UnsubscribeFunctionLogGroupBF653AEE',
    'FunctionsAudienceFunctionLogGroupB6950F51',
    'BroadcastsExecutionLogsB858BFBA',
    'FunctionsFinishFunctionLogGroupBEAF8A9B',
    'FiguresFunctionLogGroup5700743A',
  ],
};

/**
 * Stateless, but a replacement breaks what is already out there: a replaced function URL breaks
 * every unsubscribe link already sent; a running Standard execution keeps calling the function ARN
 * it started with, gone once the function is replaced; a function has one invoke configuration and
 * one URL, a queue and a topic one policy, so a second one under a new id fails or, once the old one
 * is deleted, leaves none (a dead-letter queue EventBridge can no longer write to); the
 * producer policy and the dashboard have fixed names that a replacement would collide with; the
 * alarm subscription would need confirming again; a journey's nested stack would be replaced with
 * everything in it; the broadcast machine, its schedule group and schedules have fixed names too, and
 * a broadcast run goes on running on the machine it started on.
 */
const IN_USE: Readonly<Record<string, readonly string[]>> = {
  'AWS::Lambda::Function': [
    'StepsFunction506B30AD',
    'DeliverFunction062DB935',
    'RecordFunction5930A6B6',
    'ResumeFunction72167BBB',
    'GoalsFunction862B912F',
    'PreferencesFunction6561E041',
    'UnsubscribeFunctionBA2BA474',
    'FunctionsAudienceFunctionAA05A7DA',
    'FunctionsFinishFunction18DDE611',
    'FiguresFunctionFDBC7ED4',
  ],
  'AWS::Lambda::Url': ['UnsubscribeFunctionFunctionUrlBAA93A6E'],
  'AWS::Lambda::EventInvokeConfig': [
    'RecordFunctionEventInvokeConfig11A58A9D',
    'ResumeFunctionEventInvokeConfigAD22E856',
    'GoalsFunctionEventInvokeConfig02F108B2',
    'PreferencesFunctionEventInvokeConfig16A7F9AB',
    'FunctionsFinishFunctionEventInvokeConfig16B639A9',
  ],
  'AWS::SES::ConfigurationSetEventDestination': ['ConfigurationSetFeedback02137B2F'],
  'AWS::SQS::QueuePolicy': [
    'RecordFunctionFailuresQueuePolicy72A283CF',
    'ResumeFunctionFailuresQueuePolicy8065588C',
    'GoalsFunctionFailuresQueuePolicy3252649B',
    'PreferencesFunctionFailuresQueuePolicy32C7B3F4',
    'RecordDeadLetterQueuePolicy89692A5B',
    'ErasureDeadLetterQueuePolicyBC7336C2',
    'SesFeedbackDeadLetterQueuePolicy4C46FF91',
    'RoutesReceiptsDeadLetterQueuePolicyA9BF0AA9',
    'BroadcastsDeadLetterQueuePolicy9398824E',
    'FunctionsFinishFunctionFailuresQueuePolicy7D014AAD',
    'RoutesExecutionEndsDeadLetterQueuePolicy782EFE6F',
    'FiguresFailuresQueuePolicy33C474C5',
  ],
  'AWS::SNS::Topic': ['AlarmTopicD01E77F9'],
  'AWS::SNS::TopicPolicy': ['AlarmTopicPolicy309DB5F8'],
  'AWS::IAM::ManagedPolicy': ['ProducerPolicy1E6909B0'],
  'AWS::CloudWatch::Dashboard': ['MonitoringDashboard0C3675C6'],
  'AWS::CloudFormation::Stack': [
    'JourneycartabandonmentNestedStackJourneycartabandonmentNestedStackResource6018A4C8',
    'JourneychatfollowupNestedStackJourneychatfollowupNestedStackResource733F382C',
    'JourneygoldwelcomeNestedStackJourneygoldwelcomeNestedStackResource9751C9D5',
    'JourneysocialengagementNestedStackJourneysocialengagementNestedStackResourceE58930AE',
    'JourneysupportcallfollowupNestedStackJourneysupportcallfollowupNestedStackResourceC9ABC53D',
    'JourneyweeklynewsletterNestedStackJourneyweeklynewsletterNestedStackResource94B546A8',
  ],
  // Fixed names: a replacement would collide with the resource it replaces. A broadcast run keeps
  // running on its state machine, and the schedule group holds the schedules.
  'AWS::StepFunctions::StateMachine': ['BroadcastsStateMachine554F3B0D'],
  'AWS::Scheduler::ScheduleGroup': ['BroadcastsScheduleGroup823E957F'],
  'AWS::Scheduler::Schedule': ['BroadcastsScheduleweeklynewsletterFB881E08'],
};

/** The same in every journey's nested stack (the queue's policy for the reason above). */
const JOURNEY: Readonly<Record<string, readonly string[]>> = {
  'AWS::SQS::Queue': ['JourneyDeadLetterQueue75A2A042'],
  'AWS::SQS::QueuePolicy': ['JourneyDeadLetterQueuePolicyA6D02D83'],
  'AWS::Logs::LogGroup': ['JourneyExecutionLogs7C2A2D89'],
  'AWS::StepFunctions::StateMachine': ['JourneyStateMachine79E50E5D'],
};

function idsByType(template: Template, types: readonly string[]): Record<string, string[]> {
  const resources: Record<string, { Type: string }> = template.toJSON().Resources;
  return Object.fromEntries(
    types.map((type) => [
      type,
      Object.entries(resources)
        .filter(([, resource]) => resource.Type === type)
        .map(([id]) => id)
        .sort(),
    ]),
  );
}

function sorted(pins: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(pins).map(([type, ids]) => [type, [...ids].sort()]));
}

describe('logical ids of deployed resources', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('keeps every stateful resource of the core stack under the logical id it was deployed with', () => {
    expect(idsByType(Template.fromStack(synth.stack), Object.keys(STATEFUL))).toEqual(sorted(STATEFUL));
  });

  it('keeps the resources whose replacement would break links, executions or names under theirs', () => {
    expect(idsByType(Template.fromStack(synth.stack), Object.keys(IN_USE))).toEqual(sorted(IN_USE));
  });

  it("keeps each journey's queue, its policy, log group and state machine under theirs", () => {
    expect(synth.stack.journeys.length).toBeGreaterThan(0);
    for (const journeyStack of synth.stack.journeys) {
      expect(idsByType(Template.fromStack(journeyStack), Object.keys(JOURNEY))).toEqual(sorted(JOURNEY));
    }
  });

  it(
    'keeps the alarm email subscription under its own, so it needs no new confirmation',
    () => {
      const withEmail = synthWaymark({ context: devStage({ alarmEmail: 'ops@shop.example.com' }) });
      expect(idsByType(Template.fromStack(withEmail.stack), ['AWS::SNS::Subscription'])).toEqual({
        'AWS::SNS::Subscription': ['AlarmTopicopsshopexamplecom7B0F2F78'],
      });
    },
    SYNTH_TIMEOUT,
  );
});
