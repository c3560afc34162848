/** One thing wrong with a journey or settings file, located precisely enough to fix. */
export interface Problem {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  column: number;
  /** JSON path such as `$.steps.remind.next`. */
  path: string;
  message: string;
  /** What would have been accepted. */
  expected?: string;
  hint?: string;
}

export type PathSegment = string | number;

export function jsonPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)
      ? `${text}.${segment}`
      : `${text}[${JSON.stringify(segment)}]`;
  }, '$');
}

export function formatProblem(problem: Problem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const parts = [`${where} ${problem.severity} ${problem.path}: ${problem.message}`];
  if (problem.expected !== undefined) parts.push(`  expected: ${problem.expected}`);
  if (problem.hint !== undefined) parts.push(`  hint: ${problem.hint}`);
  return parts.join('\n');
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}
