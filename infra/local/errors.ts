import { errorMessage } from '../../shared/text/error-message.ts';

// The one helper, for the engine and the command line alike.
export { errorMessage };

/**
 * An absolute file path (/home/…/x.json, C:\…\x.json) after a space, a quote, a bracket or an equals sign: a
 * URL's "//host/path" follows a colon, so it stays.
 */
const ABSOLUTE_PATH = /(^|[\s'"(=[])(?:[A-Za-z]:[\\/]|\/)(?:[^\s'"()\\/]+[\\/])+[^\s'"()]*/g;

/**
 * What an unexpected failure may tell a client: its message, with file paths taken out. A Node error names
 * the file it failed on (ENAMETOOLONG: …, open '/home/…/executions/…'), and the client has no business knowing
 * where the engine keeps its data.
 */
export function publicMessage(error: unknown): string {
  return publicText(errorMessage(error));
}

/** Text from inside the engine made fit for a client: no stack frames, no absolute file paths. */
export function publicText(text: string): string {
  const lines = text.split('\n');
  const firstFrame = lines.findIndex((line) => STACK_FRAME.test(line));
  const kept = firstFrame === -1 ? lines : lines.slice(0, firstFrame);
  return kept.join('\n').replace(ABSOLUTE_PATH, '$1<path>').trim();
}

/** A line of a V8 stack trace: "    at parse (/app/node_modules/…:12:3)". */
const STACK_FRAME = /^\s+at\s/;

/** A failure named as Step Functions names it (States.Timeout, ExecutionDoesNotExist...), for the engine and its API. */
export class EngineError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}
