/**
 * A journey laid out for drawing: boxes in layers from the trigger downwards, edges between them,
 * and the exit rule as a note. Pure and deterministic (the same journey always gives the same
 * picture), so a page that refreshes its counts never makes the boxes jump.
 *
 * The method is the usual layered one, written small: layers by the longest path from the trigger
 * with the loops' back edges left out; a point in every layer a long edge crosses, so it bends
 * around boxes instead of through them; a few barycenter sweeps to order each layer with fewer
 * crossings; then each box pulled towards the boxes it is joined to, as far as its neighbours in
 * the layer allow. Back edges (a wait looping back) run up a lane to the right of the boxes they
 * pass.
 */
import { assertNever, labelledStepEdges, stepById } from '../../shared/journey/graph.ts';
import { type Journey, type Step, sendChannels } from '../../shared/journey/schema.ts';

/** The trigger's node id: not a valid step id, so it never clashes with one. */
export const TRIGGER_NODE_ID = '(trigger)';

/** `missing`: a step that another step names but the journey does not have (an invalid journey). */
export type LayoutNodeKind = 'trigger' | 'missing' | Step['type'];

export interface Point {
  x: number;
  y: number;
}

/** x and y are the top-left corner. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutNode extends Rect {
  /** The step id; `TRIGGER_NODE_ID` for the trigger. */
  id: string;
  kind: LayoutNodeKind;
  /** 0 for the trigger, then one per step of the longest path; unreachable steps share the last. */
  layer: number;
  reachable: boolean;
  /** The first line: the step id (or "trigger"), cut with an ellipsis when too long. */
  heading: string;
  /** What the step does in short words, wrapped to the box; a cut line ends in an ellipsis. */
  lines: string[];
  /** Everything the box says, uncut, with the step's description: for a tooltip. */
  fullText: string;
  /** Rows kept free under the lines for live counts (see `NODE_TEXT`); 0 for the trigger. */
  countRows: number;
}

export interface LayoutEdge {
  /** Node ids: a step id, or `TRIGGER_NODE_ID`. */
  from: string;
  to: string;
  /** "" when the edge needs none; parallel edges between two steps are one edge with both labels. */
  label: string;
  /** Where the label's background goes; undefined when there is no label. */
  labelBox: Rect | undefined;
  /**
   * A forward edge leaves the bottom of `from` and enters the top of `to`: join each pair of points
   * by a curve that leaves and arrives vertically (`edgePathData`). A back edge is a right-angled
   * path up a lane on the right; round its corners.
   */
  points: Point[];
  /** The edge goes to the same or an earlier layer: a loop, or an edge out of an unreachable step. */
  back: boolean;
}

export interface LayoutNote extends Rect {
  lines: string[];
  fullText: string;
}

export interface JourneyLayout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  /** "exits at any step on order.placed (goal)", beside the trigger; undefined without `exitOn`. */
  exitNote: LayoutNote | undefined;
}

export interface LayoutOptions {
  /** Keep rows free in each box for live counts (default true); false for a bare picture. */
  reserveCountRows?: boolean;
}

/** Sizes the renderer draws text with: the layout makes room for exactly these. */
export const NODE_TEXT = {
  width: 248,
  paddingX: 10,
  paddingY: 8,
  headingHeight: 18,
  headingFontSize: 13,
  lineHeight: 16,
  lineFontSize: 12,
  countsGap: 4,
  countRowHeight: 15,
  countFontSize: 11,
  labelFontSize: 11,
  labelHeight: 16,
} as const;

/**
 * Text is fitted to boxes by an estimate of a character's width in ems, without a font to measure
 * by: a little generous for prose, tighter for the counts (short words and digits).
 */
const CHAR_WIDTH_EM = { plain: 0.6, bold: 0.66, counts: 0.55 } as const;
export type TextStyle = keyof typeof CHAR_WIDTH_EM;

/** An estimate of how wide `text` is drawn. */
export function textWidth(text: string, fontSize: number, style: TextStyle = 'plain'): number {
  return [...text].length * fontSize * CHAR_WIDTH_EM[style];
}

/** How many characters fit in `width` by that estimate. */
export function charsThatFit(width: number, fontSize: number, style: TextStyle = 'plain'): number {
  return Math.max(1, Math.floor(width / (fontSize * CHAR_WIDTH_EM[style])));
}

const MAX_LINES = 3;
const MARGIN = 16;
const LAYER_GAP = 72;
const NODE_GAP = 48;
const DUMMY_GAP = 24;
const DUMMY_WIDTH = 12;
const NOTE_GAP = 56;
const LANE_GAP = 24;
const LANE_STEP = 14;
/** Where a back edge runs horizontally: this far below its source's layer and above its target's. */
const BACK_EDGE_OFFSET = 10;
const BACK_EDGE_STAGGER = 6;
const BACK_PORT_INSET = 14;
const BACK_PORT_STEP = 10;
const MAX_PORT_SPACING = 72;
const LABEL_GAP = 6;
const ORDER_SWEEPS = 6;
/** Even, so the sweeps end going down. */
const PLACEMENT_SWEEPS = 8;
/** A long edge's points weigh more when boxes are pulled into place, so long edges stay straight. */
const DUMMY_WEIGHT = 2;

export function layoutJourney(journey: Journey, options: LayoutOptions = {}): JourneyLayout {
  const reserveCountRows = options.reserveCountRows ?? true;
  const graph = describeGraph(journey, reserveCountRows);
  const search = depthFirst(graph);
  const layerOf = assignLayers(graph, search);
  const layers = buildLayers(graph, layerOf);
  orderLayers(layers);
  placeHorizontally(layers.items);

  const exitNote = describeExitNote(journey);
  const layerTops = placeVertically(layers.items, exitNote);
  const nodes = graph.boxes.map((box): LayoutNode => {
    const item = layers.itemOfNode.get(box.id);
    const layer = layerOf.get(box.id) ?? 0;
    return {
      ...box,
      layer,
      reachable: search.visited.has(box.id),
      x: (item?.x ?? 0) - box.width / 2,
      y: layerTops[layer] ?? 0,
    };
  });
  const nodeById = new Map(nodes.map((node) => [node.id, node]));
  const edges = routeEdges(graph.edges, layers, nodeById, layerTops);
  const note = placeNote(exitNote, nodeById.get(TRIGGER_NODE_ID));
  return framed(nodes, edges, note);
}

// ---- what each box says ----

interface Box {
  id: string;
  kind: LayoutNodeKind;
  heading: string;
  lines: string[];
  fullText: string;
  countRows: number;
  width: number;
  height: number;
}

interface GraphEdge {
  index: number;
  from: string;
  to: string;
  label: string;
}

interface Graph {
  /** The trigger, then the steps in file order, then missing steps in the order first named. */
  boxes: Box[];
  edges: GraphEdge[];
  outgoing: Map<string, GraphEdge[]>;
}

function describeGraph(journey: Journey, reserveCountRows: boolean): Graph {
  const boxes: Box[] = [box(TRIGGER_NODE_ID, 'trigger', 'trigger', triggerPhrases(journey), '', 0)];
  const edges: GraphEdge[] = [];
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
  const outgoing = new Map<string, GraphEdge[]>(boxes.map((node) => [node.id, []]));
  for (const edge of edges) outgoing.get(edge.from)?.push(edge);
  return { boxes, edges, outgoing };
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
      return [`send ${sendChannels(step).join(' / ')}`, `${step.template} (${step.category})`];
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

function describeExitNote(
  journey: Journey,
): { lines: string[]; fullText: string; height: number } | undefined {
  if (journey.exitOn.length === 0) return undefined;
  const exits = journey.exitOn.map(
    (exit) => `${exit.event}${exit.filter === undefined ? '' : ' (filtered)'}${exit.goal ? ' (goal)' : ''}`,
  );
  const fullText = `exits at any step on ${exits.join(', ')}`;
  const inner = NODE_TEXT.width - 2 * NODE_TEXT.paddingX;
  const lines = wrapPhrases([fullText], charsThatFit(inner, NODE_TEXT.lineFontSize), MAX_LINES + 1);
  return { lines, fullText, height: 2 * NODE_TEXT.paddingY + lines.length * NODE_TEXT.lineHeight };
}

/** Each phrase on its own line(s), words wrapped; past `maxLines` the last line ends in "…". */
function wrapPhrases(phrases: string[], maxChars: number, maxLines: number): string[] {
  const lines = phrases.flatMap((phrase) => wrapWords(phrase, maxChars));
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept.pop() ?? '';
  return [...kept, cut(`${last}…`, maxChars, true)];
}

function wrapWords(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if ([...candidate].length <= maxChars) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    // A word longer than a line (a long event or template name) is broken after a "-" or "."
    // where it has one far enough in, or else where it must be.
    let rest = [...word];
    while (rest.length > maxChars) {
      const head = rest.slice(0, maxChars);
      const breakAfter = Math.max(head.lastIndexOf('-'), head.lastIndexOf('.'), head.lastIndexOf('_'));
      const length = breakAfter >= maxChars / 3 ? breakAfter + 1 : maxChars;
      lines.push(rest.slice(0, length).join(''));
      rest = rest.slice(length);
    }
    line = rest.join('');
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

/** `text` cut to `maxChars`, ending in "…" when cut (or when `alreadyCut`). */
function cut(text: string, maxChars: number, alreadyCut = false): string {
  const characters = [...text];
  if (characters.length <= maxChars && !alreadyCut) return text;
  if (characters.length <= maxChars) return text.endsWith('…') ? text : `${text}…`;
  const kept = characters
    .slice(0, maxChars - 1)
    .join('')
    .trimEnd();
  return `${kept}…`;
}

// ---- layers ----

interface Search {
  /** Nodes reached from the trigger. */
  visited: Set<string>;
  /** Reached nodes, each after everything it leads to (without loops): reversed, a topological order. */
  finished: string[];
  /** Edges that close a loop (to a node still being searched). */
  loopEdges: Set<GraphEdge>;
}

function depthFirst(graph: Graph): Search {
  const visited = new Set<string>();
  const finished: string[] = [];
  const loopEdges = new Set<GraphEdge>();
  const active = new Set<string>();
  const visit = (id: string): void => {
    visited.add(id);
    active.add(id);
    for (const edge of graph.outgoing.get(id) ?? []) {
      if (active.has(edge.to)) loopEdges.add(edge);
      else if (!visited.has(edge.to)) visit(edge.to);
    }
    active.delete(id);
    finished.push(id);
  };
  visit(TRIGGER_NODE_ID);
  return { visited, finished, loopEdges };
}

/** The longest path from the trigger without the loops' back edges; unreachable nodes one layer past it. */
function assignLayers(graph: Graph, search: Search): Map<string, number> {
  const layerOf = new Map<string, number>([[TRIGGER_NODE_ID, 0]]);
  for (const id of [...search.finished].reverse()) {
    const layer = layerOf.get(id) ?? 0;
    for (const edge of graph.outgoing.get(id) ?? []) {
      if (search.loopEdges.has(edge)) continue;
      layerOf.set(edge.to, Math.max(layerOf.get(edge.to) ?? 0, layer + 1));
    }
  }
  const lastReached = Math.max(...layerOf.values());
  for (const node of graph.boxes) {
    if (!search.visited.has(node.id)) layerOf.set(node.id, lastReached + 1);
  }
  return layerOf;
}

interface LayerItem {
  /** Undefined for a point of a long edge in a layer it crosses. */
  node: Box | undefined;
  width: number;
  layer: number;
  x: number;
  /** Items joined to this one in the layer above and below. */
  above: LayerItem[];
  below: LayerItem[];
}

interface Layers {
  items: LayerItem[][];
  itemOfNode: Map<string, LayerItem>;
  /** For each edge that goes down: its items from source to target, long edges' points between. */
  chains: Map<GraphEdge, LayerItem[]>;
}

function buildLayers(graph: Graph, layerOf: Map<string, number>): Layers {
  const count = Math.max(...layerOf.values()) + 1;
  const items: LayerItem[][] = Array.from({ length: count }, () => []);
  const itemOfNode = new Map<string, LayerItem>();
  graph.boxes.forEach((node) => {
    const layer = layerOf.get(node.id) ?? 0;
    const item: LayerItem = { node, width: node.width, layer, x: 0, above: [], below: [] };
    items[layer]?.push(item);
    itemOfNode.set(node.id, item);
  });
  const chains = new Map<GraphEdge, LayerItem[]>();
  /** For each item, the edges (by index) that come into it from the layer above. */
  const entries = new Map<LayerItem, { from: LayerItem; edgeIndex: number }[]>();
  for (const edge of graph.edges) {
    const source = itemOfNode.get(edge.from);
    const target = itemOfNode.get(edge.to);
    if (source === undefined || target === undefined || target.layer <= source.layer) continue;
    const chain = [source];
    for (let layer = source.layer + 1; layer < target.layer; layer += 1) {
      const point: LayerItem = { node: undefined, width: DUMMY_WIDTH, layer, x: 0, above: [], below: [] };
      items[layer]?.push(point);
      chain.push(point);
    }
    chain.push(target);
    chain.forEach((item, index) => {
      const next = chain[index + 1];
      if (next === undefined) return;
      item.below.push(next);
      next.above.push(item);
      entries.set(next, [...(entries.get(next) ?? []), { from: item, edgeIndex: edge.index }]);
    });
    chains.set(edge, chain);
  }
  // The first order reads like the file: each item under the first item it comes from, and a
  // step's successors in the order its fields name them (cases left to right, the default last).
  // Items that nothing above leads to (unreachable steps) keep the file's order, after the rest.
  items.forEach((layer, index) => {
    const above = new Map((items[index - 1] ?? []).map((item, at) => [item, at]));
    const key = new Map(
      layer.map((item, at): [LayerItem, [number, number, number]] => {
        const keys = (entries.get(item) ?? []).map(({ from, edgeIndex }): [number, number, number] => [
          above.get(from) ?? Infinity,
          edgeIndex,
          at,
        ]);
        const first = keys.sort(compareKeys)[0];
        return [item, first ?? [Infinity, Infinity, at]];
      }),
    );
    layer.sort((a, b) => compareKeys(key.get(a) ?? [0, 0, 0], key.get(b) ?? [0, 0, 0]));
  });
  return { items, itemOfNode, chains };
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (const [index, value] of a.entries()) {
    const other = b[index] ?? 0;
    if (value !== other) return value < other ? -1 : 1;
  }
  return 0;
}

/** Barycenter sweeps down and up; the order with the fewest crossings seen is kept. */
function orderLayers(layers: Layers): void {
  let best = layers.items.map((layer) => [...layer]);
  let fewest = crossings(best);
  for (let sweep = 0; sweep < ORDER_SWEEPS && fewest > 0; sweep += 1) {
    const downwards = sweep % 2 === 0;
    const indices = layers.items.map((_, index) => index);
    for (const index of downwards ? indices.slice(1) : indices.reverse().slice(1)) {
      const layer = layers.items[index];
      const reference = layers.items[downwards ? index - 1 : index + 1];
      if (layer === undefined || reference === undefined) continue;
      const position = new Map(reference.map((item, at) => [item, at]));
      const scale = reference.length / Math.max(1, layer.length);
      const barycenter = new Map(
        layer.map((item, at) => {
          const joined = downwards ? item.above : item.below;
          const positions = joined.flatMap((other) => {
            const found = position.get(other);
            return found === undefined ? [] : [found];
          });
          return [item, positions.length === 0 ? at * scale : mean(positions)];
        }),
      );
      layer.sort((a, b) => (barycenter.get(a) ?? 0) - (barycenter.get(b) ?? 0));
    }
    const count = crossings(layers.items);
    if (count < fewest) {
      fewest = count;
      best = layers.items.map((layer) => [...layer]);
    }
  }
  best.forEach((layer, index) => {
    layers.items[index] = layer;
  });
}

/** Pairs of edge segments that cross between adjacent layers. */
function crossings(items: LayerItem[][]): number {
  let total = 0;
  items.forEach((layer, index) => {
    const lower = items[index + 1];
    if (lower === undefined) return;
    const lowerPosition = new Map(lower.map((item, at) => [item, at]));
    const segments: [number, number][] = [];
    layer.forEach((item, at) => {
      for (const next of item.below) {
        const position = lowerPosition.get(next);
        if (position !== undefined) segments.push([at, position]);
      }
    });
    segments.forEach(([upperA, lowerA], first) => {
      for (const [upperB, lowerB] of segments.slice(first + 1)) {
        if ((upperA - upperB) * (lowerA - lowerB) < 0) total += 1;
      }
    });
  });
  return total;
}

/**
 * Centres each item (x) as near the items it is joined to as the order and gaps allow: sweeps down
 * (towards what leads in) and up (towards what follows), ending with a downward one, so a chain of
 * steps hangs straight under the trigger and the paths out of a step spread evenly beneath it.
 */
function placeHorizontally(items: LayerItem[][]): void {
  for (const layer of items) {
    const desired = layer.map(() => 0);
    placeInOrder(layer, desired);
  }
  for (let sweep = 0; sweep <= PLACEMENT_SWEEPS; sweep += 1) {
    const downwards = sweep % 2 === 0;
    const order = downwards ? items : [...items].reverse();
    for (const layer of order) {
      const desired = layer.map((item) => {
        const joined = downwards ? item.above : item.below;
        return joined.length === 0 ? item.x : mean(joined.map((other) => other.x));
      });
      placeInOrder(layer, desired);
    }
  }
  // Nothing pulls on unreachable steps (no edge comes down to them): they go under the middle.
  const linked = items.flat().filter((item) => item.above.length > 0 || item.below.length > 0);
  const lefts = linked.map((item) => item.x - item.width / 2);
  const rights = linked.map((item) => item.x + item.width / 2);
  const middle = lefts.length === 0 ? 0 : (Math.min(...lefts) + Math.max(...rights)) / 2;
  for (const layer of items) {
    if (layer.length === 0 || !layer.every((item) => item.above.length === 0 && item.below.length === 0))
      continue;
    placeInOrder(
      layer,
      layer.map(() => middle),
    );
  }
}

function gapBetween(left: LayerItem, right: LayerItem): number {
  const gap = left.node !== undefined && right.node !== undefined ? NODE_GAP : DUMMY_GAP;
  return (left.width + right.width) / 2 + gap;
}

/**
 * The positions nearest `desired` (least squares, weighted) that keep the layer's order and gaps:
 * isotonic regression by pooling adjacent violators, after taking the gaps out.
 */
function placeInOrder(layer: LayerItem[], desired: number[]): void {
  const offsets: number[] = [];
  let offset = 0;
  layer.forEach((item, index) => {
    const previous = layer[index - 1];
    if (previous !== undefined) offset += gapBetween(previous, item);
    offsets.push(offset);
  });
  interface Block {
    total: number;
    weight: number;
    size: number;
  }
  const blocks: Block[] = [];
  layer.forEach((item, index) => {
    const weight = item.node === undefined ? DUMMY_WEIGHT : 1;
    const value = (desired[index] ?? 0) - (offsets[index] ?? 0);
    blocks.push({ total: value * weight, weight, size: 1 });
    for (;;) {
      const last = blocks[blocks.length - 1];
      const before = blocks[blocks.length - 2];
      if (last === undefined || before === undefined) break;
      if (before.total / before.weight <= last.total / last.weight) break;
      blocks.splice(blocks.length - 2, 2, {
        total: before.total + last.total,
        weight: before.weight + last.weight,
        size: before.size + last.size,
      });
    }
  });
  let index = 0;
  for (const block of blocks) {
    for (let member = 0; member < block.size; member += 1) {
      const item = layer[index];
      if (item !== undefined) item.x = block.total / block.weight + (offsets[index] ?? 0);
      index += 1;
    }
  }
}

/** The top of each layer; the trigger's layer is as tall as the exit note beside it, if taller. */
function placeVertically(items: LayerItem[][], exitNote: { height: number } | undefined): number[] {
  const tops: number[] = [];
  let top = 0;
  items.forEach((layer, index) => {
    tops.push(top);
    const heights = layer.map((item) => item.node?.height ?? 0);
    if (index === 0 && exitNote !== undefined) heights.push(exitNote.height);
    top += Math.max(0, ...heights) + LAYER_GAP;
  });
  return tops;
}

function layerBottom(items: LayerItem[][], layerTops: number[], layer: number): number {
  const heights = (items[layer] ?? []).map((item) => item.node?.height ?? 0);
  return (layerTops[layer] ?? 0) + Math.max(0, ...heights);
}

// ---- edges ----

function routeEdges(
  graphEdges: GraphEdge[],
  layers: Layers,
  nodeById: Map<string, LayoutNode>,
  layerTops: number[],
): LayoutEdge[] {
  const routed = new Map<GraphEdge, LayoutEdge>();
  const forward = graphEdges.filter((edge) => layers.chains.has(edge));
  const backward = graphEdges.filter((edge) => !layers.chains.has(edge));

  // Several edges out of (or into) one box leave (or enter) side by side, in the order of where
  // they go (or come from), so they do not cross at the box.
  const outPorts = ports(forward, layers, nodeById, 'out');
  const inPorts = ports(forward, layers, nodeById, 'in');
  for (const edge of forward) {
    const chain = layers.chains.get(edge) ?? [];
    const source = nodeById.get(edge.from);
    const target = nodeById.get(edge.to);
    if (source === undefined || target === undefined) continue;
    const points: Point[] = [{ x: outPorts.get(edge) ?? centre(source), y: source.y + source.height }];
    for (const point of chain.slice(1, -1)) {
      points.push({ x: point.x, y: layerTops[point.layer] ?? 0 });
      points.push({ x: point.x, y: layerBottom(layers.items, layerTops, point.layer) });
    }
    points.push({ x: inPorts.get(edge) ?? centre(target), y: target.y });
    routed.set(edge, {
      from: edge.from,
      to: edge.to,
      label: edge.label,
      labelBox: undefined,
      points,
      back: false,
    });
  }
  placeForwardLabels(forward, routed, nodeById, layers, layerTops);

  const lanes: { top: number; bottom: number; right: number }[] = [];
  const leaving = new Map<string, number>();
  const entering = new Map<string, number>();
  const leavingLayer = new Map<number, number>();
  const enteringLayer = new Map<number, number>();
  // Short loops take the inner lanes, so lanes nest instead of crossing.
  const bySpan = [...backward].sort((a, b) => span(a, nodeById) - span(b, nodeById) || a.index - b.index);
  for (const edge of bySpan) {
    const source = nodeById.get(edge.from);
    const target = nodeById.get(edge.to);
    if (source === undefined || target === undefined) continue;
    const sourceBottom = layerBottom(layers.items, layerTops, source.layer);
    const exitIndex = take(leaving, source.id);
    const entryIndex = take(entering, target.id);
    const lowY = sourceBottom + BACK_EDGE_OFFSET + BACK_EDGE_STAGGER * take(leavingLayer, source.layer);
    const highY = target.y - BACK_EDGE_OFFSET - BACK_EDGE_STAGGER * take(enteringLayer, target.layer);
    const exitX = source.x + source.width - BACK_PORT_INSET - BACK_PORT_STEP * exitIndex;
    const entryX = target.x + target.width - BACK_PORT_INSET - BACK_PORT_STEP * entryIndex;

    // Every box and label in the layers passed must stay left of the lane.
    const boxesPassed = layers.items
      .slice(target.layer, source.layer + 1)
      .flat()
      .map((item) => item.x + item.width / 2);
    const labelsPassed = [...routed.values()]
      .filter((other) => !other.back)
      .filter((other) => {
        const from = nodeById.get(other.from);
        return from !== undefined && from.layer >= target.layer - 1 && from.layer <= source.layer;
      })
      .flatMap((other) => rightOf(other.labelBox));
    let laneX = Math.max(...boxesPassed, ...labelsPassed, exitX, entryX) + LANE_GAP;
    for (const lane of lanes) {
      if (lane.top <= lowY && lane.bottom >= highY) laneX = Math.max(laneX, lane.right + LANE_STEP);
    }
    const labelWidth = edge.label === '' ? 0 : textWidth(edge.label, NODE_TEXT.labelFontSize) + 8;
    const labelBox: Rect | undefined =
      edge.label === ''
        ? undefined
        : {
            x: laneX + 4,
            y: (lowY + highY) / 2 - NODE_TEXT.labelHeight / 2,
            width: labelWidth,
            height: NODE_TEXT.labelHeight,
          };
    lanes.push({ top: highY, bottom: lowY, right: laneX + (labelBox === undefined ? 0 : labelWidth + 4) });
    routed.set(edge, {
      from: edge.from,
      to: edge.to,
      label: edge.label,
      labelBox,
      points: [
        { x: exitX, y: source.y + source.height },
        { x: exitX, y: lowY },
        { x: laneX, y: lowY },
        { x: laneX, y: highY },
        { x: entryX, y: highY },
        { x: entryX, y: target.y },
      ],
      back: true,
    });
  }
  return graphEdges.flatMap((edge) => {
    const found = routed.get(edge);
    return found === undefined ? [] : [found];
  });
}

function rightOf(rect: Rect | undefined): number[] {
  return rect === undefined ? [] : [rect.x + rect.width];
}

function span(edge: GraphEdge, nodeById: Map<string, LayoutNode>): number {
  return (nodeById.get(edge.from)?.layer ?? 0) - (nodeById.get(edge.to)?.layer ?? 0);
}

/** The count so far for `key`, then one more. */
function take<Key>(counter: Map<Key, number>, key: Key): number {
  const count = counter.get(key) ?? 0;
  counter.set(key, count + 1);
  return count;
}

function centre(rect: Rect): number {
  return rect.x + rect.width / 2;
}

function ports(
  edges: GraphEdge[],
  layers: Layers,
  nodeById: Map<string, LayoutNode>,
  side: 'out' | 'in',
): Map<GraphEdge, number> {
  const byNode = new Map<string, { edge: GraphEdge; towards: number }[]>();
  for (const edge of edges) {
    const chain = layers.chains.get(edge) ?? [];
    const neighbour = side === 'out' ? chain[1] : chain[chain.length - 2];
    const id = side === 'out' ? edge.from : edge.to;
    const list = byNode.get(id) ?? [];
    list.push({ edge, towards: neighbour?.x ?? 0 });
    byNode.set(id, list);
  }
  const result = new Map<GraphEdge, number>();
  for (const [id, list] of byNode) {
    const node = nodeById.get(id);
    if (node === undefined) continue;
    list.sort((a, b) => a.towards - b.towards || a.edge.index - b.edge.index);
    // Ports stay clear of the right-hand corner, where back edges leave and enter.
    const lowest = node.x + BACK_PORT_INSET;
    const highest = node.x + node.width - BACK_PORT_INSET - 3 * BACK_PORT_STEP;
    const spacing = list.length > 1 ? Math.min(MAX_PORT_SPACING, (highest - lowest) / (list.length - 1)) : 0;
    const spread = spacing * (list.length - 1);
    const first = Math.min(centre(node) - spread / 2, highest - spread);
    list.forEach(({ edge }, index) => result.set(edge, first + spacing * index));
  }
  return result;
}

/**
 * Each label sits on its edge in the middle of the gap below the edge's source, then labels in the
 * same gap are pushed apart from left to right so none covers another.
 */
function placeForwardLabels(
  forward: GraphEdge[],
  routed: Map<GraphEdge, LayoutEdge>,
  nodeById: Map<string, LayoutNode>,
  layers: Layers,
  layerTops: number[],
): void {
  const byGap = new Map<number, LayoutEdge[]>();
  for (const edge of forward) {
    const layoutEdge = routed.get(edge);
    const source = nodeById.get(edge.from);
    if (layoutEdge === undefined || source === undefined || edge.label === '') continue;
    const [start, next] = layoutEdge.points;
    if (start === undefined || next === undefined) continue;
    const y = layerBottom(layers.items, layerTops, source.layer) + LAYER_GAP / 2;
    const x = curveXAt(start, next, y);
    const width = textWidth(edge.label, NODE_TEXT.labelFontSize) + 8;
    layoutEdge.labelBox = {
      x: x - width / 2,
      y: y - NODE_TEXT.labelHeight / 2,
      width,
      height: NODE_TEXT.labelHeight,
    };
    const list = byGap.get(source.layer) ?? [];
    list.push(layoutEdge);
    byGap.set(source.layer, list);
  }
  for (const list of byGap.values()) {
    const boxes = list.flatMap((edge) => (edge.labelBox === undefined ? [] : [edge.labelBox]));
    boxes.sort((a, b) => a.x - b.x);
    boxes.forEach((labelBox, index) => {
      const previous = boxes[index - 1];
      if (previous !== undefined) labelBox.x = Math.max(labelBox.x, previous.x + previous.width + LABEL_GAP);
    });
  }
}

/**
 * x where the curve from `start` down to `end` (leaving and arriving vertically, as
 * `edgePathData` draws it) crosses the height `y`.
 */
function curveXAt(start: Point, end: Point, y: number): number {
  const at = (t: number): Point => curvePoint(start, end, t);
  let low = 0;
  let high = 1;
  for (let step = 0; step < 40; step += 1) {
    const middle = (low + high) / 2;
    if (at(middle).y < y) low = middle;
    else high = middle;
  }
  return at((low + high) / 2).x;
}

function curvePoint(start: Point, end: Point, t: number): Point {
  const bend = (end.y - start.y) / 2;
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return {
    x: (a + b) * start.x + (c + d) * end.x,
    y: a * start.y + b * (start.y + bend) + c * (end.y - bend) + d * end.y,
  };
}

/**
 * SVG path data for an edge: forward edges as vertical S-curves through their points, back edges
 * as right angles with rounded corners.
 */
export function edgePathData(edge: LayoutEdge): string {
  const [first, ...rest] = edge.points;
  if (first === undefined) return '';
  const parts = [`M${format(first.x)} ${format(first.y)}`];
  if (edge.back) {
    const radius = 10;
    edge.points.forEach((corner, index) => {
      const before = edge.points[index - 1];
      const after = edge.points[index + 1];
      if (before === undefined) return;
      if (after === undefined) {
        parts.push(`L${format(corner.x)} ${format(corner.y)}`);
        return;
      }
      const r = Math.min(radius, distance(before, corner) / 2, distance(corner, after) / 2);
      const into = towards(corner, before, r);
      const out = towards(corner, after, r);
      parts.push(`L${format(into.x)} ${format(into.y)}`);
      parts.push(`Q${format(corner.x)} ${format(corner.y)} ${format(out.x)} ${format(out.y)}`);
    });
    return parts.join(' ');
  }
  let previous = first;
  for (const point of rest) {
    if (point.x === previous.x) {
      parts.push(`L${format(point.x)} ${format(point.y)}`);
    } else {
      const bend = (point.y - previous.y) / 2;
      parts.push(
        `C${format(previous.x)} ${format(previous.y + bend)} ${format(point.x)} ${format(point.y - bend)} ${format(point.x)} ${format(point.y)}`,
      );
    }
    previous = point;
  }
  return parts.join(' ');
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** The point `length` from `from` in the direction of `to`. */
function towards(from: Point, to: Point, length: number): Point {
  const total = distance(from, to);
  if (total === 0) return from;
  return { x: from.x + ((to.x - from.x) * length) / total, y: from.y + ((to.y - from.y) * length) / total };
}

function format(value: number): string {
  return String(Math.round(value * 10) / 10);
}

// ---- the note and the frame ----

function placeNote(
  note: { lines: string[]; fullText: string; height: number } | undefined,
  trigger: LayoutNode | undefined,
): LayoutNote | undefined {
  if (note === undefined || trigger === undefined) return undefined;
  return {
    lines: note.lines,
    fullText: note.fullText,
    x: trigger.x + trigger.width + NOTE_GAP,
    y: trigger.y,
    width: NODE_TEXT.width,
    height: note.height,
  };
}

/** Everything moved so the drawing starts at the margin, and the size that holds it all. */
function framed(nodes: LayoutNode[], edges: LayoutEdge[], note: LayoutNote | undefined): JourneyLayout {
  const rects: Rect[] = [
    ...nodes,
    ...(note === undefined ? [] : [note]),
    ...edges.flatMap((edge) => (edge.labelBox === undefined ? [] : [edge.labelBox])),
    ...edges.flatMap((edge) => edge.points.map((point) => ({ ...point, width: 0, height: 0 }))),
  ];
  const left = Math.min(...rects.map((rect) => rect.x));
  const top = Math.min(...rects.map((rect) => rect.y));
  const right = Math.max(...rects.map((rect) => rect.x + rect.width));
  const bottom = Math.max(...rects.map((rect) => rect.y + rect.height));
  const dx = MARGIN - left;
  const dy = MARGIN - top;
  const move = <T extends Point>(thing: T): T => ({
    ...thing,
    x: round(thing.x + dx),
    y: round(thing.y + dy),
  });
  return {
    width: Math.ceil(right - left + 2 * MARGIN),
    height: Math.ceil(bottom - top + 2 * MARGIN),
    nodes: nodes.map(move),
    edges: edges.map((edge) => ({
      ...edge,
      labelBox: edge.labelBox === undefined ? undefined : move(edge.labelBox),
      points: edge.points.map(move),
    })),
    exitNote: note === undefined ? undefined : move(note),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}
