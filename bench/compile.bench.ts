/** How long checking and compiling journeys takes: `npm run bench`. */
import { bench, describe } from 'vitest';
import { compileJourney } from '../shared/journey/compile.ts';
import { journeySchema } from '../shared/journey/schema.ts';
import { loadProject } from '../shared/project/load.ts';

const project = loadProject('journeys');
const settings = project.settings;
if (settings === undefined || project.journeys.length === 0) throw new Error('journeys/ does not load');
const base = project.journeys.find(({ journey }) => journey.id === 'cart-abandonment')?.journey;
if (base === undefined) throw new Error('no cart-abandonment sample');

/** 50 journeys the size of a real one, each with a branch on the event and a split added. */
const generated = Array.from({ length: 50 }, (_, index) =>
  journeySchema.parse({
    ...base,
    id: `generated-${index}`,
    steps: {
      ...base.steps,
      'wait-an-hour': { type: 'wait', duration: `${index + 1}m`, next: 'by-device' },
      'by-device': {
        type: 'branch',
        cases: [{ when: { field: 'event.device', equals: 'mobile' }, next: 'test-group' }],
        default: 'remind',
      },
      'test-group': {
        type: 'split',
        paths: [
          { name: 'email', weight: 90, next: 'remind' },
          { name: 'control', weight: 10, holdout: true, next: 'done' },
        ],
      },
    },
  }),
);

describe('journeys/', () => {
  bench(`compile all ${project.journeys.length} sample journeys`, () => {
    for (const { journey } of project.journeys) compileJourney(journey, settings, project.events);
  });

  bench('validate the whole folder (read files, schema, graph, templates rendered)', () => {
    loadProject('journeys');
  });

  bench('compile 50 generated journeys', () => {
    for (const journey of generated) compileJourney(journey, settings, project.events);
  });
});
