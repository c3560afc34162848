/**
 * The function channel: one synchronous invocation of the team's Lambda
 * function with the payload docs/channels.md documents. The function's own
 * error is a refusal (not retried); throttling and Lambda's faults are retried.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionInvocation, SendResult } from './gateway.ts';
import { classifySendError, type SendErrorNames } from './ses.ts';

const LAMBDA_ERRORS: SendErrorNames = {
  throttled: new Set([
    'TooManyRequestsException',
    'ServiceException',
    'EC2ThrottledException',
    'ResourceNotReadyException',
    'ResourceConflictException',
  ]),
  unreachable: new Map(),
  rejected: new Set([
    'ResourceNotFoundException',
    'InvalidParameterValueException',
    'RequestTooLargeException',
    'InvalidRequestContentException',
    'AccessDeniedException',
  ]),
};

const REASON_SNIPPET = 200;

export async function invokeFunctionWithLambda(
  client: Pick<LambdaClient, 'send'>,
  invocation: FunctionInvocation,
): Promise<SendResult> {
  const where = `function "${invocation.name}"`;
  try {
    const result = await client.send(
      new InvokeCommand({
        FunctionName: invocation.functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(invocation.payload),
      }),
    );
    if (result.FunctionError !== undefined) {
      const said = new TextDecoder().decode(result.Payload ?? new Uint8Array()).slice(0, REASON_SNIPPET);
      return { ok: false, kind: 'rejected', reason: `${where} failed (${result.FunctionError}): ${said}` };
    }
    return {
      ok: true,
      messageId: result.$metadata.requestId ?? '',
      response: `status ${result.StatusCode ?? 200}`,
    };
  } catch (error) {
    const failure = classifySendError(error, LAMBDA_ERRORS);
    return { ...failure, reason: `${where}: ${failure.reason}` };
  }
}
