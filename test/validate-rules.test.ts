/** Checks that need more than a broken file: settings, rendered templates, and locations in the source. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../shared/journey/problem.ts';
import { validateJourneyText, validateSettingsText } from '../shared/journey/validate.ts';
import type { TemplateSource } from '../shared/render/templates.ts';
import { cartJsonWithEmitStep } from './support/emit-step.ts';
import { project, settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

const cart = JSON.parse(readFileSync('journeys/cart-abandonment.json', 'utf8'));
const settingsJson = JSON.parse(readFileSync('journeys/settings.json', 'utf8'));

function withTemplate(name: string, files: Record<string, string>): Map<string, TemplateSource> {
  return new Map([...project.templates, [name, { name, files }]]);
}

function journeyProblems(journey: unknown, templates = project.templates): Problem[] {
  return validateJourneyText(JSON.stringify(journey, null, 2), 'j.json', {
    settings,
    events: sampleEvents(),
    templates,
    segments: new Map(),
    now: new Date('2026-11-18T15:00:00Z'),
  }).problems;
}

function cartSending(template: string, channel: unknown, category = 'marketing'): unknown {
  return {
    ...cart,
    steps: { ...cart.steps, remind: { ...cart.steps.remind, template, channel, category } },
  };
}

describe('rendered templates', () => {
  it('refuses a marketing email without an unsubscribe link', () => {
    const templates = withTemplate('no-unsubscribe', {
      'email.subject.liquid': 'Hello',
      'email.text.liquid': 'Hi {{ profile.attributes.firstName | default: "there" }}',
    });
    const problems = journeyProblems(cartSending('no-unsubscribe', 'email'), templates);
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        path: '$.steps.remind.template',
        message: expect.stringContaining('must show an unsubscribe link'),
      }),
    );
    // A receipt or a case summary is transactional: no unsubscribe link needed.
    expect(journeyProblems(cartSending('no-unsubscribe', 'email', 'transactional'), templates)).toEqual([]);
  });

  it('warns when an SMS renders to more than one segment, and when marketing SMS has no opt-out text', () => {
    const templates = withTemplate('long-sms', {
      'sms.liquid': `{{ event.items[0].name }} ${'is waiting for you in your cart. '.repeat(6)}`,
    });
    const problems = journeyProblems(cartSending('long-sms', 'sms'), templates);
    expect(problems.every((problem) => problem.severity === 'warning')).toBe(true);
    expect(problems.map((problem) => problem.message)).toEqual([
      expect.stringMatching(/renders to \d+ GSM-7 characters .*: 2 SMS segments/),
      expect.stringContaining('Reply STOP'),
    ]);
  });

  it('warns about a file in a template folder that is no template part', () => {
    const templates = withTemplate('typo-part', {
      'sms.liquid': 'Hi. Reply STOP to opt out.',
      'sms.liqiud': 'never used',
    });
    const [problem] = journeyProblems(cartSending('typo-part', 'sms'), templates);
    expect(problem).toMatchObject({ severity: 'warning', hint: 'did you mean "sms.liquid"?' });
  });

  it('names the template file, line and column of an unknown variable, with a hint', () => {
    const templates = withTemplate('bad-variable', {
      'sms.liquid': 'Hi {{ profile.attributes.firstName }},\nyour {{ evnt.cartId }}. Reply STOP',
    });
    const [problem] = journeyProblems(cartSending('bad-variable', 'sms'), templates);
    expect(problem?.message).toContain('templates/bad-variable/sms.liquid:2:9');
    expect(problem?.hint).toBe('did you mean "event"?');
  });

  it('needs a part for every channel of a fallback list', () => {
    const problems = journeyProblems(cartSending('support-survey', ['push', 'sms']));
    expect(problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('has no push.title.liquid, push.body.liquid'),
      }),
    );
  });
});

describe('settings.json', () => {
  function settingsProblems(change: (json: typeof settingsJson) => void): Problem[] {
    const copy = structuredClone(settingsJson);
    change(copy);
    return validateSettingsText(JSON.stringify(copy, null, 2), 'settings.json').problems;
  }

  it('accepts the sample settings, with SMS quiet hours 21:00-08:00 by default', () => {
    const result = validateSettingsText(
      JSON.stringify({ ...settingsJson, quietHours: undefined }),
      'settings.json',
    );
    expect(result.problems).toEqual([]);
    expect(result.value?.quietHours.sms).toEqual({ start: '21:00', end: '08:00' });
  });

  it('rejects duplicate cap ids, empty quiet hours, a sender that is no address and an unknown time zone', () => {
    expect(settingsProblems((json) => json.caps.push({ ...json.caps[0] }))).toContainEqual(
      expect.objectContaining({ path: '$.caps[2].id', message: expect.stringContaining('used twice') }),
    );
    expect(
      settingsProblems((json) => (json.quietHours.push = { start: '22:00', end: '22:00' })),
    ).toContainEqual(
      expect.objectContaining({ path: '$.quietHours.push', hint: 'use null for no quiet hours' }),
    );
    expect(settingsProblems((json) => (json.senders.email.from = 'Shop'))).toContainEqual(
      expect.objectContaining({ path: '$.senders.email.from' }),
    );
    const [zone] = settingsProblems((json) => (json.timeZone = 'America/Sao Paulo'));
    expect(zone).toMatchObject({ path: '$.timeZone', line: 3, message: expect.stringContaining('IANA') });
  });
});

describe('hints and single reports', () => {
  it('suggests the compact form for durations written in words', () => {
    const journey = structuredClone(cart);
    journey.entry.reentry = { after: '1 week' };
    expect(journeyProblems(journey)).toContainEqual(
      expect.objectContaining({ path: '$.entry.reentry.after', hint: 'write "1w"' }),
    );
  });

  it('refuses an emit that reads an optional event field, which would stop the execution when missing', () => {
    const journey = cartJsonWithEmitStep();
    journey.steps.retarget.detail.device = { from: 'event.device' };
    journey.steps.retarget.detail.cart = { from: 'event.cartId' };
    const problems = journeyProblems(journey);
    expect(problems).toEqual([
      expect.objectContaining({
        path: '$.steps.retarget.detail.device.from',
        message: expect.stringContaining('"event.device" is optional'),
        hint: expect.stringContaining("carry it in the journey's values"),
      }),
    ]);
  });

  it('rejects a "__proto__" key, which JSON parsers silently drop', () => {
    const text = JSON.stringify(cart, null, 2).replace(
      '"offerCode": "CART10"',
      '"__proto__": "x", "offerCode": "CART10"',
    );
    const result = validateJourneyText(text, 'j.json', {
      settings,
      events: sampleEvents(),
      segments: new Map(),
      now: new Date('2026-11-18T15:00:00Z'),
      templates: project.templates,
    });
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        path: '$.values.__proto__',
        message: expect.stringContaining('not allowed'),
      }),
    );
  });

  it('reports a misspelt property once, not again as a missing one', () => {
    const journey = structuredClone(cart);
    journey.steps.remind.nxt = journey.steps.remind.next;
    delete journey.steps.remind.next;
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({ path: '$.steps.remind.nxt', hint: 'did you mean "next"?' }),
    ]);
  });

  it('reports a trap with no way out once, at the step that leads into it', () => {
    const journey = structuredClone(cart);
    // nudge -> retarget -> wait -> nudge ...: a loop with a wait, so not spinning, but never ending.
    journey.steps.retarget.next = 'pause';
    journey.steps.pause = { type: 'wait', duration: '1d', next: 'nudge' };
    // "done" is now unreachable too: that is a separate mistake, reported on its own.
    const problems = journeyProblems(journey).filter((problem) => problem.message.includes('No "end"'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      path: '$.steps.nudge',
      message: expect.stringContaining('or the steps after it'),
    });
  });

  it('names the templates that can send a channel when the chosen one cannot', () => {
    const problems = journeyProblems(cartSending('cart-reminder', 'sms'));
    expect(problems).toContainEqual(
      expect.objectContaining({
        hint: 'templates that can send sms: cart-nudge, newsletter-nudge, support-survey',
      }),
    );
  });
});

describe('what would break at run time', () => {
  const social = JSON.parse(readFileSync('journeys/social-engagement.json', 'utf8'));
  const support = JSON.parse(readFileSync('journeys/support-call-followup.json', 'utf8'));

  it('refuses a template that reads an optional event field without a default', () => {
    const templates = withTemplate('bare-optional', {
      'email.subject.liquid': 'About {{ event.post.topic }}',
      'email.text.liquid': 'You said {{ event.text }}. {{ unsubscribeUrl }}',
    });
    const journey = structuredClone(social);
    journey.steps['follow-up'].template = 'bare-optional';
    const errors = journeyProblems(journey, templates).filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => problem.message)).toEqual([
      expect.stringContaining('event.post.topic is optional in "social.engagement" events'),
      expect.stringContaining('event.text is optional'),
    ]);
    expect(errors[0]?.hint).toContain('| default:');
  });

  it('checks filter fields at every depth and inside $or', () => {
    const journey = structuredClone(social);
    journey.trigger.filter = {
      post: { topik: ['trail'] },
      $or: [{ network: ['facebook'] }, { acton: ['like'] }],
    };
    const paths = journeyProblems(journey).map((problem) => [problem.path, problem.hint]);
    expect(paths).toEqual([
      ['$.trigger.filter.post.topik', 'did you mean "topic"?'],
      ['$.trigger.filter.$or[1].acton', 'did you mean "action"?'],
    ]);
  });

  it('keeps holdout paths silent', () => {
    const journey = structuredClone(social);
    journey.start = 'ab';
    journey.steps.ab = {
      type: 'split',
      paths: [
        { name: 'test', weight: 90, next: 'next-day-preferred-hour' },
        { name: 'control', weight: 10, holdout: true, next: 'follow-up' },
      ],
    };
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({
        path: '$.steps.ab.paths[1].next',
        message: expect.stringContaining('"follow-up"'),
      }),
    ]);
  });

  it('refuses an emit that would restart the journey, or break the catalog, or set reserved fields', () => {
    const journey = cartJsonWithEmitStep();
    journey.steps.retarget.event = 'cart.abandoned';
    expect(journeyProblems(journey).map((problem) => problem.message)).toContainEqual(
      expect.stringContaining("the journey's own trigger"),
    );
    const order = cartJsonWithEmitStep();
    order.steps.retarget.event = 'order.placed';
    order.steps.retarget.detail = { orderId: 'x', customerId: 'someone-else' };
    const messages = journeyProblems(order).map((problem) => problem.message);
    expect(messages).toContainEqual(expect.stringContaining('"customerId" is added to every emitted event'));
    expect(messages).toContainEqual(
      expect.stringContaining('The emitted "order.placed" does not match the catalog at "total"'),
    );
  });

  it('refuses what Step Functions would read as a path or a reference typed wrong', () => {
    const journey = structuredClone(cart);
    journey.values.banner = { 'text.$': 'hello' };
    journey.values.link = { form: 'event.cartUrl' };
    const problems = journeyProblems(journey);
    expect(problems).toContainEqual(expect.objectContaining({ path: '$.values.banner["text.$"]' }));
    expect(problems).toContainEqual(
      expect.objectContaining({ path: '$.values.link.form', hint: 'did you mean "from"?' }),
    );
  });

  it('reads only trigger fields the execution state has', () => {
    const journey = structuredClone(cart);
    journey.values.kind = { from: 'trigger.detailType' };
    expect(journeyProblems(journey)).toContainEqual(expect.objectContaining({ path: '$.values.kind.from' }));
  });

  it('warns when a condition compares a field with a value of another type', () => {
    const journey = structuredClone(support);
    journey.steps['was-it-resolved'].cases[0].when = { field: 'event.resolved', equals: 'false' };
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining(
          '"event.resolved" is a boolean in the catalog, so equals "false" never holds',
        ),
      }),
    ]);
  });

  it('refuses a journey longer than a Step Functions execution, and a window that never opens', () => {
    const journey = structuredClone(cart);
    journey.steps['wait-an-hour'].duration = '52w';
    journey.steps['await-order'].timeout = '2w';
    expect(journeyProblems(journey)).toContainEqual(
      expect.objectContaining({ path: '$.start', message: expect.stringContaining('at most 365') }),
    );
    // A Monday-only window can be almost a week away: 52 weeks and a window pass the year.
    const weekly = structuredClone(cart);
    weekly.steps['wait-an-hour'] = { type: 'wait', duration: '52w', next: 'window' };
    weekly.steps.window = {
      type: 'wait',
      until: { kind: 'localWindow', start: '09:00', end: '10:00', days: ['mon'] },
      next: 'remind',
    };
    expect(journeyProblems(weekly)).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('at most 365') }),
    );
    const window = structuredClone(cart);
    window.steps['wait-an-hour'] = {
      type: 'wait',
      until: { kind: 'localWindow', start: '09:00', end: '09:00', days: ['mon', 'mon'] },
      next: 'remind',
    };
    expect(journeyProblems(window).map((problem) => problem.path)).toEqual([
      '$.steps["wait-an-hour"].until.end',
      '$.steps["wait-an-hour"].until.days[1]',
    ]);
  });

  it('refuses a trigger filter that lets events without a customer in', () => {
    const journey = structuredClone(cart);
    journey.trigger.filter = { customerId: [{ exists: false }] };
    expect(journeyProblems(journey)).toContainEqual(
      expect.objectContaining({ path: '$.trigger.filter.customerId' }),
    );
  });

  it('warns when the exit event is the trigger event with filters that may overlap', () => {
    const journey = structuredClone(cart);
    journey.exitOn = [{ event: 'cart.abandoned', filter: { device: ['desktop'] } }];
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({ severity: 'warning', path: '$.exitOn[0].event' }),
    ]);
  });
});

describe('valid journeys that must not be refused', () => {
  const support = JSON.parse(readFileSync('journeys/support-call-followup.json', 'utf8'));

  // The start of every emit test here: each must find only the mistake it makes.
  it('accepts the cart journey with an emit step reading a value, for an event of the catalog', () => {
    const journey = cartJsonWithEmitStep();
    expect(journey.steps.retarget).toMatchObject({ type: 'emit', event: 'retargeting.audience.requested' });
    expect(journeyProblems(journey)).toEqual([]);
  });

  it('keeps a literal object with a "from" date a literal', () => {
    const journey = structuredClone(cart);
    journey.values.validity = { from: '2025-12-01', to: '2025-12-24' };
    journey.values.range = { from: 10, to: 50 };
    expect(journeyProblems(journey)).toEqual([]);
  });

  it('lets a holdout path get transactional messages', () => {
    const journey = structuredClone(support);
    journey.steps['wait-two-hours'].next = 'ab';
    journey.steps.ab = {
      type: 'split',
      paths: [
        { name: 'survey', weight: 90, next: 'survey' },
        { name: 'control', weight: 10, holdout: true, next: 'was-it-resolved' },
      ],
    };
    expect(journeyProblems(journey)).toEqual([]);
  });

  it('accepts filters on optional and free-form fields the catalog defines', () => {
    const orders = structuredClone(cart);
    orders.exitOn = [{ event: 'order.placed', filter: { items: { url: [{ prefix: 'https://' }] } } }];
    expect(journeyProblems(orders)).toEqual([]);
    const profile = structuredClone(cart);
    profile.exitOn = [
      {
        event: 'customer.profile.updated',
        filter: { consent: { email: ['opted-out'] }, attributes: { vip: [true] } },
      },
    ];
    expect(journeyProblems(profile)).toEqual([]);
  });

  it('lets emit read inside a literal value, and explains how to read inside a referenced one', () => {
    const literal = cartJsonWithEmitStep();
    literal.values.promo = { code: 'X10' };
    literal.steps.retarget.detail.offerCode = { from: 'values.promo.code' };
    expect(journeyProblems(literal)).toEqual([]);
    const referenced = cartJsonWithEmitStep();
    referenced.values.first = { from: 'event.items' };
    referenced.steps.retarget.detail.sku = { from: 'values.first.sku' };
    expect(journeyProblems(referenced)).toEqual([
      expect.objectContaining({
        path: '$.steps.retarget.detail.sku.from',
        hint: 'add a value for it: "values": { "sku": { "from": "event.items.sku" } }, then use "values.sku"',
      }),
    ]);
  });

  it('judges an exit on the trigger event by its filters', () => {
    const exclusive = structuredClone(support);
    exclusive.trigger.filter = { resolved: [false] };
    exclusive.exitOn = [{ event: 'support.call.completed', filter: { resolved: [true] }, goal: false }];
    expect(journeyProblems(exclusive)).toEqual([]);
    const everyone = structuredClone(support);
    everyone.trigger.filter = { resolved: [false] };
    everyone.exitOn = [{ event: 'support.call.completed' }];
    expect(journeyProblems(everyone)).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('every customer would leave'),
      }),
    ]);
  });
});

describe('more that would break at run time', () => {
  const support = JSON.parse(readFileSync('journeys/support-call-followup.json', 'utf8'));

  it('refuses a template reading a value taken from an optional field, or the first of a list that may be empty', () => {
    const journey = structuredClone(support);
    journey.values = { agent: { from: 'event.agentName' } };
    journey.steps.survey.template = 'optional-inputs';
    const agent = withTemplate('optional-inputs', { 'sms.liquid': 'Thanks {{ values.agent }}. Reply STOP' });
    expect(journeyProblems(journey, agent).map((problem) => problem.message)).toEqual([
      expect.stringContaining('values.agent comes from a field that is optional'),
    ]);
    const firstStep = withTemplate('optional-inputs', {
      'sms.liquid': 'Next: {{ event.nextSteps[0] }}. Reply STOP',
    });
    expect(journeyProblems(journey, firstStep).map((problem) => problem.message)).toEqual([
      expect.stringContaining('event.nextSteps'),
    ]);
  });

  it('refuses ".$" keys in emitted details and in condition operands', () => {
    const emit = cartJsonWithEmitStep();
    emit.steps.retarget.detail['note.$'] = 'hello';
    expect(journeyProblems(emit)).toContainEqual(
      expect.objectContaining({ path: '$.steps.retarget.detail["note.$"]' }),
    );
    const branch = structuredClone(support);
    branch.steps['was-it-resolved'].cases[0].when = {
      field: 'event.nextSteps',
      contains: { 'sku.$': '$.x' },
    };
    expect(journeyProblems(branch)).toContainEqual(
      expect.objectContaining({ path: '$.steps["was-it-resolved"].cases[0].when.contains["sku.$"]' }),
    );
  });

  it('says a reference inside a literal works only as a whole value', () => {
    const journey = structuredClone(cart);
    journey.values.label = { text: { from: 'event.cartId' } };
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({ message: expect.stringContaining('works only as a whole value') }),
    ]);
  });

  it('warns when a step emits an event the journey exits on', () => {
    const journey = cartJsonWithEmitStep();
    journey.exitOn = [...journey.exitOn, { event: 'retargeting.audience.requested', goal: false }];
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({ severity: 'warning', path: '$.steps.retarget.event' }),
    ]);
  });

  it('puts each operand warning at its own key, with a hint that fits', () => {
    const journey = structuredClone(support);
    journey.steps['was-it-resolved'].cases[0].when = {
      any: [
        { field: 'event.topic', greaterThan: 3 },
        { field: 'event.durationSeconds', in: [60, '120'] },
      ],
    };
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({
        path: '$.steps["was-it-resolved"].cases[0].when.any[0].greaterThan',
        hint: 'compare it with equals, in or startsWith instead',
      }),
      expect.objectContaining({
        path: '$.steps["was-it-resolved"].cases[0].when.any[1].in[1]',
        message: expect.stringContaining('"120" never matches it'),
      }),
    ]);
  });

  it('refuses a journey of more than 200 steps', () => {
    const journey = structuredClone(cart);
    for (let index = 0; index < 200; index++) journey.steps[`extra-${index}`] = { type: 'end' };
    expect(journeyProblems(journey)).toEqual([
      expect.objectContaining({ path: '$.steps', message: expect.stringContaining('at most 200 steps') }),
    ]);
  });
});
