/** How long checking and compiling journeys takes: `npm run bench`. */
import { bench, describe } from 'vitest';
import { compileJourney } from '../shared/journey/compile.ts';
import { loadProject } from '../shared/project/load.ts';

const project = loadProject('journeys');
const settings = project.settings;
if (settings === undefined || project.journeys.length === 0) throw new Error('journeys/ does not load');

describe('journeys/', () => {
  bench(`compile all ${project.journeys.length} sample journeys`, () => {
    for (const { journey } of project.journeys) compileJourney(journey, settings);
  });

  bench('validate the whole folder (read files, schema, graph, templates rendered)', () => {
    loadProject('journeys');
  });
});
