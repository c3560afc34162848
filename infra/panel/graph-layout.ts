/**
 * A journey laid out for drawing: boxes in layers from the trigger downwards, edges between them,
 * and the exit rule as a note. Pure and deterministic (the same journey always gives the same
 * picture), so a page that refreshes its counts never makes the boxes jump.
 *
 * The layered placement is @dagrejs/dagre's: it ranks the boxes into layers (network simplex), adds
 * a point in every layer a long edge crosses, orders each layer to cross fewer edges and gives every
 * box and point its x and y. It is given only the steps reached from the trigger and the edges that
 * go down. A loop's edge back (found by a search from the trigger, as the journey reads) and an
 * unreachable step's edges are ours to draw, as are the unreachable steps, in one row below the
 * rest. Of dagre's order and its first one, which reads like the file, we keep the file's unless
 * dagre's crosses fewer edges.
 *
 * Ours too: what each box says and how big it is (`./graph-layout/boxes.ts`, `./graph-layout/text.ts`),
 * the exit note beside the trigger, and the edges (`./graph-layout/edges.ts`): ports side by side on
 * a box, curves straight down through the layers dagre left them room in, labels in the gap below
 * their source, back edges up lanes on the right. dagre's own types do not resolve here; see
 * `./graph-layout/dagre.d.ts`.
 */
import { Graph, layout, type LayoutGraph, type LayoutOptions as DagreOptions } from '@dagrejs/dagre';
import type { Journey } from '../../shared/journey/schema.ts';
import {
  type Box,
  type BoxEdge,
  type Boxes,
  describeBoxes,
  describeExitNote,
  type NoteText,
} from './graph-layout/boxes.ts';
import { type Band, type Pass, routeEdges } from './graph-layout/edges.ts';
import { NODE_TEXT } from './graph-layout/text.ts';
import {
  type JourneyLayout,
  type LayoutEdge,
  type LayoutNode,
  type LayoutNote,
  type LayoutOptions,
  type Point,
  type Rect,
  TRIGGER_NODE_ID,
} from './graph-layout/types.ts';

export { edgePathData } from './graph-layout/curves.ts';
export { charsThatFit, NODE_TEXT, textWidth, type TextStyle } from './graph-layout/text.ts';
export * from './graph-layout/types.ts';

const MARGIN = 16;
const LAYER_GAP = 72;
const NODE_GAP = 48;
/** Between a long edge passing a layer and a box or another such edge beside it. */
const EDGE_GAP = 24;
const NOTE_GAP = 56;

export function layoutJourney(journey: Journey, options: LayoutOptions = {}): JourneyLayout {
  const graph = describeBoxes(journey, options.reserveCountRows ?? true);
  const search = searchFromTrigger(graph);
  const exitNote = describeExitNote(journey);
  const placed = placeReached(graph, search, exitNote);
  const nodes = [...placed.nodes, ...placeUnreached(graph, search, placed.nodes, exitNote)];
  const nodeById = new Map(nodes.map((node) => [node.id, node]));
  const edges = routeEdges(graph.edges, { nodeById, bands: bandsOf(nodes), passes: placed.passes });
  const note = placeNote(exitNote, nodeById.get(TRIGGER_NODE_ID));
  // The nodes in the order described: the trigger, the steps in file order, then missing steps.
  const order = new Map(graph.boxes.map((box, index) => [box.id, index]));
  nodes.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return framed(nodes, edges, note);
}

// ---- what dagre is given ----

interface Search {
  /** Nodes reached from the trigger. */
  reached: Set<string>;
  /** Edges that close a loop (to a node still being searched): drawn as back edges. */
  loopEdges: Set<BoxEdge>;
}

/**
 * Depth first from the trigger, each step's edges in the order its fields name them, so the edge
 * that closes a loop is the one that goes back the way the journey reads (a wait's timeout looping
 * to an earlier send), not whichever dagre's own cycle breaking would pick.
 */
function searchFromTrigger(graph: Boxes): Search {
  const reached = new Set<string>();
  const loopEdges = new Set<BoxEdge>();
  const active = new Set<string>();
  const visit = (id: string): void => {
    reached.add(id);
    active.add(id);
    for (const edge of graph.edges.filter((candidate) => candidate.from === id)) {
      if (active.has(edge.to)) loopEdges.add(edge);
      else if (!reached.has(edge.to)) visit(edge.to);
    }
    active.delete(id);
  };
  visit(TRIGGER_NODE_ID);
  return { reached, loopEdges };
}

interface Placed {
  nodes: LayoutNode[];
  passes: Map<BoxEdge, Pass[]>;
}

/** The boxes and edges given to dagre, with the names dagre knows them by. */
interface DagreInput {
  boxes: { box: Box; name: string }[];
  edges: { edge: BoxEdge; from: string; to: string }[];
  exitNote: NoteText | undefined;
}

/**
 * The reached boxes and the edges down between them, placed by dagre: in dagre's order, unless
 * that crosses no fewer edges than dagre's first order, which reads like the file (each box under
 * the first box it comes from, a step's paths left to right as its fields name them: cases, then
 * the default). dagre settles ties between equally good orders with a bias that mirrors such paths.
 */
function placeReached(graph: Boxes, search: Search, exitNote: NoteText | undefined): Placed {
  // dagre keeps nodes as keys of plain objects: names of our own, so no step id ("constructor",
  // or one of dagre's dummy names) can clash with anything there.
  const boxes = graph.boxes
    .filter((box) => search.reached.has(box.id))
    .map((box, index) => ({ box, name: `n${index}` }));
  const nameOf = new Map(boxes.map(({ box, name }) => [box.id, name]));
  const edges = graph.edges.flatMap((edge) => {
    const from = nameOf.get(edge.from);
    const to = nameOf.get(edge.to);
    return from === undefined || to === undefined || search.loopEdges.has(edge) ? [] : [{ edge, from, to }];
  });
  const input = { boxes, edges, exitNote };
  const asInFile = placeByDagre(input, { disableOptimalOrderHeuristic: true });
  const reordered = placeByDagre(input, {});
  return crossings(reordered) < crossings(asInFile) ? reordered : asInFile;
}

function placeByDagre({ boxes, edges, exitNote }: DagreInput, options: DagreOptions): Placed {
  const dagreGraph: LayoutGraph = new Graph();
  // Rows of boxes align at their tops, where their text starts. dagre halves `ranksep` around a
  // rank of its own in every gap (room for edge labels, which it is not given), so rows of boxes
  // are `LAYER_GAP` apart.
  dagreGraph.setGraph({
    rankdir: 'TB',
    rankalign: 'top',
    ranker: 'network-simplex',
    ranksep: LAYER_GAP,
    nodesep: NODE_GAP,
    edgesep: EDGE_GAP,
  });
  for (const { box, name } of boxes) {
    // The trigger's row is as tall as the exit note beside it, if that is taller.
    const height = box.id === TRIGGER_NODE_ID ? Math.max(box.height, exitNote?.height ?? 0) : box.height;
    dagreGraph.setNode(name, { width: box.width, height });
  }
  for (const { from, to } of edges) dagreGraph.setEdge(from, to, { minlen: 1, weight: 1, labelpos: 'c' });
  layout(dagreGraph, options);

  const placed = boxes.flatMap(({ box, name }) => {
    const label = dagreGraph.node(name);
    return label === undefined ? [] : [{ box, label }];
  });
  // dagre's ranks numbered from 0, leaving out the ranks in the gaps.
  const ranks = [...new Set(placed.map(({ label }) => label.rank ?? 0))].sort((a, b) => a - b);
  const nodes = placed.map(({ box, label }): LayoutNode => {
    const { x = 0, y = 0, rank = 0 } = label;
    // dagre's x and y are the centre of the height it was given.
    return {
      ...box,
      x: x - box.width / 2,
      y: y - label.height / 2,
      layer: ranks.indexOf(rank),
      reachable: true,
    };
  });
  // An edge's points are its ends on the boxes' outlines (ports replace them), then one for each
  // rank it crosses: a row of boxes, which it must pass beside, or a gap, where it may bend.
  const layerAtTop = new Map(nodes.map((node) => [Math.round(node.y), node.layer]));
  const passes = new Map(
    edges.map(({ edge, from, to }) => {
      const points = dagreGraph.edge(from, to)?.points ?? [];
      const edgePasses = points.slice(1, -1).flatMap((point): Pass[] => {
        const layer = layerAtTop.get(Math.round(point.y));
        return layer === undefined ? [] : [{ layer, x: point.x }];
      });
      return [edge, edgePasses];
    }),
  );
  return { nodes, passes };
}

/** Pairs of edges that cross between two adjacent rows, as drawn from box centre to box centre. */
function crossings({ nodes, passes }: Placed): number {
  const nodeById = new Map(nodes.map((node) => [node.id, node]));
  const segments = [...passes].flatMap(([edge, edgePasses]) => {
    const from = nodeById.get(edge.from);
    const to = nodeById.get(edge.to);
    if (from === undefined || to === undefined) return [];
    const stops = [{ layer: from.layer, x: centre(from) }, ...edgePasses, { layer: to.layer, x: centre(to) }];
    return stops.slice(1).map((stop, index) => {
      const start = stops[index] ?? stop;
      return { layer: start.layer, from: start.x, to: stop.x };
    });
  });
  let total = 0;
  segments.forEach((a, index) => {
    for (const b of segments.slice(index + 1)) {
      if (a.layer === b.layer && (a.from - b.from) * (a.to - b.to) < 0) total += 1;
    }
  });
  return total;
}

function centre(rect: Rect): number {
  return rect.x + rect.width / 2;
}

/** Steps the trigger never reaches: one row below the rest, under its middle, in file order. */
function placeUnreached(
  graph: Boxes,
  search: Search,
  reached: LayoutNode[],
  exitNote: NoteText | undefined,
): LayoutNode[] {
  const unreached = graph.boxes.filter((box) => !search.reached.has(box.id));
  if (unreached.length === 0) return [];
  const trigger = reached.find((node) => node.id === TRIGGER_NODE_ID);
  const noteBottom = trigger === undefined ? 0 : trigger.y + (exitNote?.height ?? 0);
  const top = Math.max(noteBottom, ...reached.map((node) => node.y + node.height)) + LAYER_GAP;
  const layer = Math.max(...reached.map((node) => node.layer)) + 1;
  const middle =
    (Math.min(...reached.map((node) => node.x)) + Math.max(...reached.map((node) => node.x + node.width))) /
    2;
  const rowWidth = unreached.reduce((sum, box) => sum + box.width, 0) + NODE_GAP * (unreached.length - 1);
  let x = middle - rowWidth / 2;
  return unreached.map((box): LayoutNode => {
    const node = { ...box, x, y: top, layer, reachable: false };
    x += box.width + NODE_GAP;
    return node;
  });
}

/** Each layer's top and bottom: its boxes share a top (dagre aligns them so, and so do we below). */
function bandsOf(nodes: LayoutNode[]): Band[] {
  const count = Math.max(...nodes.map((node) => node.layer)) + 1;
  return Array.from({ length: count }, (_, layer) => {
    const inLayer = nodes.filter((node) => node.layer === layer);
    const top = Math.min(...inLayer.map((node) => node.y));
    const bottom = Math.max(...inLayer.map((node) => node.y + node.height));
    return { top, bottom, labelY: bottom + LAYER_GAP / 2 };
  });
}

// ---- the note and the frame ----

function placeNote(note: NoteText | undefined, trigger: LayoutNode | undefined): LayoutNote | undefined {
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
