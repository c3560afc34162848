/**
 * What a caught value says, for a console line or an error reply. Its own module, free of imports, so the
 * engine and the command line alike can use it without loading one another.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An absolute file path (/home/…/x.json, C:\…\x.json) after a space, a quote, a bracket or an equals sign: a
 * URL's "//host/path" follows a colon, so it stays.
 */
const ABSOLUTE_PATH = /(^|[\s'"(=[])(?:[A-Za-z]:[\\/]|\/)(?:[^\s'"()\\/]+[\\/])+[^\s'"()]*/g;

/**
 * What an unexpected failure may tell a client: its first line, with file paths taken out. A Node error
 * names the file it failed on (ENAMETOOLONG: …, open '/home/…/executions/…'), and the client has no business
 * knowing where the engine keeps its data; the console still gets the whole error.
 */
export function publicMessage(error: unknown): string {
  const firstLine = errorMessage(error).split('\n', 1)[0] ?? '';
  return firstLine.replace(ABSOLUTE_PATH, '$1<path>');
}
