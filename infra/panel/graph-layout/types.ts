/**
 * The shapes a laid-out journey is made of: what `layoutJourney` returns and the renderers (the
 * panel's SVG, `waymark graph --svg`) read. Kept apart so the layout's parts can share them without
 * importing the entry point.
 */
import type { Step } from '../../../shared/journey/schema.ts';

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
  /**
   * The row of boxes, from 0 for the trigger downwards; every forward edge goes to a later row.
   * Unreachable steps share one row below all the others.
   */
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
