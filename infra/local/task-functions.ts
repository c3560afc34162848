/**
 * The journeys' Task functions as the state machines call them locally: the deliver and steps
 * handlers, answering as Lambda does, a function's error included (its name, and a JSON cause).
 */
import { type JsonValue, toJsonValue } from '../../shared/json.ts';
import { LOCAL_FUNCTIONS } from './definition.ts';
import { deliveryLine, stepLine } from './engine-lines.ts';
import { EngineError } from './errors.ts';
import type { LocalFunctions } from './router.ts';

/** Invokes the function the Task names; `log` gets the line the engine prints for it. */
export async function invokeTaskFunction(
  functions: LocalFunctions,
  parameters: Record<string, unknown>,
  log: (line: string | undefined) => void,
): Promise<JsonValue> {
  try {
    return await invoke(functions, parameters, log);
  } catch (error) {
    throw lambdaError(error);
  }
}

async function invoke(
  functions: LocalFunctions,
  parameters: Record<string, unknown>,
  log: (line: string | undefined) => void,
): Promise<JsonValue> {
  const { FunctionName: functionName, Payload: payload } = parameters;
  if (functionName === LOCAL_FUNCTIONS.deliver) {
    const outcome = await functions.deliver(payload);
    log(deliveryLine(payload, outcome));
    return toJsonValue(outcome);
  }
  if (functionName === LOCAL_FUNCTIONS.steps) {
    const result = await functions.steps(payload);
    log(stepLine(payload, result));
    return toJsonValue(result);
  }
  throw new EngineError('Lambda.ResourceNotFoundException', `Function not found: ${String(functionName)}`);
}

/**
 * Lambda answers a function's error with `{errorType, errorMessage, trace}`, which Step Functions
 * puts in the Cause: the same here (the interpreter's Catch takes the error's message as the Cause),
 * so what the ASL parses from a cause (a deferral's outcome) is found in the same place.
 */
function lambdaError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof EngineError) return error;
  return new EngineError(
    error.name,
    JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }),
  );
}
