/**
 * The function channel: one synchronous invocation of the team's Lambda
 * function with the payload docs/channels.md documents. The function's own
 * error is a refusal (not retried); throttling and Lambda's faults are retried.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionInvocation, SendResult } from './gateway.ts';
import { classifySendError, type SendErrorNames } from './ses.ts';
import { answerSnippet } from './webhook.ts';

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
      // A function slower than this would outlast the deliver function itself, which then could
      // neither record nor retry: given up on here, and tried again later (the key covers a repeat).
      { abortSignal: AbortSignal.timeout(invocation.timeoutMs) },
    );
    if (result.FunctionError !== undefined) {
      const said = functionErrorText(new TextDecoder().decode(result.Payload ?? new Uint8Array()));
      return { ok: false, kind: 'rejected', reason: `${where} failed (${result.FunctionError}): ${said}` };
    }
    return {
      ok: true,
      messageId: result.$metadata.requestId ?? '',
      response: `status ${result.StatusCode ?? 200}`,
    };
  } catch (error) {
    if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
      return {
        ok: false,
        kind: 'throttled',
        reason: `${where}: no answer within ${invocation.timeoutMs / 1000} s`,
      };
    }
    const failure = classifySendError(error, LAMBDA_ERRORS);
    return { ...failure, reason: `${where}: ${failure.reason}` };
  }
}

/**
 * The function's error as a stored reason: Lambda's `errorType: errorMessage` when the payload is
 * its error object (without the stack trace), else the start of the payload; never the customer's
 * address or number that the message may quote.
 */
function functionErrorText(payload: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return answerSnippet(payload);
  }
  if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
    const type = 'errorType' in parsed && typeof parsed.errorType === 'string' ? `${parsed.errorType}: ` : '';
    return answerSnippet(`${type}${String(parsed.errorMessage)}`);
  }
  return answerSnippet(payload);
}
