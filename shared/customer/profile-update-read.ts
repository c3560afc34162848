/**
 * A profile update as record applies it: every field that is valid, even
 * when others are not. A CRM that sends an opt-out together with a phone
 * number in a local format must not have its opt-out dropped for the phone's
 * sake; the invalid fields are named in the history and left as they were.
 */
import { profileUpdateSchema as schema, toDetailProblem as toProblem } from '../events/built-in.ts';
import { describeDetailProblems } from '../events/catalog.ts';
import { attributeStorageProblem } from '../events/storable.ts';
import { isRecord } from '../json.ts';
import { fieldChanges, type ProfileUpdate } from './profile-update.ts';

export type ProfileUpdateRead =
  | { ok: true; update: ProfileUpdate; problems: string[] }
  /** Nothing usable: not even the customer id, or every field is invalid. */
  | { ok: false; problems: string[] };

/** A path that must stay: without the customer id there is nobody to apply the rest to. */
const KEPT_PATHS: ReadonlySet<string> = new Set(['customerId']);

/**
 * The update with each invalid value taken out: the whole field for a contact, one channel for
 * consent, one key for attributes, one element for tags. Each round removes what the schema named,
 * so a handful of rounds settles any detail.
 */
export function readProfileUpdate(detail: unknown): ProfileUpdateRead {
  const read = readValidFields(detail);
  if (!read.ok) return read;
  return withStorableAttributes(read.update, read.problems);
}

/** Attributes a profile cannot hold (too deep, or a key the store refuses) left out, named in the problems. */
function withStorableAttributes(update: ProfileUpdate, problems: string[]): ProfileUpdateRead {
  if (update.attributes === undefined) return { ok: true, update, problems };
  const attributes: NonNullable<ProfileUpdate['attributes']> = {};
  const refused: string[] = [];
  for (const [name, value] of Object.entries(update.attributes)) {
    const problem = attributeStorageProblem(name, value);
    if (problem === undefined) attributes[name] = value;
    else refused.push(problem);
  }
  if (refused.length === 0) return { ok: true, update, problems };
  const kept = { ...update, attributes };
  const all = [...problems, ...refused];
  return changesSomething(kept) ? { ok: true, update: kept, problems: all } : { ok: false, problems: all };
}

function readValidFields(detail: unknown): ProfileUpdateRead {
  const first = schema.safeParse(detail);
  if (first.success) return { ok: true, update: first.data, problems: [] };
  const problems = describeDetailProblems(first.error.issues.map(toProblem));
  if (!isRecord(detail)) return { ok: false, problems };
  let candidate: unknown = structuredClone(detail);
  let issues = first.error.issues.map(toProblem);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const pruned = withoutPaths(
      candidate,
      issues.map((issue) => issue.path),
    );
    if (pruned === undefined) return { ok: false, problems };
    candidate = pruned;
    const parsed = schema.safeParse(candidate);
    if (parsed.success) {
      return changesSomething(parsed.data)
        ? { ok: true, update: parsed.data, problems }
        : { ok: false, problems };
    }
    issues = parsed.error.issues.map(toProblem);
  }
  return { ok: false, problems };
}

const MAX_ROUNDS = 5;

/**
 * What a profile update kept in the history changed on the profile, read as record read it;
 * undefined for any other event, or one record applied nothing of.
 */
export function appliedProfileUpdate(entry: {
  detailType: string;
  detail: unknown;
  problems?: readonly string[] | undefined;
}): ProfileUpdate | undefined {
  if (entry.detailType !== 'customer.profile.updated') return undefined;
  const read = readProfileUpdate(entry.detail);
  if (!read.ok) return undefined;
  // Problems with a detail that reads whole: record refused it for another reason (a damaged profile).
  if ((entry.problems?.length ?? 0) > 0 && read.problems.length === 0) return undefined;
  return read.update;
}

function changesSomething(update: ProfileUpdate): boolean {
  return fieldChanges(update).length > 0;
}

/** A copy of `value` without the values at `paths`; undefined when a path cannot be taken out. */
function withoutPaths(value: unknown, paths: readonly (string | number)[][]): unknown {
  if (paths.length === 0) return undefined;
  let result = value;
  // Deepest and highest index first, so taking one element out does not move another one's path.
  const ordered = [...paths].sort((a, b) => b.length - a.length || compareLast(b, a));
  for (const named of ordered) {
    // A refinement may name a field that is not there (a push endpoint needs an ARN or a token):
    // then the value around it goes.
    let path = named;
    while (path.length > 0 && !has(result, path)) path = path.slice(0, -1);
    if (path.length === 0 || KEPT_PATHS.has(path.join('.'))) return undefined;
    result = without(result, path);
  }
  return result;
}

function has(value: unknown, path: readonly (string | number)[]): boolean {
  const [head, ...rest] = path;
  if (head === undefined) return true;
  if (Array.isArray(value) && typeof head === 'number') {
    const items: unknown[] = value;
    return head < items.length && has(items[head], rest);
  }
  if (isRecord(value) && typeof head === 'string' && Object.hasOwn(value, head))
    return has(value[head], rest);
  return false;
}

function compareLast(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  const last = (path: readonly (string | number)[]) => {
    const key = path[path.length - 1];
    return typeof key === 'number' ? key : -1;
  };
  return last(a) - last(b);
}

function without(value: unknown, path: readonly (string | number)[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(value) && typeof head === 'number') {
    const items: unknown[] = value;
    if (rest.length === 0) return items.filter((_, index) => index !== head);
    return items.map((item, index) => (index === head ? without(item, rest) : item));
  }
  if (isRecord(value) && typeof head === 'string' && Object.hasOwn(value, head)) {
    if (rest.length === 0) {
      const { [head]: _removed, ...others } = value;
      return others;
    }
    return { ...value, [head]: without(value[head], rest) };
  }
  return value;
}
