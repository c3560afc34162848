/**
 * A journey drawn as an SVG graph from its layout, with each step's live counts under its title.
 * Every text comes from a marketer's file or a customer's data, so all of it goes through `html`.
 * Styling is by class only (`journeyGraphCss`): the panel's policy allows no inline style.
 */
import { channelSchema } from '../../../shared/customer/profile.ts';
import { assertNever } from '../../../shared/journey/graph.ts';
import {
  charsThatFit,
  edgePathData,
  type JourneyLayout,
  type LayoutEdge,
  type LayoutNode,
  type LayoutNodeKind,
  type LayoutNote,
  NODE_TEXT,
} from '../graph-layout.ts';
import type { Journey } from '../../../shared/journey/schema.ts';
import type { StepCounts } from '../../../shared/report/types.ts';
import { type Html, html, trusted } from '../html.ts';

const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';
const COUNT_SEPARATOR = ' · ';

/** The journey as an `<svg>` to put in a page that includes `journeyGraphCss`. */
export function journeyGraphSvg(
  journey: Journey,
  layout: JourneyLayout,
  counts: ReadonlyMap<string, StepCounts> | undefined,
): Html {
  return drawing(journey, layout, counts, undefined);
}

/** A standalone SVG file (for `waymark graph --svg`): its styles inside, no counts. */
export function journeyGraphSvgDocument(journey: Journey, layout: JourneyLayout): string {
  // A style element is fine in a file of its own; the panel's policy forbids it, hence the class-only page.
  return `${drawing(journey, layout, undefined, trusted(journeyGraphCss)).text}\n`;
}

function drawing(
  journey: Journey,
  layout: JourneyLayout,
  counts: ReadonlyMap<string, StepCounts> | undefined,
  style: Html | undefined,
): Html {
  // Ids must be unique in a page that shows several journeys; journey ids are unique and plain.
  const idPrefix = `waymark-graph-${journey.id}`;
  const markers = { forward: `${idPrefix}-arrow`, back: `${idPrefix}-arrow-back` };
  const nodeById = new Map(layout.nodes.map((node) => [node.id, node]));
  return html`<svg
    xmlns="${SVG_NAMESPACE}"
    class="journey-graph"
    viewBox="0 0 ${layout.width} ${layout.height}"
    width="${layout.width}"
    height="${layout.height}"
    aria-labelledby="${idPrefix}-title"
  >
    <title id="${idPrefix}-title">${journey.name} (${journey.id}) as a graph</title>
    ${
      style === undefined
        ? ''
        : html`<style>
            ${style}
          </style>`
    }
    <defs>
      ${arrowMarker(markers.forward, 'arrow-head')} ${arrowMarker(markers.back, 'arrow-head arrow-head-back')}
    </defs>
    <g class="edges">
      ${layout.edges.map((edge) => edgeLine(edge, edge.back ? markers.back : markers.forward, nodeById))}
    </g>
    <g class="steps">${layout.nodes.map((node) => stepBox(node, counts))}</g>
    <g class="edge-labels">${layout.edges.map(edgeLabel)}</g>
    ${layout.exitNote === undefined ? '' : exitNote(layout.exitNote)}
  </svg>`;
}

/** An arrow head for the edges that name it; forward and back edges differ only in their class. */
function arrowMarker(id: string, pathClass: string): Html {
  return html`<marker
    id="${id}"
    viewBox="0 0 10 10"
    refX="9"
    refY="5"
    markerWidth="8"
    markerHeight="8"
    orient="auto"
  >
    <path class="${pathClass}" d="M0 0 L10 5 L0 10 z" />
  </marker>`;
}

function edgeLine(edge: LayoutEdge, marker: string, nodeById: Map<string, LayoutNode>): Html {
  const from = nodeById.get(edge.from);
  const to = nodeById.get(edge.to);
  return html`<g class="edge${edge.back ? ' edge-back' : ''}" data-from="${edge.from}" data-to="${edge.to}">
    <title>
      ${from === undefined ? edge.from : from.heading} →
      ${to === undefined ? edge.to : to.heading}${edge.label === '' ? '' : `: ${edge.label}`}
    </title>
    <path class="edge-line" d="${edgePathData(edge)}" marker-end="url(#${marker})" />
  </g>`;
}

function edgeLabel(edge: LayoutEdge): Html {
  const box = edge.labelBox;
  if (box === undefined) return html``;
  return html`<g class="edge-label${edge.back ? ' edge-label-back' : ''}">
    <rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="4" />
    <text x="${round(box.x + box.width / 2)}" y="${round(box.y + box.height / 2 + 4)}">${edge.label}</text>
  </g>`;
}

function stepBox(node: LayoutNode, counts: ReadonlyMap<string, StepCounts> | undefined): Html {
  const centreX = round(node.x + node.width / 2);
  const linesTop = node.y + NODE_TEXT.paddingY + NODE_TEXT.headingHeight;
  const stepCounts = isStep(node.kind) ? counts?.get(node.id) : undefined;
  const rows = stepCounts === undefined ? [] : countRows(stepCounts, node.width);
  const countsTop = linesTop + node.lines.length * NODE_TEXT.lineHeight + NODE_TEXT.countsGap;
  // A step with more counts than its reserved rows grows downwards rather than lose any of them.
  const extraRows = Math.max(0, rows.length - node.countRows);
  const height = node.height + extraRows * NODE_TEXT.countRowHeight;
  const waiting = (stepCounts?.waiting ?? 0) > 0;
  return html`<g
    class="step ${kindClass(node.kind)}${waiting ? ' has-waiting' : ''}${node.reachable ? '' : ' unreachable'}"
    ${nodeAttributes(node)}
  >
    <title>${node.fullText}${node.reachable ? '' : '\n(not reachable from the trigger)'}</title>
    <rect class="step-box" x="${node.x}" y="${node.y}" width="${node.width}" height="${height}" rx="10" />
    <text
      class="step-heading"
      x="${centreX}"
      y="${round(node.y + NODE_TEXT.paddingY + NODE_TEXT.headingFontSize)}"
      >${node.heading}</text
    >
    ${node.lines.map(
      (line, index) =>
        html`<text
          class="step-line"
          x="${centreX}"
          y="${round(linesTop + index * NODE_TEXT.lineHeight + NODE_TEXT.lineFontSize)}"
          >${line}</text
        >`,
    )}
    ${rows.map(
      (row, index) =>
        html`<text
          class="step-counts"
          x="${centreX}"
          y="${round(countsTop + index * NODE_TEXT.countRowHeight + NODE_TEXT.countFontSize)}"
          >${countRow(row)}</text
        >`,
    )}
    ${
      stepCounts !== undefined && rows.length === 0 && node.countRows > 0
        ? html`<text
            class="step-counts counts-none"
            x="${centreX}"
            y="${round(countsTop + NODE_TEXT.countFontSize)}"
            >no one yet</text
          >`
        : ''
    }
  </g>`;
}

/** Steps are found by `data-step`; the trigger and steps that do not exist are told apart. */
function nodeAttributes(node: LayoutNode): Html {
  switch (node.kind) {
    case 'trigger':
      return html`data-node="trigger" data-testid="graph-trigger"`;
    case 'missing':
      return html`data-missing-step="${node.id}" data-testid="graph-missing-step"`;
    default:
      return html`data-step="${node.id}" data-testid="graph-step"`;
  }
}

function isStep(kind: LayoutNodeKind): boolean {
  return kind !== 'trigger' && kind !== 'missing';
}

/** Class names are the step types in kebab case: `step-wait-for-event`, `step-update-profile`. */
function kindClass(kind: LayoutNodeKind): string {
  switch (kind) {
    case 'trigger':
      return 'step-trigger';
    case 'missing':
      return 'step-missing';
    case 'send':
      return 'step-send';
    case 'wait':
      return 'step-wait';
    case 'waitForEvent':
      return 'step-wait-for-event';
    case 'branch':
      return 'step-branch';
    case 'split':
      return 'step-split';
    case 'updateProfile':
      return 'step-update-profile';
    case 'emit':
      return 'step-emit';
    case 'end':
      return 'step-end';
    default:
      return assertNever(kind);
  }
}

interface Count {
  /** The `data-count` name: the StepCounts field, or the channel for messages sent on it. */
  name: string;
  label: string;
  value: number;
}

/** The step's non-zero counts, in the order a customer meets them. */
function nonZeroCounts(counts: StepCounts): Count[] {
  const all: Count[] = [
    { name: 'entered', label: 'entered', value: counts.entered },
    { name: 'waiting', label: 'waiting', value: counts.waiting },
    // Part of `waiting`: the message is due but the channel's send rate has not reached it yet.
    { name: 'waitingForSlot', label: 'waiting for a slot', value: counts.waitingForSlot },
    ...channelSchema.options.map((channel) => ({
      name: channel,
      label: channel,
      value: counts.sent[channel],
    })),
    { name: 'capped', label: 'capped', value: counts.capped },
    { name: 'deferred', label: 'deferred', value: counts.deferred },
    { name: 'notSent', label: 'not sent', value: counts.notSent },
    { name: 'exited', label: 'exited', value: counts.exited },
    { name: 'converted', label: 'converted', value: counts.converted },
  ];
  return all.filter((count) => count.value !== 0);
}

/** The counts wrapped into rows that fit the box, never split inside one count. */
function countRows(counts: StepCounts, boxWidth: number): Count[][] {
  const fits = charsThatFit(boxWidth - 2 * NODE_TEXT.paddingX, NODE_TEXT.countFontSize, 'counts');
  const rows: Count[][] = [];
  let row: Count[] = [];
  let length = 0;
  for (const count of nonZeroCounts(counts)) {
    const text = `${count.label} ${count.value}`;
    const added = row.length === 0 ? text.length : COUNT_SEPARATOR.length + text.length;
    if (row.length > 0 && length + added > fits) {
      rows.push(row);
      row = [];
      length = 0;
    }
    row.push(count);
    length += row.length === 1 ? text.length : added;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function countRow(row: Count[]): Html[] {
  return row.map(
    (count, index) =>
      html`${index === 0 ? '' : html`<tspan class="count-separator">${COUNT_SEPARATOR}</tspan>`}<tspan
          class="count count-${count.name}"
          >${count.label} <tspan class="count-value" data-count="${count.name}">${count.value}</tspan></tspan
        >`,
  );
}

function exitNote(note: LayoutNote): Html {
  const centreX = round(note.x + note.width / 2);
  return html`<g class="graph-note" data-testid="graph-exit-note">
    <title>${note.fullText}</title>
    <rect x="${note.x}" y="${note.y}" width="${note.width}" height="${note.height}" rx="6" />
    ${note.lines.map(
      (line, index) =>
        html`<text
          x="${centreX}"
          y="${round(note.y + NODE_TEXT.paddingY + index * NODE_TEXT.lineHeight + NODE_TEXT.lineFontSize)}"
          >${line}</text
        >`,
    )}
  </g>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The graph's styles, for the panel's stylesheet. Every rule is under `.journey-graph`, so nothing
 * leaks into the rest of the page. Colours tell step types apart; text never relies on them alone.
 */
export const journeyGraphCss = `
.journey-graph {
  max-width: 100%;
  height: auto;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
}
.journey-graph text {
  text-anchor: middle;
  white-space: pre;
}
.journey-graph .step-box {
  fill: #ffffff;
  stroke: #8a93a6;
  stroke-width: 1.5;
}
.journey-graph .step-heading {
  font-size: ${NODE_TEXT.headingFontSize}px;
  font-weight: 600;
  fill: #1d2433;
}
.journey-graph .step-line {
  font-size: ${NODE_TEXT.lineFontSize}px;
  fill: #3a4254;
}
.journey-graph .step-counts {
  font-size: ${NODE_TEXT.countFontSize}px;
  fill: #3a4254;
  font-variant-numeric: tabular-nums;
}
.journey-graph .count-value {
  font-weight: 700;
  fill: #1d2433;
}
.journey-graph .count-separator,
.journey-graph .counts-none {
  fill: #8a93a6;
}
.journey-graph .count-waiting .count-value {
  fill: #2f5bd3;
}
.journey-graph .count-capped .count-value,
.journey-graph .count-notSent .count-value {
  fill: #b3261e;
}
.journey-graph .count-deferred .count-value,
.journey-graph .count-waitingForSlot .count-value {
  fill: #a35b00;
}
.journey-graph .count-converted .count-value {
  fill: #1e7b4f;
}
.journey-graph .step-trigger .step-box {
  fill: #e7f6ec;
  stroke: #1e7b4f;
}
.journey-graph .step-send .step-box {
  fill: #e9f0ff;
  stroke: #2f5bd3;
}
.journey-graph .step-wait .step-box,
.journey-graph .step-wait-for-event .step-box {
  fill: #fff5e0;
  stroke: #b7791f;
}
.journey-graph .step-wait-for-event .step-box {
  stroke-dasharray: 6 3;
}
.journey-graph .step-branch .step-box,
.journey-graph .step-split .step-box {
  fill: #f3ecfd;
  stroke: #7048c0;
}
.journey-graph .step-update-profile .step-box,
.journey-graph .step-emit .step-box {
  fill: #eaf6f8;
  stroke: #2a7f8f;
}
.journey-graph .step-end .step-box {
  fill: #eef0f4;
  stroke: #5b6478;
}
.journey-graph .step-missing .step-box {
  fill: #fdecea;
  stroke: #b3261e;
  stroke-dasharray: 4 3;
}
.journey-graph .unreachable .step-box {
  stroke-dasharray: 2 3;
  opacity: 0.7;
}
.journey-graph .has-waiting .step-box {
  stroke-width: 3;
}
.journey-graph .edge-line {
  fill: none;
  stroke: #7b8497;
  stroke-width: 1.5;
}
.journey-graph .edge-back .edge-line {
  stroke: #b7791f;
  stroke-dasharray: 6 4;
}
.journey-graph .arrow-head {
  fill: #7b8497;
}
.journey-graph .arrow-head-back {
  fill: #b7791f;
}
.journey-graph .edge-label rect {
  fill: #ffffff;
  stroke: #dfe3ea;
}
.journey-graph .edge-label text {
  font-size: ${NODE_TEXT.labelFontSize}px;
  fill: #3a4254;
}
.journey-graph .edge-label-back text {
  fill: #8a5a12;
}
.journey-graph .graph-note rect {
  fill: #fffbea;
  stroke: #c9a227;
  stroke-dasharray: 4 3;
}
.journey-graph .graph-note text {
  font-size: ${NODE_TEXT.lineFontSize}px;
  fill: #5c4a00;
}
`;
