// asl-validator 4.0.0 ships no types; this is the part the tests call.
declare module 'asl-validator' {
  export interface AslValidationError {
    message?: string;
    path?: string;
    'Error code'?: string;
  }
  export interface AslValidationResult {
    isValid: boolean;
    errors: AslValidationError[];
    errorsText: (separator?: string) => string;
  }
  /** Careful: it mutates the definition (adds QueryLanguage to every state); pass a copy. */
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): AslValidationResult;
}
