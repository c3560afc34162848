/**
 * The edges drawn between placed boxes. A forward edge leaves the bottom of its step through a port
 * of its own, passes each layer between its ends where the layout left it room, and enters the top
 * of its target; its label sits in the gap below its source. A back edge (a loop, or an edge out of
 * an unreachable step) runs up a lane to the right of everything it passes, short loops in the inner
 * lanes so lanes nest instead of crossing.
 */
import type { BoxEdge } from './boxes.ts';
import { curveXAt } from './curves.ts';
import { NODE_TEXT, textWidth } from './text.ts';
import type { LayoutEdge, LayoutNode, Point, Rect } from './types.ts';

const LANE_GAP = 24;
const LANE_STEP = 14;
/** Where a back edge runs horizontally: this far below its source's layer and above its target's. */
const BACK_EDGE_OFFSET = 10;
const BACK_EDGE_STAGGER = 6;
const BACK_PORT_INSET = 14;
const BACK_PORT_STEP = 10;
const MAX_PORT_SPACING = 72;
const LABEL_GAP = 6;

/** Where one layer's boxes are, top to bottom. */
export interface Band {
  top: number;
  bottom: number;
  /** Where the labels of the edges that leave this layer go: in the middle of the gap below it. */
  labelY: number;
}

/** Where a forward edge goes through a layer between its ends, clear of that layer's boxes. */
export interface Pass {
  layer: number;
  x: number;
}

export interface Placement {
  nodeById: ReadonlyMap<string, LayoutNode>;
  /** Indexed by layer. */
  bands: readonly Band[];
  /** Every forward edge, with the layers it passes (none between adjacent layers); back edges are absent. */
  passes: ReadonlyMap<BoxEdge, readonly Pass[]>;
}

/** The edges in their given order, each routed; an edge to or from a box not placed is left out. */
export function routeEdges(edges: BoxEdge[], placement: Placement): LayoutEdge[] {
  const forward = edges.filter((edge) => placement.passes.has(edge));
  const backward = edges.filter((edge) => !placement.passes.has(edge));
  const routed = routeForward(forward, placement);
  routeBackward(backward, placement, routed);
  return edges.flatMap((edge) => {
    const found = routed.get(edge);
    return found === undefined ? [] : [found];
  });
}

function routeForward(forward: BoxEdge[], placement: Placement): Map<BoxEdge, LayoutEdge> {
  const { nodeById, bands, passes } = placement;
  const routed = new Map<BoxEdge, LayoutEdge>();
  // Several edges out of (or into) one box leave (or enter) side by side, in the order of where
  // they go (or come from), so they do not cross at the box.
  const outPorts = ports(forward, placement, 'out');
  const inPorts = ports(forward, placement, 'in');
  for (const edge of forward) {
    const source = nodeById.get(edge.from);
    const target = nodeById.get(edge.to);
    if (source === undefined || target === undefined) continue;
    const points: Point[] = [{ x: outPorts.get(edge) ?? centre(source), y: source.y + source.height }];
    // Straight down through each layer passed, so the curves bend only in the gaps between boxes.
    for (const pass of passes.get(edge) ?? []) {
      const band = bands[pass.layer];
      if (band === undefined) continue;
      points.push({ x: pass.x, y: band.top }, { x: pass.x, y: band.bottom });
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
  placeForwardLabels(forward, routed, placement);
  return routed;
}

function ports(edges: BoxEdge[], placement: Placement, side: 'out' | 'in'): Map<BoxEdge, number> {
  const { nodeById, passes } = placement;
  const byNode = new Map<string, { edge: BoxEdge; towards: number }[]>();
  for (const edge of edges) {
    const edgePasses = passes.get(edge) ?? [];
    const neighbourPass = side === 'out' ? edgePasses[0] : edgePasses[edgePasses.length - 1];
    const neighbour = nodeById.get(side === 'out' ? edge.to : edge.from);
    const towards = neighbourPass?.x ?? (neighbour === undefined ? 0 : centre(neighbour));
    const id = side === 'out' ? edge.from : edge.to;
    const list = byNode.get(id) ?? [];
    list.push({ edge, towards });
    byNode.set(id, list);
  }
  const result = new Map<BoxEdge, number>();
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
  forward: BoxEdge[],
  routed: Map<BoxEdge, LayoutEdge>,
  placement: Placement,
): void {
  const byGap = new Map<number, Rect[]>();
  for (const edge of forward) {
    const layoutEdge = routed.get(edge);
    const source = placement.nodeById.get(edge.from);
    const band = source === undefined ? undefined : placement.bands[source.layer];
    if (layoutEdge === undefined || source === undefined || band === undefined || edge.label === '') continue;
    const [start, next] = layoutEdge.points;
    if (start === undefined || next === undefined) continue;
    const x = curveXAt(start, next, band.labelY);
    const width = labelWidth(edge.label);
    const labelBox = {
      x: x - width / 2,
      y: band.labelY - NODE_TEXT.labelHeight / 2,
      width,
      height: NODE_TEXT.labelHeight,
    };
    layoutEdge.labelBox = labelBox;
    byGap.set(source.layer, [...(byGap.get(source.layer) ?? []), labelBox]);
  }
  for (const boxes of byGap.values()) {
    boxes.sort((a, b) => a.x - b.x);
    boxes.forEach((labelBox, index) => {
      const previous = boxes[index - 1];
      if (previous !== undefined) labelBox.x = Math.max(labelBox.x, previous.x + previous.width + LABEL_GAP);
    });
  }
}

function routeBackward(backward: BoxEdge[], placement: Placement, routed: Map<BoxEdge, LayoutEdge>): void {
  const { nodeById, bands, passes } = placement;
  const forwardRoutes = [...routed.values()];
  const lanes: { top: number; bottom: number; right: number }[] = [];
  const leaving = new Map<string, number>();
  const entering = new Map<string, number>();
  const leavingLayer = new Map<number, number>();
  const enteringLayer = new Map<number, number>();
  const span = (edge: BoxEdge): number =>
    (nodeById.get(edge.from)?.layer ?? 0) - (nodeById.get(edge.to)?.layer ?? 0);
  // Short loops take the inner lanes, so lanes nest instead of crossing.
  const bySpan = [...backward].sort((a, b) => span(a) - span(b) || a.index - b.index);
  for (const edge of bySpan) {
    const source = nodeById.get(edge.from);
    const target = nodeById.get(edge.to);
    if (source === undefined || target === undefined) continue;
    const sourceBottom = bands[source.layer]?.bottom ?? source.y + source.height;
    const exitIndex = take(leaving, source.id);
    const entryIndex = take(entering, target.id);
    const lowY = sourceBottom + BACK_EDGE_OFFSET + BACK_EDGE_STAGGER * take(leavingLayer, source.layer);
    const highY = target.y - BACK_EDGE_OFFSET - BACK_EDGE_STAGGER * take(enteringLayer, target.layer);
    const exitX = source.x + source.width - BACK_PORT_INSET - BACK_PORT_STEP * exitIndex;
    const entryX = target.x + target.width - BACK_PORT_INSET - BACK_PORT_STEP * entryIndex;

    // Every box, forward edge and label in the layers passed must stay left of the lane.
    const passed = (layer: number): boolean => layer >= target.layer && layer <= source.layer;
    const boxesPassed = [...nodeById.values()]
      .filter((node) => passed(node.layer))
      .map((node) => node.x + node.width);
    const edgesPassed = [...passes.values()].flat().flatMap((pass) => (passed(pass.layer) ? [pass.x] : []));
    const labelsPassed = forwardRoutes
      .filter((other) => {
        const from = nodeById.get(other.from);
        return from !== undefined && from.layer >= target.layer - 1 && from.layer <= source.layer;
      })
      .flatMap((other) => (other.labelBox === undefined ? [] : [other.labelBox.x + other.labelBox.width]));
    let laneX = Math.max(...boxesPassed, ...edgesPassed, ...labelsPassed, exitX, entryX) + LANE_GAP;
    for (const lane of lanes) {
      if (lane.top <= lowY && lane.bottom >= highY) laneX = Math.max(laneX, lane.right + LANE_STEP);
    }
    const width = edge.label === '' ? 0 : labelWidth(edge.label);
    const labelBox: Rect | undefined =
      edge.label === ''
        ? undefined
        : {
            x: laneX + 4,
            y: (lowY + highY) / 2 - NODE_TEXT.labelHeight / 2,
            width,
            height: NODE_TEXT.labelHeight,
          };
    lanes.push({ top: highY, bottom: lowY, right: laneX + (labelBox === undefined ? 0 : width + 4) });
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
}

function labelWidth(label: string): number {
  return textWidth(label, NODE_TEXT.labelFontSize) + 8;
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
