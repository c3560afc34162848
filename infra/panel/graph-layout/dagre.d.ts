/**
 * Types for the part of @dagrejs/dagre that the layout uses. dagre 3.1.4 ships types, but its package
 * is `"type": "module"` and its .d.ts files import each other without file extensions, which
 * `moduleResolution: NodeNext` does not resolve: with `skipLibCheck` every export silently becomes
 * `any` (the bug @dagrejs/graphlib#238 reports for graphlib, fixed there by 4.0.8). An ambient module
 * is taken before the package's own files, so these stand in for them. They follow dagre's own
 * declarations (dist/types/lib/types.d.ts and graphlib's Graph); delete this file once dagre's resolve.
 */
declare module '@dagrejs/dagre' {
  export interface Point {
    x: number;
    y: number;
  }

  export interface GraphLabel {
    rankdir?: 'TB' | 'BT' | 'LR' | 'RL';
    rankalign?: 'top' | 'center' | 'bottom';
    ranker?: 'network-simplex' | 'tight-tree' | 'longest-path';
    ranksep?: number;
    nodesep?: number;
    edgesep?: number;
  }

  /** `layout` sets x and y (the centre), and the rank and order it gave the node. */
  export interface NodeLabel {
    width: number;
    height: number;
    x?: number;
    y?: number;
    rank?: number;
    order?: number;
  }

  /** `layout` sets the points: the ends on the nodes' outlines, and one for each rank in between. */
  export interface EdgeLabel {
    minlen?: number;
    weight?: number;
    labelpos?: 'l' | 'c' | 'r';
    points?: Point[];
  }

  export interface Edge {
    v: string;
    w: string;
    name?: string;
  }

  export class Graph<G, N, E> {
    setGraph(label: G): this;
    setNode(name: string, label: N): this;
    /** undefined for a name the graph does not have. */
    node(name: string): N | undefined;
    nodes(): string[];
    setEdge(v: string, w: string, label: E): this;
    edge(v: string, w: string): E | undefined;
    edges(): Edge[];
  }

  export type LayoutGraph = Graph<GraphLabel, NodeLabel, EdgeLabel>;

  export interface LayoutOptions {
    /** Keep the first order (depth first, in the order nodes and edges were added). */
    disableOptimalOrderHeuristic?: boolean;
  }

  export function layout<G, N, E>(graph: Graph<G, N, E>, options?: LayoutOptions): Graph<G, N, E>;
}
