import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  JOURNEY_SCHEMA_FILE,
  journeyJsonSchemaText,
  SETTINGS_SCHEMA_FILE,
  settingsJsonSchemaText,
} from '../shared/journey/json-schema.ts';
import { isJourneyFileName } from '../shared/project/load.ts';

describe('generated JSON Schemas', () => {
  it('journeys/journey.schema.json is what the schema source generates (run `npx waymark schema --write`)', () => {
    expect(readFileSync(`journeys/${JOURNEY_SCHEMA_FILE}`, 'utf8')).toBe(journeyJsonSchemaText());
  });

  it('journeys/settings.schema.json is what the schema source generates', () => {
    expect(readFileSync(`journeys/${SETTINGS_SCHEMA_FILE}`, 'utf8')).toBe(settingsJsonSchemaText());
  });

  it('every journey and the settings point editors at their schema', () => {
    const journeys = readdirSync('journeys').filter(isJourneyFileName);
    expect(journeys.length).toBeGreaterThanOrEqual(4);
    for (const file of journeys) {
      expect(JSON.parse(readFileSync(`journeys/${file}`, 'utf8')).$schema, file).toBe(`./${JOURNEY_SCHEMA_FILE}`);
    }
    expect(JSON.parse(readFileSync('journeys/settings.json', 'utf8')).$schema).toBe(`./${SETTINGS_SCHEMA_FILE}`);
  });
});
