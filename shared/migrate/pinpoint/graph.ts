/** Graph checks on Pinpoint's activities before they are translated. */

/**
 * A loop on which no activity waits, as the activity ids around it, or undefined. Activities that
 * wait are left out of the graph: any loop still left has no wait on it.
 */
export function findWaitlessLoop<A>(
  activities: Readonly<Record<string, A>>,
  targets: (activity: A) => string[],
  waits: (activity: A) => boolean,
): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const activity = activities[id];
    if (activity === undefined || waits(activity)) return undefined;
    const seen = state.get(id);
    if (seen === 'done') return undefined;
    if (seen === 'open') return stack.slice(stack.indexOf(id));
    state.set(id, 'open');
    stack.push(id);
    for (const target of targets(activity)) {
      const loop = visit(target);
      if (loop !== undefined) return loop;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(activities).sort()) {
    const loop = visit(id);
    if (loop !== undefined) return loop;
  }
  return undefined;
}
