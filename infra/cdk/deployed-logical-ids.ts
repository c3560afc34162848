/**
 * Logical ids that deployed stages already have, kept when the construct tree
 * moves a resource. CloudFormation knows a resource by its logical id only: a
 * new id creates a new resource and deletes the old one. For the retained key,
 * table and secret that means a new, empty table and the old data orphaned;
 * for a queue or log group, its messages or logs lost. Some stateless ones
 * must not move either: a replaced function breaks the Standard executions
 * already running (their definition names the old function's ARN) and the
 * unsubscribe links already sent (a new function URL); a function has one URL
 * and one invoke configuration, and a queue one policy, so a second under a
 * new id fails or, once the old one is deleted, leaves none (a dead-letter
 * queue EventBridge may no longer write to); the producer policy's fixed name
 * would collide with its own replacement.
 *
 * Until the core stack was split into constructs (issue 12) all of these were
 * the stack's own children, and a function's log group and failure queue its
 * siblings. test/infra/logical-ids.test.ts checks the result.
 */
import { CfnResource, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Construct path below the stack -> the logical id its resource was deployed with. */
const DEPLOYED_LOGICAL_IDS: Readonly<Record<string, string>> = {
  'CustomerData/Key': 'Key961B73FD',
  'CustomerData/Key/Alias': 'KeyAlias910D852D',
  'CustomerData/Table': 'TableCD117FA1',
  'CustomerData/UnsubscribeSecret': 'UnsubscribeSecret07D7FF90',
  'EventBus/Archive': 'Archive',
  'EventBus/ProducerPolicy': 'ProducerPolicy1E6909B0',
  'Functions/StepsFunction/Default': 'StepsFunction506B30AD',
  'Functions/StepsFunction/LogGroup': 'StepsFunctionLogGroup7BAE98C0',
  'Functions/DeliverFunction/Default': 'DeliverFunction062DB935',
  'Functions/DeliverFunction/LogGroup': 'DeliverFunctionLogGroup84B9739C',
  'Functions/RecordFunction/Default': 'RecordFunction5930A6B6',
  'Functions/RecordFunction/Default/EventInvokeConfig': 'RecordFunctionEventInvokeConfig11A58A9D',
  'Functions/RecordFunction/LogGroup': 'RecordFunctionLogGroup072CA527',
  'Functions/RecordFunction/Failures/Queue': 'RecordFunctionFailuresQueue081161C1',
  'Functions/RecordFunction/Failures/Queue/Policy': 'RecordFunctionFailuresQueuePolicy72A283CF',
  'Functions/ResumeFunction/Default': 'ResumeFunction72167BBB',
  'Functions/ResumeFunction/Default/EventInvokeConfig': 'ResumeFunctionEventInvokeConfigAD22E856',
  'Functions/ResumeFunction/LogGroup': 'ResumeFunctionLogGroup673A1139',
  'Functions/ResumeFunction/Failures/Queue': 'ResumeFunctionFailuresQueue0E6DCBDF',
  'Functions/ResumeFunction/Failures/Queue/Policy': 'ResumeFunctionFailuresQueuePolicy8065588C',
  'Functions/GoalsFunction/Default': 'GoalsFunction862B912F',
  'Functions/GoalsFunction/Default/EventInvokeConfig': 'GoalsFunctionEventInvokeConfig02F108B2',
  'Functions/GoalsFunction/LogGroup': 'GoalsFunctionLogGroup8C6942EB',
  'Functions/GoalsFunction/Failures/Queue': 'GoalsFunctionFailuresQueue8D0549C1',
  'Functions/GoalsFunction/Failures/Queue/Policy': 'GoalsFunctionFailuresQueuePolicy3252649B',
  'Functions/PreferencesFunction/Default': 'PreferencesFunction6561E041',
  'Functions/PreferencesFunction/Default/EventInvokeConfig': 'PreferencesFunctionEventInvokeConfig16A7F9AB',
  'Functions/PreferencesFunction/LogGroup': 'PreferencesFunctionLogGroup867A32E4',
  'Functions/PreferencesFunction/Failures/Queue': 'PreferencesFunctionFailuresQueueED8185F3',
  'Functions/PreferencesFunction/Failures/Queue/Policy': 'PreferencesFunctionFailuresQueuePolicy32C7B3F4',
  'Functions/UnsubscribeFunction/Default': 'UnsubscribeFunctionBA2BA474',
  'Functions/UnsubscribeFunction/Default/FunctionUrl': 'UnsubscribeFunctionFunctionUrlBAA93A6E',
  'Functions/UnsubscribeFunction/LogGroup': 'UnsubscribeFunctionLogGroupBF653AEE',
  'Routes/RecordDeadLetterQueue/Queue': 'RecordDeadLetterQueue9137EA0E',
  'Routes/RecordDeadLetterQueue/Queue/Policy': 'RecordDeadLetterQueuePolicy89692A5B',
  'Routes/ErasureDeadLetterQueue/Queue': 'ErasureDeadLetterQueueE430E06E',
  'Routes/ErasureDeadLetterQueue/Queue/Policy': 'ErasureDeadLetterQueuePolicyBC7336C2',
  'Routes/SesFeedbackDeadLetterQueue/Queue': 'SesFeedbackDeadLetterQueue65AF818A',
  'Routes/SesFeedbackDeadLetterQueue/Queue/Policy': 'SesFeedbackDeadLetterQueuePolicy4C46FF91',
};

/**
 * Gives each resource listed above its deployed logical id (`overrideLogicalId` on the construct's
 * L1, its `node.defaultChild`). A path with no resource is skipped: the stage imports that resource
 * instead of creating it.
 */
export function keepDeployedLogicalIds(stack: Stack): void {
  for (const [path, logicalId] of Object.entries(DEPLOYED_LOGICAL_IDS)) {
    const construct = constructAt(stack, path);
    const resource = construct instanceof CfnResource ? construct : construct?.node.defaultChild;
    if (resource instanceof CfnResource) resource.overrideLogicalId(logicalId);
  }
}

function constructAt(root: IConstruct, path: string): IConstruct | undefined {
  let node: IConstruct | undefined = root;
  for (const id of path.split('/')) node = node?.node.tryFindChild(id);
  return node;
}
