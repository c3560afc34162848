/** What the translator gives back besides the journey: problems, and a line per source part. */

/** One source activity or top-level block and what it became in Waymark. */
export interface MigrationLine {
  /** The activity id, or the block's name ("StartCondition", "Limits", ...). */
  source: string;
  /** "activity Wait", "block QuietTime", ... */
  sourceKind: string;
  /** 'step "wait-1" (wait 1d)', 'trigger', 'not imported', ... */
  became: string;
  differences: string[];
}

export interface PinpointProblem {
  /** A JSON path into the input: $.Activities.abc.Wait.WaitTime */
  path: string;
  message: string;
  /** What Pinpoint's API reference expects there. */
  expected: string;
}

/** Collects problems and report lines while translating; nothing is thrown. */
export class Findings {
  readonly problems: PinpointProblem[] = [];
  readonly lines: MigrationLine[] = [];

  problem(path: string, message: string, expected: string): void {
    this.problems.push({ path, message, expected });
  }

  line(line: MigrationLine): void {
    this.lines.push(line);
  }
}

/** A JSON path segment: dotted for plain names, bracketed otherwise. */
export function pathOf(parts: readonly (string | number)[], root = '$'): string {
  return parts.reduce<string>((path, part) => {
    if (typeof part === 'number') return `${path}[${part}]`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `${path}.${part}` : `${path}[${JSON.stringify(part)}]`;
  }, root);
}
