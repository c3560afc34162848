/**
 * The intake journal: what PutEvents has accepted, kept on disk until it is routed, so that an answer with
 * EventIds means the events are stored. After a crash (kill -9, power cut) the next start routes what was
 * accepted and not yet routed, and does not route again what was.
 *
 * In the data folder's `intake/`, numbered segments of two append-only files each:
 *   <n>.accepted.jsonl  one event envelope a line, written and fsync'd before PutEvents answers;
 *   <n>.routed.jsonl    one event id a line, written once the event's routing is done.
 * A segment is deleted once every event in it is routed and a newer segment takes the new events; at start,
 * the events still unrouted are copied into a new segment and the old ones deleted, so the journal holds
 * about the backlog, never the whole history.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type EventEnvelope, eventEnvelopeSchema } from '../../shared/events/catalog.ts';
import { isRecord } from '../../shared/json.ts';
import { errorMessage } from './errors.ts';
import { parseJsonText } from './json-file.ts';

export interface IntakeJournal {
  /** Events accepted before this start and not routed then, in the order they were accepted. */
  readonly unrouted: readonly EventEnvelope[];
  /** Resolves once the events are stored (fsync'd); rejects if they could not be, and then nothing is kept. */
  append(events: readonly EventEnvelope[]): Promise<void>;
  /** The event's routing is done: a later start does not route it again. */
  markRouted(eventId: string): void;
  /**
   * A target that kept failing for this event: kept in `dead-letters.jsonl` with the reason, never
   * dropped, and routed once more at the next start.
   */
  deadLetter(letter: DeadLetter): void;
  /** Stops writing; what is not marked routed by now is routed at the next start. */
  close(): Promise<void>;
}

export interface DeadLetter {
  event: EventEnvelope;
  /** The function or journey that kept failing. */
  target: string;
  reason: string;
  time: string;
}

export const DEAD_LETTERS_FILE = 'dead-letters.jsonl';

/** A journal that keeps nothing: engines without a data folder (tests, simulate) lose everything anyway. */
export function memoryJournal(): IntakeJournal {
  return {
    unrouted: [],
    append: () => Promise.resolve(),
    markRouted: () => undefined,
    deadLetter: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** Events a segment takes before a new one starts; a segment's files go once all its events are routed. */
const SEGMENT_EVENTS = 2_000;
const SEGMENT_FILE = /^(\d+)\.(accepted|routed)\.jsonl$/;

interface Segment {
  number: number;
  /** Accepted, stored, and not yet routed. */
  pending: Set<string>;
  /** Lines in the accepted file, to know when to start the next segment. */
  accepted: number;
  /** The accepted file's length: a write that fails is cut back to it. */
  bytes: number;
  /** Opened at the first routed mark. */
  routedFile: number | undefined;
}

interface Waiting {
  events: readonly EventEnvelope[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export async function openIntakeJournal(dir: string): Promise<IntakeJournal> {
  mkdirSync(dir, { recursive: true });
  const found = readSegments(dir);
  const unrouted = found.unrouted;
  const first = newSegment(found.lastNumber + 1);
  // The backlog moves into a new segment, written whole and fsync'd before the old files go: a crash in
  // between leaves both, and reading dedupes by event id.
  const copy = join(dir, `${first.number}.accepted.jsonl.tmp`);
  const text = unrouted.map((event) => `${JSON.stringify(event)}\n`).join('');
  const descriptor = openSync(copy, 'w');
  try {
    writeSync(descriptor, text);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(copy, acceptedPath(dir, first.number));
  syncDirectory(dir);
  for (const file of found.files) rmSync(join(dir, file), { force: true });
  for (const event of unrouted) first.pending.add(event.id);
  first.accepted = unrouted.length;
  first.bytes = Buffer.byteLength(text);
  return new FileJournal(dir, first, await open(acceptedPath(dir, first.number), 'a'), unrouted);
}

class FileJournal implements IntakeJournal {
  private readonly segments = new Map<number, Segment>();
  private readonly segmentOf = new Map<string, Segment>();
  private queued: Waiting[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  /** Set when a failed write could not be undone: the file may end in a broken line, so nothing more goes in. */
  private broken: Error | undefined;

  constructor(
    private readonly dir: string,
    private current: Segment,
    private currentFile: FileHandle,
    readonly unrouted: readonly EventEnvelope[],
  ) {
    this.segments.set(current.number, current);
    for (const event of unrouted) this.segmentOf.set(event.id, current);
  }

  append(events: readonly EventEnvelope[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The intake journal is closed.'));
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queued.push({ events, resolve, reject });
      this.startWriting();
    });
  }

  private startWriting(): void {
    // Started after the code that called runs to its end: the other entries of a PutEvents call, handed
    // over in the same turn, go in the same write.
    this.writing ??= Promise.resolve()
      .then(() => this.writeQueued())
      .finally(() => {
        this.writing = undefined;
        // An append made while the last write was finishing found it still running, and waits for this.
        if (this.queued.length > 0) this.startWriting();
      });
  }

  /**
   * Group commit: whatever arrived while the previous write was on disk goes in the next one, with one
   * fsync for all of it, so a burst of PutEvents calls costs a few fsyncs, not one per call.
   */
  private async writeQueued(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      const events = batch.flatMap((waiting) => waiting.events);
      const segment = this.current;
      const text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
      try {
        await this.currentFile.appendFile(text);
        await this.currentFile.datasync();
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
        await this.undoWrite(segment);
        continue;
      }
      for (const event of events) {
        segment.pending.add(event.id);
        this.segmentOf.set(event.id, segment);
      }
      segment.accepted += events.length;
      segment.bytes += Buffer.byteLength(text);
      for (const waiting of batch) waiting.resolve();
      if (segment.accepted >= SEGMENT_EVENTS) {
        try {
          await this.startSegment();
        } catch {
          // The folder refused a new file: this segment takes the next events too, and a later batch tries again.
        }
      }
    }
  }

  /** Cuts off whatever part of a failed write reached the file: the next one would follow a broken line. */
  private async undoWrite(segment: Segment): Promise<void> {
    try {
      await this.currentFile.truncate(segment.bytes);
      await this.currentFile.datasync();
    } catch (error) {
      const broken = new Error(`The intake journal cannot be written: ${errorMessage(error)}`);
      this.broken = broken;
      for (const waiting of this.queued.splice(0)) waiting.reject(broken);
    }
  }

  private async startSegment(): Promise<void> {
    const previous = this.current;
    const next = newSegment(previous.number + 1);
    const file = await open(acceptedPath(this.dir, next.number), 'a');
    syncDirectory(this.dir);
    await this.currentFile.close();
    this.segments.set(next.number, next);
    this.current = next;
    this.currentFile = file;
    this.dropIfDone(previous);
  }

  /**
   * Written, not fsync'd: the line reaches the operating system before routing moves on, so it survives the
   * process being killed. A power cut may lose the last few marks; those events are then routed again,
   * which the functions and journeys tolerate (see the router).
   */
  markRouted(eventId: string): void {
    if (this.closed) return;
    const segment = this.segmentOf.get(eventId);
    if (segment === undefined) return;
    this.segmentOf.delete(eventId);
    segment.pending.delete(eventId);
    try {
      segment.routedFile ??= openSync(routedPath(this.dir, segment.number), 'a');
      writeSync(segment.routedFile, `${JSON.stringify(eventId)}\n`);
    } catch {
      // A mark that cannot be written (a full disk) costs one more routing of the event at the next start.
      return;
    }
    this.dropIfDone(segment);
  }

  deadLetter(letter: DeadLetter): void {
    const descriptor = openSync(join(this.dir, DEAD_LETTERS_FILE), 'a');
    try {
      writeSync(descriptor, `${JSON.stringify(letter)}\n`);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  }

  private dropIfDone(segment: Segment): void {
    if (segment === this.current || segment.pending.size > 0) return;
    this.segments.delete(segment.number);
    try {
      if (segment.routedFile !== undefined) closeSync(segment.routedFile);
      rmSync(acceptedPath(this.dir, segment.number), { force: true });
      rmSync(routedPath(this.dir, segment.number), { force: true });
    } catch {
      // Files that stay are read at the next start: their events are all marked routed, so none is routed again.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing !== undefined) await this.writing;
    for (const waiting of this.queued.splice(0)) waiting.reject(new Error('The intake journal is closed.'));
    for (const segment of this.segments.values()) {
      if (segment.routedFile !== undefined) closeSync(segment.routedFile);
    }
    await this.currentFile.close();
  }
}

function newSegment(number: number): Segment {
  return { number, pending: new Set(), accepted: 0, bytes: 0, routedFile: undefined };
}

interface FoundSegments {
  unrouted: EventEnvelope[];
  lastNumber: number;
  files: string[];
}

/** Every segment left by earlier runs: the events accepted and not marked routed, in acceptance order. */
function readSegments(dir: string): FoundSegments {
  const files: string[] = [];
  const numbers = new Set<number>();
  for (const file of readdirSync(dir)) {
    const match = SEGMENT_FILE.exec(file);
    if (match?.[1] !== undefined) {
      numbers.add(Number(match[1]));
      files.push(file);
    } else if (file.endsWith('.tmp')) {
      // A copy a crash interrupted: the segments it was made from are still here.
      files.push(file);
    }
  }
  const ordered = [...numbers].sort((a, b) => a - b);
  const routed = new Set<string>();
  for (const number of ordered) {
    for (const line of readLines(routedPath(dir, number))) {
      const id = parseJsonText(line);
      if (typeof id === 'string') routed.add(id);
    }
  }
  const accepted = new Map<string, EventEnvelope>();
  // Events a target kept failing for at an earlier run (a store that was down, say) are routed once
  // more at this start, first, as they were accepted first; the file goes with the segments.
  const deadLetters = join(dir, DEAD_LETTERS_FILE);
  for (const line of readLines(deadLetters)) {
    const letter = parseJsonText(line);
    const event = eventEnvelopeSchema.safeParse(isRecord(letter) ? letter.event : undefined);
    if (event.success && !accepted.has(event.data.id)) accepted.set(event.data.id, event.data);
  }
  if (accepted.size > 0) files.push(DEAD_LETTERS_FILE);
  for (const number of ordered) {
    for (const line of readLines(acceptedPath(dir, number))) {
      // A line a crash cut short was never acknowledged (the fsync had not returned): it is skipped.
      const event = eventEnvelopeSchema.safeParse(parseJsonText(line));
      if (event.success && !routed.has(event.data.id) && !accepted.has(event.data.id)) {
        accepted.set(event.data.id, event.data);
      }
    }
  }
  return { unrouted: [...accepted.values()], lastNumber: ordered.at(-1) ?? 0, files };
}

function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '');
}

function acceptedPath(dir: string, number: number): string {
  return join(dir, `${number}.accepted.jsonl`);
}

function routedPath(dir: string, number: number): string {
  return join(dir, `${number}.routed.jsonl`);
}

/** A new file's name is durable only once its folder is synced; some systems cannot, and then it is best effort. */
function syncDirectory(dir: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(dir, 'r');
    fsyncSync(descriptor);
  } catch {
    // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
