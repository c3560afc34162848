/**
 * Lambda's Invoke on one machine, for the function channel: the functions
 * settings.json names exist and answer `{}` at once; each invocation is kept
 * in memory. Your function's own code does not run here: the outbox shows
 * the payload it would have been given.
 */
import { awsError, type Reply } from './edge-reply.ts';
import { parseJsonText } from './json-file.ts';
import type { CustomFunction } from '../../shared/journey/channel-settings.ts';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const MAX_KEPT = 1_000;

export interface Invocation {
  functionName: string;
  payload: string;
}

export class LocalLambda {
  readonly invocations: Invocation[] = [];

  constructor(private readonly functions: () => Readonly<Record<string, CustomFunction>>) {}

  handle(method: string, path: string, body: string, invocationType: string | undefined): Reply {
    const match = INVOKE_PATH.exec(path);
    if (method !== 'POST' || match?.[1] === undefined) {
      return awsError(
        404,
        'UnknownOperationException',
        'The local engine serves Lambda Invoke only (POST /2015-03-31/functions/<name>/invocations).',
      );
    }
    let functionName: string;
    try {
      functionName = decodeURIComponent(match[1]);
    } catch {
      return awsError(400, 'InvalidParameterValueException', 'The function name is not URL-encoded text.');
    }
    const known = Object.values(this.functions()).some((target) =>
      sameFunction(target.functionName, functionName),
    );
    if (!known) {
      return awsError(
        404,
        'ResourceNotFoundException',
        `Function not found: ${functionName.slice(0, 170)} (the local engine knows the functions in settings.json).`,
      );
    }
    if (body !== '' && parseJsonText(body) === undefined) {
      return awsError(400, 'InvalidRequestContentException', 'Could not parse request body into json.');
    }
    this.invocations.push({ functionName, payload: body });
    if (this.invocations.length > MAX_KEPT) this.invocations.splice(0, this.invocations.length - MAX_KEPT);
    if (invocationType === 'Event') return { status: 202, body: '' };
    return { status: 200, body: {}, headers: { 'x-amz-executed-version': '$LATEST' } };
  }
}

/** A name and an ARN ending in that name are one function. */
function sameFunction(configured: string, requested: string): boolean {
  const name = (text: string): string => text.replace(/^arn:[^:]+:lambda:[^:]*:\d*:function:/, '');
  return name(configured) === name(requested);
}
