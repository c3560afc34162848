/**
 * How an edge is drawn from its points: forward edges as vertical S-curves, back edges as right
 * angles with rounded corners. The layout asks the same curves where a label goes on them.
 */
import type { LayoutEdge, Point } from './types.ts';

/** SVG path data for an edge. */
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

/**
 * x where the curve from `start` down to `end` (leaving and arriving vertically, as
 * `edgePathData` draws it) crosses the height `y`.
 */
export function curveXAt(start: Point, end: Point, y: number): number {
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
