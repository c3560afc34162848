/**
 * What the edge refuses in a DynamoDB request before dynalite sees it. dynalite trusts that an AWS SDK wrote
 * the request, and two kinds of body that no SDK writes hurt it:
 *
 * - a JSON `null` where it expects a value (the whole body, a key attribute, a list member): dynalite throws
 *   from a callback, which ended its thread, and with it every DynamoDB request after. The SDKs never send
 *   `null` (a NULL attribute is `{"NULL": true}`, an absent parameter is left out), so a `null` anywhere is
 *   refused as the malformed request it is;
 * - an expression with deeply nested parentheses: dynalite's expression parser backtracks, and each level
 *   costs about three times the one before (8 levels: a second; 20: longer than anyone waits), while the
 *   thread answers nothing else.
 */
import { isRecord } from '../../shared/json.ts';
import { awsError, type Reply } from './edge-reply.ts';

/** AWS's own limit on any expression string. */
const MAX_EXPRESSION_BYTES = 4096;
/**
 * How deep the parentheses in one expression may nest here. Waymark's own conditions nest two deep (a group
 * around a function call); at 6, dynalite parses a 4 KB expression of such groups in about half a second.
 * AWS has no such limit; this one is the stand-in's.
 */
export const MAX_EXPRESSION_NESTING = 6;
/** A path in a message stays readable however long the keys a client sent. */
const MAX_PATH_CHARS = 120;

/**
 * AWS's type for a body its JSON reader cannot take. The SDKs read the name after `#` and raise it as the
 * exception's name.
 */
const SERIALIZATION_EXCEPTION = 'com.amazon.coral.service#SerializationException';

/** An AWS-shaped refusal for a DynamoDB request body dynalite must not see, or undefined to pass it on. */
export function dynamoBodyRefusal(body: string): Reply | undefined {
  // An empty body goes on: dynalite answers it in AWS's terms, after checking the operation.
  if (body.trim() === '') return undefined;
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return awsError(400, SERIALIZATION_EXCEPTION, 'The request body is not valid JSON.');
  }
  if (!isRecord(request)) {
    return awsError(
      400,
      SERIALIZATION_EXCEPTION,
      `The request body must be a JSON object, not ${describeJsonValue(request)}.`,
    );
  }
  const nullPath = firstNullPath(request);
  if (nullPath !== undefined) {
    return awsError(
      400,
      SERIALIZATION_EXCEPTION,
      `null at ${nullPath}: DynamoDB's JSON has no null value. A NULL attribute is written {"NULL": true}; a parameter without a value is left out.`,
    );
  }
  return expressionProblem(request);
}

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Where the first `null` in the request is (`Key.pk`, `Item.tags.L[2]`), if there is one. */
function firstNullPath(request: Record<string, unknown>): string | undefined {
  // A stack, not recursion: the edge has already refused bodies nested past 100 levels, but a walk that
  // cannot run out of stack needs no such argument.
  const pending: { value: unknown; path: string }[] = [{ value: request, path: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (value === null) return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
    if (Array.isArray(value)) {
      // Pushed last to first, so the first null in reading order is found first.
      for (let index = value.length - 1; index >= 0; index -= 1) {
        pending.push({ value: value[index], path: `${path}[${index}]` });
      }
    } else if (isRecord(value)) {
      for (const key of Object.keys(value).reverse()) {
        pending.push({ value: value[key], path: path === '' ? key : `${path}.${key}` });
      }
    }
  }
  return undefined;
}

/**
 * The first expression (ConditionExpression, FilterExpression, UpdateExpression, …: all at the top level of
 * the operations dynalite serves) that is too long for AWS or nested too deep for dynalite's parser.
 */
function expressionProblem(request: Record<string, unknown>): Reply | undefined {
  for (const [name, expression] of Object.entries(request)) {
    if (!name.endsWith('Expression') || typeof expression !== 'string') continue;
    const bytes = Buffer.byteLength(expression, 'utf8');
    if (bytes > MAX_EXPRESSION_BYTES) {
      return awsError(
        400,
        'ValidationException',
        `Invalid ${name}: Expression size has exceeded the maximum allowed size; expression size: ${bytes}`,
      );
    }
    const nesting = parenthesesNesting(expression);
    if (nesting > MAX_EXPRESSION_NESTING) {
      return awsError(
        400,
        'ValidationException',
        `Invalid ${name}: its parentheses nest ${nesting} deep; the local DynamoDB stand-in takes at most ${MAX_EXPRESSION_NESTING} (its parser slows down about threefold with each level).`,
      );
    }
  }
  return undefined;
}

/** How deep parentheses nest in an expression; DynamoDB expressions have no string literals to skip. */
function parenthesesNesting(expression: string): number {
  let depth = 0;
  let deepest = 0;
  for (const character of expression) {
    if (character === '(') deepest = Math.max(deepest, (depth += 1));
    else if (character === ')') depth -= 1;
  }
  return deepest;
}
