/**
 * What a caught value says, for a console line or an error reply. Its own module, free of imports, so the
 * engine and the command line alike can use it without loading one another.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
