/**
 * The names Waymark gives its AWS resources, and the reading of those names
 * back: the CDK stack names the state machines with these, and the report and
 * the panel find a journey's state machine with the same rules.
 */

/** `waymark-<stage>`: stage names have no "-", so one stage's prefix never matches another's names. */
export function resourcePrefix(stage: string): string {
  return `waymark-${stage}`;
}

/** Express machines carry a suffix no journey id can contain ("_"). */
const EXPRESS_SUFFIX = '_express';

/**
 * The state machine of a journey. The runtime functions are granted every execution under
 * `<prefix>-*`, so the name must start with the prefix. Express machines get a suffix: switching a
 * journey's workflow type replaces its state machine, and CloudFormation can only replace a named
 * resource under a new name.
 */
export function stateMachineName(
  stage: string,
  journey: { journeyId: string; workflowType: 'STANDARD' | 'EXPRESS' },
): string {
  const base = `${resourcePrefix(stage)}-${journey.journeyId}`;
  switch (journey.workflowType) {
    case 'STANDARD':
      return base;
    case 'EXPRESS':
      return `${base}${EXPRESS_SUFFIX}`;
  }
}

/**
 * The journey a state machine runs, by its name; undefined when it is none of `journeyIds`. Names are
 * `<prefix><journeyId>`: "" locally, `waymark-<stage>-` on AWS. Without a prefix, the journey id alone
 * or after any prefix ending in "-" (the longest journey id wins).
 */
export function journeyOfStateMachine(
  name: string,
  journeyIds: readonly string[],
  namePrefix: string | undefined,
): string | undefined {
  const base = name.endsWith(EXPRESS_SUFFIX) ? name.slice(0, -EXPRESS_SUFFIX.length) : name;
  if (namePrefix !== undefined) {
    const journeyId = base.startsWith(namePrefix) ? base.slice(namePrefix.length) : undefined;
    return journeyId !== undefined && journeyIds.includes(journeyId) ? journeyId : undefined;
  }
  return journeyIds
    .filter((journeyId) => base === journeyId || base.endsWith(`-${journeyId}`))
    .sort((a, b) => b.length - a.length)[0];
}
