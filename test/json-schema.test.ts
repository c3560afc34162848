import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  EVENT_SCHEMA_FILE,
  eventFileJsonSchemaText,
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
      expect(JSON.parse(readFileSync(`journeys/${file}`, 'utf8')).$schema, file).toBe(
        `./${JOURNEY_SCHEMA_FILE}`,
      );
    }
    expect(JSON.parse(readFileSync('journeys/settings.json', 'utf8')).$schema).toBe(
      `./${SETTINGS_SCHEMA_FILE}`,
    );
  });
});

describe('what an editor sees through the JSON Schema', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validateJourney = ajv.compile(JSON.parse(readFileSync(`journeys/${JOURNEY_SCHEMA_FILE}`, 'utf8')));
  const validateSettings = ajv.compile(JSON.parse(readFileSync(`journeys/${SETTINGS_SCHEMA_FILE}`, 'utf8')));

  it('accepts every sample journey and the settings (no false underlines)', () => {
    for (const file of readdirSync('journeys').filter(isJourneyFileName)) {
      const journey = JSON.parse(readFileSync(`journeys/${file}`, 'utf8'));
      expect(validateJourney(journey), `${file}: ${ajv.errorsText(validateJourney.errors)}`).toBe(true);
    }
    expect(validateSettings(JSON.parse(readFileSync('journeys/settings.json', 'utf8')))).toBe(true);
  });

  it('underlines a misspelt property and an unknown step type', () => {
    const journey = JSON.parse(readFileSync('journeys/cart-abandonment.json', 'utf8'));
    journey.steps.remind.nxt = 'await-order';
    expect(validateJourney(journey)).toBe(false);
    const other = JSON.parse(readFileSync('journeys/cart-abandonment.json', 'utf8'));
    other.steps.remind.type = 'sendd';
    expect(validateJourney(other)).toBe(false);
  });
});

describe('what an editor sees of an event file through journeys/event.schema.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validateEventFile = ajv.compile(JSON.parse(readFileSync(`journeys/${EVENT_SCHEMA_FILE}`, 'utf8')));
  const eventFiles = readdirSync('journeys/events').filter((file) => file.endsWith('.json'));

  it('journeys/event.schema.json is what the event file schema generates', () => {
    expect(readFileSync(`journeys/${EVENT_SCHEMA_FILE}`, 'utf8')).toBe(eventFileJsonSchemaText());
  });

  it('every sample event file points editors at it and passes it', () => {
    expect(eventFiles.length).toBeGreaterThanOrEqual(7);
    for (const file of eventFiles) {
      const value = JSON.parse(readFileSync(`journeys/events/${file}`, 'utf8'));
      expect(value.$schema, file).toBe(`../${EVENT_SCHEMA_FILE}`);
      expect(validateEventFile(value), `${file}: ${ajv.errorsText(validateEventFile.errors)}`).toBe(true);
    }
  });

  it('underlines an event file without examples or with a misspelt x-waymark key', () => {
    const value = JSON.parse(readFileSync('journeys/events/order.placed.json', 'utf8'));
    expect(validateEventFile({ ...value, examples: [] })).toBe(false);
    expect(validateEventFile({ ...value, 'x-waymark': { customerID: 'customerId' } })).toBe(false);
  });
});
