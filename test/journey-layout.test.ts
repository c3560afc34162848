import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { journeyGraphSvg } from '../infra/panel/views/journey-graph.ts';
import {
  type JourneyLayout,
  type LayoutEdge,
  type LayoutNode,
  layoutJourney,
  type Rect,
  TRIGGER_NODE_ID,
} from '../infra/panel/graph-layout.ts';
import { type Journey, type JourneyInput, journeySchema } from '../shared/journey/schema.ts';
import type { StepCounts } from '../shared/report/types.ts';
import { captureIo } from './support/io.ts';
import { sample, sampleIds, samples } from './support/project.ts';
import { emptyStepCounts } from '../shared/report/report.ts';

function journeyWith(
  start: string,
  steps: JourneyInput['steps'],
  extra: Partial<JourneyInput> = {},
): Journey {
  return journeySchema.parse({
    id: 'layout-test',
    name: 'Layout test',
    version: 1,
    status: 'draft',
    trigger: { event: 'cart.abandoned' },
    start,
    steps,
    ...extra,
  });
}

const send = (next: string): JourneyInput['steps'][string] => ({
  type: 'send',
  channel: 'email',
  template: 'cart-reminder',
  category: 'marketing',
  next,
});

function node(layout: JourneyLayout, id: string): LayoutNode {
  const found = layout.nodes.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no node ${id}`);
  return found;
}

function edge(layout: JourneyLayout, from: string, to: string): LayoutEdge {
  const found = layout.edges.find((candidate) => candidate.from === from && candidate.to === to);
  if (found === undefined) throw new Error(`no edge ${from} -> ${to}`);
  return found;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Pairs of edges between the same two adjacent layers whose ends are in opposite orders. */
function crossingPairs(layout: JourneyLayout): [LayoutEdge, LayoutEdge][] {
  const short = layout.edges.filter((candidate) => !candidate.back && candidate.points.length === 2);
  const pairs: [LayoutEdge, LayoutEdge][] = [];
  short.forEach((a, index) => {
    for (const b of short.slice(index + 1)) {
      if (node(layout, a.from).layer !== node(layout, b.from).layer) continue;
      const [aStart, aEnd] = a.points;
      const [bStart, bEnd] = b.points;
      if (aStart === undefined || aEnd === undefined || bStart === undefined || bEnd === undefined) continue;
      if ((aStart.x - bStart.x) * (aEnd.x - bEnd.x) < 0) pairs.push([a, b]);
    }
  });
  return pairs;
}

/** The classes of one step's group. */
function stepClasses(svg: string, stepId: string): string[] {
  const match = new RegExp(`class="([^"]*)"\\s+data-step="${stepId}"`).exec(svg);
  return match?.[1]?.split(' ') ?? [];
}

/** The markup of one step's group after its opening attributes: steps' groups hold no other group. */
function stepGroup(svg: string, stepId: string): string {
  const start = svg.indexOf(`data-step="${stepId}"`);
  expect(start, `a group for ${stepId}`).toBeGreaterThan(-1);
  return svg.slice(start, svg.indexOf('</g>', start));
}

// A wait that loops back: the timeout pauses a day and sends the reminder again.
const loopJourney = journeyWith('remind', {
  remind: send('await-order'),
  'await-order': {
    type: 'waitForEvent',
    event: { event: 'order.placed' },
    timeout: '1d',
    onEvent: 'done',
    onTimeout: 'pause',
  },
  pause: { type: 'wait', duration: '1d', next: 'remind' },
  done: { type: 'end' },
});

describe('layoutJourney', () => {
  it.each(sampleIds)('%s: has a node for the trigger and for every step, and nothing else', (id) => {
    const journey = sample(id);
    const layout = layoutJourney(journey);
    expect(layout.nodes.map((candidate) => candidate.id).sort()).toEqual(
      [TRIGGER_NODE_ID, ...Object.keys(journey.steps)].sort(),
    );
    for (const [stepId, step] of Object.entries(journey.steps)) {
      expect(node(layout, stepId).kind).toBe(step.type);
      expect(node(layout, stepId).reachable).toBe(true);
    }
    expect(node(layout, TRIGGER_NODE_ID)).toMatchObject({ kind: 'trigger', layer: 0 });
    expect(edge(layout, TRIGGER_NODE_ID, journey.start).back).toBe(false);
  });

  it.each(sampleIds)('%s: no two boxes overlap, no label covers a box or another label', (id) => {
    const layout = layoutJourney(sample(id));
    const boxes: Rect[] = [...layout.nodes, ...(layout.exitNote === undefined ? [] : [layout.exitNote])];
    const labels = layout.edges.flatMap((candidate) =>
      candidate.labelBox === undefined ? [] : [candidate.labelBox],
    );
    const all = [...boxes, ...labels];
    all.forEach((a, index) => {
      for (const b of all.slice(index + 1)) expect(overlaps(a, b), JSON.stringify([a, b])).toBe(false);
    });
    for (const rect of all) {
      expect(rect.x).toBeGreaterThanOrEqual(0);
      expect(rect.y).toBeGreaterThanOrEqual(0);
      expect(rect.x + rect.width).toBeLessThanOrEqual(layout.width);
      expect(rect.y + rect.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it.each(sampleIds)('%s: every edge goes down from the bottom of its step to the top of the next', (id) => {
    const journey = sample(id);
    const layout = layoutJourney(journey);
    // The samples have no loop: every edge is a forward one.
    expect(layout.edges.filter((candidate) => candidate.back)).toEqual([]);
    for (const forward of layout.edges) {
      const from = node(layout, forward.from);
      const to = node(layout, forward.to);
      expect(to.layer).toBeGreaterThan(from.layer);
      expect(to.y).toBeGreaterThan(from.y + from.height);
      const ys = forward.points.map((point) => point.y);
      expect(ys).toEqual([...ys].sort((a, b) => a - b));
      const first = forward.points[0];
      const last = forward.points[forward.points.length - 1];
      expect(first?.y).toBe(from.y + from.height);
      expect(first?.x).toBeGreaterThan(from.x);
      expect(first?.x).toBeLessThan(from.x + from.width);
      expect(last?.y).toBe(to.y);
      expect(last?.x).toBeGreaterThan(to.x);
      expect(last?.x).toBeLessThan(to.x + to.width);
    }
    expect(crossingPairs(layout)).toEqual([]);
  });

  it('labels the edges as the journey names them', () => {
    const cart = layoutJourney(sample('cart-abandonment'));
    expect(edge(cart, 'await-order', 'purchased').label).toBe('order.placed');
    expect(edge(cart, 'await-order', 'nudge').label).toBe('after 23h');
    expect(edge(cart, 'remind', 'await-order').label).toBe('');
    expect(node(cart, 'await-order').lines).toEqual(['wait for order.placed up to 23h']);
    // Four channels are too long for one line: wrapped at a word, the template on its own line.
    expect(node(cart, 'nudge').lines).toEqual([
      'send push / whatsapp / sms /',
      'email',
      'cart-nudge (marketing)',
    ]);
    expect(node(cart, 'retarget').lines).toEqual([
      'send webhook',
      'to ads-audience (system)',
      'cart-retarget (marketing)',
    ]);
    expect(cart.exitNote?.fullText).toBe('exits at any step on order.placed (goal)');
    const support = layoutJourney(sample('support-call-followup'));
    expect(edge(support, 'was-it-resolved', 'case-summary').label).toBe('unresolved');
    expect(edge(support, 'was-it-resolved', 'done').label).toBe('otherwise');
    expect(support.exitNote).toBeUndefined();
  });

  it('gives the same layout for the same journey every time', () => {
    for (const journey of samples) {
      expect(layoutJourney(structuredClone(journey))).toEqual(layoutJourney(journey));
    }
    expect(layoutJourney(loopJourney)).toEqual(layoutJourney(structuredClone(loopJourney)));
  });

  it('marks a loop back through a wait as a back edge drawn up a lane to the right of what it passes', () => {
    const layout = layoutJourney(loopJourney);
    const loop = edge(layout, 'pause', 'remind');
    expect(loop.back).toBe(true);
    expect(layout.edges.filter((candidate) => candidate.back)).toEqual([loop]);
    const pause = node(layout, 'pause');
    const remind = node(layout, 'remind');
    expect(remind.layer).toBeLessThan(pause.layer);
    expect(loop.points[0]).toMatchObject({ y: pause.y + pause.height });
    expect(loop.points[loop.points.length - 1]).toMatchObject({ y: remind.y });
    const lane = Math.max(...loop.points.map((point) => point.x));
    const passed = layout.nodes.filter((other) => other.layer >= remind.layer && other.layer <= pause.layer);
    for (const other of passed) expect(lane).toBeGreaterThan(other.x + other.width);
    // Without the loop the rest is laid out as any journey: forward edges go down.
    for (const forward of layout.edges.filter((candidate) => !candidate.back)) {
      expect(node(layout, forward.to).layer).toBeGreaterThan(node(layout, forward.from).layer);
    }
  });

  it('draws a step that loops to itself as a back edge', () => {
    const layout = layoutJourney(
      journeyWith('poll', {
        poll: {
          type: 'waitForEvent',
          event: { event: 'order.placed' },
          timeout: '1d',
          onEvent: 'done',
          onTimeout: 'poll',
        },
        done: { type: 'end' },
      }),
    );
    const loop = edge(layout, 'poll', 'poll');
    expect(loop).toMatchObject({ back: true, label: 'after 1d' });
    expect(loop.labelBox).toBeDefined();
  });

  it('draws unreachable steps in a last layer below the rest', () => {
    const layout = layoutJourney(
      journeyWith('remind', { remind: send('done'), lost: send('done'), done: { type: 'end' } }),
    );
    const lost = node(layout, 'lost');
    expect(lost.reachable).toBe(false);
    for (const other of layout.nodes.filter((candidate) => candidate.id !== 'lost')) {
      expect(other.reachable).toBe(true);
      expect(lost.layer).toBeGreaterThan(other.layer);
      expect(lost.y).toBeGreaterThan(other.y + other.height);
    }
    expect(edge(layout, 'lost', 'done').back).toBe(true);
  });

  it('draws a step that is named but missing, instead of dropping the edge', () => {
    const layout = layoutJourney(journeyWith('remind', { remind: send('remnd') }));
    expect(node(layout, 'remnd')).toMatchObject({ kind: 'missing', lines: ['no such step'] });
    expect(edge(layout, 'remind', 'remnd').back).toBe(false);
  });

  it('orders a layer so that edges that need not cross do not', () => {
    // In the file's order "thank" comes first under "watch", and the edge from "nudge" to it would
    // cross the one from "watch" to "remind".
    const layout = layoutJourney(
      journeyWith('pick', {
        pick: {
          type: 'split',
          paths: [
            { name: 'watch', weight: 50, next: 'watch' },
            { name: 'nudge', weight: 50, next: 'nudge' },
          ],
        },
        watch: {
          type: 'waitForEvent',
          event: { event: 'order.placed' },
          timeout: '1d',
          onEvent: 'thank',
          onTimeout: 'remind',
        },
        nudge: send('thank'),
        thank: send('done'),
        remind: send('done'),
        done: { type: 'end' },
      }),
    );
    expect(node(layout, 'thank').layer).toBe(node(layout, 'remind').layer);
    expect(crossingPairs(layout)).toEqual([]);
  });

  it('cuts long text to the box with an ellipsis and keeps all of it for the tooltip', () => {
    const longEvent = `order.${'very-long-name-'.repeat(6)}placed`;
    const layout = layoutJourney(
      journeyWith('await', {
        await: {
          type: 'waitForEvent',
          description: 'Waits for the order.',
          event: { event: longEvent },
          timeout: '2d',
          onEvent: 'done',
          onTimeout: 'done',
        },
        done: { type: 'end' },
      }),
    );
    const wait = node(layout, 'await');
    expect(wait.lines).toHaveLength(3);
    expect(wait.lines[2]?.endsWith('…')).toBe(true);
    expect(wait.fullText).toContain(`wait for ${longEvent} up to 2d`);
    expect(wait.fullText).toContain('Waits for the order.');
    // Two fields naming the same step are one edge carrying both labels.
    expect(layout.edges.filter((candidate) => candidate.from === 'await')).toHaveLength(1);
    expect(edge(layout, 'await', 'done').label).toBe(`${longEvent} / after 2d`);
  });
});

describe('journeyGraphSvg', () => {
  it('escapes every text from the files: journey name, step ids, case names, events, descriptions', () => {
    const parsed = journeyWith(
      'route',
      {
        route: {
          type: 'branch',
          description: '<img src=x onerror=alert(1)>',
          cases: [
            {
              name: '<script>alert(1)</script>',
              when: { field: 'event.cartId', exists: true },
              next: 'tell',
            },
          ],
          default: 'done',
        },
        tell: { type: 'emit', event: '<b>audience</b>', next: 'done' },
        done: { type: 'end' },
      },
      {
        name: 'Cart <script>alert("name")</script>',
        trigger: { event: 'cart.<script>' },
        exitOn: [{ event: '<i>order</i>', goal: true }],
      },
    );
    // Step ids cannot hold markup once parsed; the drawing must not rely on that.
    const hostileId = 'x" onload="alert(1)<script>';
    const hostile: Journey = {
      ...parsed,
      steps: { ...parsed.steps, [hostileId]: { type: 'end' } },
      start: hostileId,
    };
    for (const journey of [parsed, hostile]) {
      const counts = new Map([[hostileId, { ...emptyStepCounts(), entered: 2 }]]);
      const svg = journeyGraphSvg(journey, layoutJourney(journey), counts).text;
      expect(svg).not.toMatch(/<script/i);
      expect(svg).not.toMatch(/<img/i);
      expect(svg).not.toMatch(/<[bi]>/);
      expect(svg).not.toContain(' onload="');
    }
    const svg = journeyGraphSvg(parsed, layoutJourney(parsed), undefined).text;
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('Cart &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const hostileSvg = journeyGraphSvg(hostile, layoutJourney(hostile), undefined).text;
    expect(hostileSvg).toContain('data-step="x&quot; onload=&quot;alert(1)&lt;script&gt;"');
  });

  it('shows the non-zero counts under each step with data-count attributes, and no zeros', () => {
    const journey = sample('cart-abandonment');
    const counts = new Map<string, StepCounts>([
      ['wait-an-hour', { ...emptyStepCounts(), entered: 6, waiting: 2 }],
      [
        'nudge',
        {
          ...emptyStepCounts(),
          entered: 6,
          sent: { ...emptyStepCounts().sent, sms: 1, push: 3 },
          capped: 1,
          deferred: 1,
          exited: 1,
          converted: 1,
        },
      ],
      ['await-order', emptyStepCounts()],
    ]);
    const svg = journeyGraphSvg(journey, layoutJourney(journey), counts).text;

    const nudge = stepGroup(svg, 'nudge');
    const shown = [...nudge.matchAll(/data-count="([^"]+)">(\d+)</g)].map((match) => [match[1], match[2]]);
    expect(shown).toEqual([
      ['entered', '6'],
      ['sms', '1'],
      ['push', '3'],
      ['capped', '1'],
      ['deferred', '1'],
      ['exited', '1'],
      ['converted', '1'],
    ]);
    expect(nudge).toContain('push <tspan class="count-value" data-count="push">3</tspan>');
    expect(stepClasses(svg, 'nudge')).toEqual(['step', 'step-send']);

    const wait = stepGroup(svg, 'wait-an-hour');
    expect([...wait.matchAll(/data-count="([^"]+)">(\d+)</g)].map((match) => match[1])).toEqual([
      'entered',
      'waiting',
    ]);
    expect(stepClasses(svg, 'wait-an-hour')).toEqual(['step', 'step-wait', 'has-waiting']);

    const awaitOrder = stepGroup(svg, 'await-order');
    expect(awaitOrder).not.toContain('data-count');
    expect(awaitOrder).toContain('no one yet');
    expect(stepGroup(svg, 'remind')).not.toContain('data-count');

    const withoutCounts = journeyGraphSvg(journey, layoutJourney(journey), undefined).text;
    expect(withoutCounts).not.toContain('data-count');
    expect(withoutCounts).not.toContain('no one yet');
  });

  it('draws every step as a group a test can find, the trigger apart, and the exit rule as a note', () => {
    const journey = sample('cart-abandonment');
    const svg = journeyGraphSvg(journey, layoutJourney(journey), undefined).text;
    const steps = [...svg.matchAll(/data-step="([^"]+)" data-testid="graph-step"/g)].map((match) => match[1]);
    expect(steps.sort()).toEqual(Object.keys(journey.steps).sort());
    expect(svg).toContain('data-testid="graph-trigger"');
    expect(svg.match(/<path class="edge-line"/g)).toHaveLength(layoutJourney(journey).edges.length);
    expect(svg).toContain('marker-end="url(#waymark-graph-cart-abandonment-arrow)"');
    expect(svg).toContain('data-testid="graph-exit-note"');
    expect(svg).toContain('exits at any step on order.placed (goal)');
    expect(svg).toMatch(/^<svg[^>]*viewBox="0 0 \d+ \d+"/);
    // The panel forbids inline styles; the graph is styled by its classes only.
    expect(svg).not.toMatch(/style=|<style/);
  });

  it('draws a loop as a back edge', () => {
    const svg = journeyGraphSvg(loopJourney, layoutJourney(loopJourney), undefined).text;
    expect(svg).toContain('class="edge edge-back" data-from="pause" data-to="remind"');
    expect(svg).toContain('marker-end="url(#waymark-graph-layout-test-arrow-back)"');
  });
});

describe('waymark graph --svg', () => {
  it('prints a standalone SVG with its styles and no counts', () => {
    const output = captureIo();
    const code = main(['graph', 'journeys/cart-abandonment.json', '--svg'], output.io);
    expect(code).toBe(0);
    expect(output.err).toBe('');
    expect(output.out.startsWith('<svg')).toBe(true);
    expect(output.out).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(output.out).toContain('<style>');
    for (const stepId of Object.keys(sample('cart-abandonment').steps)) {
      expect(output.out).toContain(`data-step="${stepId}"`);
    }
    expect(output.out).not.toContain('data-count');
  });
});
