/**
 * What the drawing shows before anything is placed: a box for the trigger, each step and each
 * missing step, sized to its wrapped text and count rows; the edges between them with their labels;
 * and the exit rule's note.
 */
import { assertNever, labelledStepEdges, stepById } from '../../../shared/journey/graph.ts';
import { isAudienceTrigger, type Journey, type Step, sendChannels } from '../../../shared/journey/schema.ts';
import { charsThatFit, cut, NODE_TEXT, wrapPhrases } from './text.ts';
import { type LayoutNodeKind, TRIGGER_NODE_ID } from './types.ts';
import { describeTrigger } from '../../../shared/journey/trigger.ts';

const MAX_LINES = 3;

/** A box's content and size; where it goes is the layout's business. */
export interface Box {
  id: string;
  kind: LayoutNodeKind;
  heading: string;
  lines: string[];
  fullText: string;
  countRows: number;
  width: number;
  height: number;
}

export interface BoxEdge {
  /** The edge's place in the file's order: the tie-break wherever edges are sorted. */
  index: number;
  from: string;
  to: string;
  label: string;
}

export interface Boxes {
  /** The trigger, then the steps in file order, then missing steps in the order first named. */
  boxes: Box[];
  /** In file order: a step's edges in the order its fields name them (cases, then the default). */
  edges: BoxEdge[];
}

/** The exit rule's text, sized to a box's width; the layout puts it beside the trigger. */
export interface NoteText {
  lines: string[];
  fullText: string;
  height: number;
}

export function describeBoxes(journey: Journey, reserveCountRows: boolean): Boxes {
  const boxes: Box[] = [box(TRIGGER_NODE_ID, 'trigger', 'trigger', triggerPhrases(journey), '', 0)];
  const edges: BoxEdge[] = [];
  const named = new Set<string>([TRIGGER_NODE_ID]);
  const missing: string[] = [];
  const addEdge = (from: string, to: string, label: string): void => {
    // Two fields naming the same step (sent and not sent both going on) are drawn as one edge.
    const parallel = edges.find((edge) => edge.from === from && edge.to === to);
    if (parallel !== undefined) {
      parallel.label = [parallel.label, label].filter((text) => text !== '').join(' / ');
      return;
    }
    edges.push({ index: edges.length, from, to, label });
    if (stepById(journey, to) === undefined && !missing.includes(to)) missing.push(to);
  };
  addEdge(TRIGGER_NODE_ID, journey.start, '');
  for (const [id, step] of Object.entries(journey.steps)) {
    named.add(id);
    const rows = reserveCountRows ? countRowsFor(step) : 0;
    boxes.push(box(id, step.type, id, stepPhrases(step), step.description ?? '', rows));
    for (const [to, label] of labelledStepEdges(step)) addEdge(id, to, label);
  }
  for (const id of missing) {
    if (!named.has(id)) boxes.push(box(id, 'missing', id, ['no such step'], '', 0));
  }
  return { boxes, edges };
}

export function describeExitNote(journey: Journey): NoteText | undefined {
  if (journey.exitOn.length === 0) return undefined;
  const exits = journey.exitOn.map(
    (exit) => `${exit.event}${exit.filter === undefined ? '' : ' (filtered)'}${exit.goal ? ' (goal)' : ''}`,
  );
  const fullText = `exits at any step on ${exits.join(', ')}`;
  const inner = NODE_TEXT.width - 2 * NODE_TEXT.paddingX;
  const lines = wrapPhrases([fullText], charsThatFit(inner, NODE_TEXT.lineFontSize), MAX_LINES + 1);
  return { lines, fullText, height: 2 * NODE_TEXT.paddingY + lines.length * NODE_TEXT.lineHeight };
}

function box(
  id: string,
  kind: LayoutNodeKind,
  heading: string,
  phrases: string[],
  description: string,
  countRows: number,
): Box {
  const inner = NODE_TEXT.width - 2 * NODE_TEXT.paddingX;
  const lines = wrapPhrases(phrases, charsThatFit(inner, NODE_TEXT.lineFontSize), MAX_LINES);
  const height =
    2 * NODE_TEXT.paddingY +
    NODE_TEXT.headingHeight +
    lines.length * NODE_TEXT.lineHeight +
    (countRows > 0 ? NODE_TEXT.countsGap + countRows * NODE_TEXT.countRowHeight : 0);
  return {
    id,
    kind,
    heading: cut(heading, charsThatFit(inner, NODE_TEXT.headingFontSize, 'bold')),
    lines,
    fullText: [heading, ...phrases, ...(description === '' ? [] : [description])].join('\n'),
    countRows,
    width: NODE_TEXT.width,
    height,
  };
}

/** A send can show many counts (every channel, capped, deferred...); other steps a few. */
function countRowsFor(step: Step): number {
  return step.type === 'send' ? 3 : 2;
}

function triggerPhrases(journey: Journey): string[] {
  const trigger = journey.trigger;
  if (isAudienceTrigger(trigger)) return [describeTrigger(trigger)];
  const sources = trigger.source === undefined ? [] : [trigger.source].flat();
  return [
    `on ${trigger.event}`,
    ...(sources.length === 0 ? [] : [`from ${sources.join(', ')}`]),
    ...(trigger.filter === undefined ? [] : [`filtered on ${Object.keys(trigger.filter).join(', ')}`]),
  ];
}

function stepPhrases(step: Step): string[] {
  switch (step.type) {
    case 'send':
      return [
        `send ${sendChannels(step).join(' / ')}`,
        // What a webhook or function calls, and whom it reaches, is what tells two such steps apart.
        ...(step.endpoint === undefined ? [] : [`to ${step.endpoint} (${step.reaches ?? 'customer'})`]),
        ...(step.function === undefined ? [] : [`to ${step.function} (${step.reaches ?? 'customer'})`]),
        `${step.template} (${step.category})`,
      ];
    case 'wait': {
      if (step.duration !== undefined) return [`wait ${step.duration}`];
      const until = step.until;
      if (until === undefined) return ['wait'];
      if (until.kind === 'localWindow') {
        const days = until.days === undefined ? [] : [`on ${until.days.join(', ')}`];
        return [`wait until ${until.start}-${until.end} local`, ...days];
      }
      const day = until.day === 'next' ? 'next day, ' : '';
      const fallback = until.fallback === undefined ? 'usual fallback' : `else ${until.fallback}`;
      return ['wait until preferred hour', `${day}${fallback}`];
    }
    case 'waitForEvent': {
      const filtered = step.event.filter === undefined ? '' : ' (filtered)';
      return [`wait for ${step.event.event}${filtered} up to ${step.timeout}`];
    }
    case 'branch':
      return [step.cases.length === 1 ? 'branch: one case' : `branch: first of ${step.cases.length} cases`];
    case 'split': {
      const holdout = step.paths.filter((path) => path.holdout).map((path) => path.name);
      return [
        `split ${step.paths.map((path) => path.weight).join('/')}`,
        ...(holdout.length === 0 ? [] : [`holdout: ${holdout.join(', ')}`]),
      ];
    }
    case 'updateProfile':
      return [
        'update profile',
        ...(step.set === undefined ? [] : [`set ${Object.keys(step.set).join(', ')}`]),
        ...(step.addTags === undefined ? [] : [`tag ${step.addTags.join(', ')}`]),
        ...(step.removeTags === undefined ? [] : [`untag ${step.removeTags.join(', ')}`]),
      ];
    case 'emit':
      return [`emit ${step.event}`];
    case 'end':
      return ['end'];
    default:
      return assertNever(step);
  }
}
