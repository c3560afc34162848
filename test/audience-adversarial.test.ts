/**
 * Audiences against hostile input, from outside: segment and journey files a careless or malicious
 * author could write, the CLI given ids that are paths or nonsense, events an outsider puts on the bus
 * in the runtime's own name, profiles a broadcast cannot use, the panel's routes with broken
 * encodings, and a stop and restart in the middle of a broadcast in customers' zones. Only what holds
 * now and is worth keeping is here; the bugs this pass found are in its report, not in failing tests.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMember, type Segment } from '../shared/audience/segment.ts';
import { emptyCustomer } from '../shared/customer/profile-update.ts';
import { isRecord } from '../shared/json.ts';
import { isJourneyFileName } from '../shared/project/load.ts';
import { listBroadcastRuns } from '../shared/store/broadcasts.ts';
import { LOCAL_TABLE } from '../infra/local/constants.ts';
import { main } from '../infra/cli/main.ts';
import { captureIo } from './support/io.ts';
import {
  engineForSuite,
  OPTED_IN,
  startTestEngine,
  type TestEngine,
  tempFolderForSuite,
  withTempFolder,
} from './support/local-engine.ts';
import { oneSendJourney } from './support/audience.ts';

/** The sample folder (settings, templates, events, segments) without the sample journeys and their schedules. */
function bareProject(dir: string): void {
  cpSync('journeys', dir, { recursive: true });
  for (const file of readdirSync(dir)) if (isJourneyFileName(file)) rmSync(join(dir, file));
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2));
}

/** A one-send journey: a marketing newsletter for broadcasts, a transactional welcome for entries. */
function journey(id: string, trigger: Record<string, unknown>): Record<string, unknown> {
  const entry = trigger.on === 'enter';
  return {
    ...oneSendJourney(
      id,
      trigger,
      'email',
      entry ? 'gold-welcome' : 'weekly-newsletter',
      entry ? 'transactional' : 'marketing',
    ),
    entry: { reentry: 'always' },
  };
}

function segmentFile(
  id: string,
  when: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, name: id, when, ...extra };
}

async function putRaw(
  engine: TestEngine,
  entry: { source: string; detailType: string; detail: unknown },
): Promise<void> {
  const result = await engine.eventbridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'waymark',
          Source: entry.source,
          DetailType: entry.detailType,
          Detail: JSON.stringify(entry.detail),
        },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  await engine.advance('1s');
}

async function member(
  engine: TestEngine,
  customerId: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await engine.put('customer.profile.updated', customerId, {
    email: `${customerId}@example.com`,
    consent: OPTED_IN,
    tags: { add: ['newsletter'] },
    ...fields,
  });
}

async function sentTo(engine: TestEngine, journeyId: string): Promise<[string, string][]> {
  return (await engine.outbox({ channel: 'email' }))
    .filter((message) => message.journeyId === journeyId)
    .map((message): [string, string] => [message.customerId, message.time])
    .sort(([a, at], [b, bt]) => a.localeCompare(b) || at.localeCompare(bt));
}

// ---- files -------------------------------------------------------------------------------------------------------

describe('hostile segment and trigger files, as waymark validate reads them', () => {
  const folder = tempFolderForSuite('waymark-audience-adversarial-files-');
  let output = '';
  let exitCode: number;

  beforeAll(async () => {
    const dir = folder();
    bareProject(dir);
    const segments = join(dir, 'segments');
    writeJson(join(segments, 'renamed.json'), segmentFile('other', { field: 'profile.tags', contains: 'a' }));
    writeFileSync(join(segments, 'broken.json'), '{"id": "broken", name: ');
    writeFileSync(
      join(segments, 'proto.json'),
      '{"id":"proto","name":"p","__proto__":{"everyone":true},"when":{"field":"profile.tags","contains":"a"}}',
    );
    const depth = 100;
    writeFileSync(
      join(segments, 'deep.json'),
      `{"id":"deep","name":"d","when":${'{"not":'.repeat(depth)}{"field":"profile.tags","contains":"a"}${'}'.repeat(depth)}}`,
    );
    writeJson(
      join(segments, 'century.json'),
      segmentFile('century', { history: { event: 'order.placed', within: '5200w' } }),
    );
    // Windows Notepad's UTF-8: a byte-order mark before the JSON.
    writeFileSync(
      join(segments, 'bom.json'),
      `\uFEFF${JSON.stringify(segmentFile('bom', { field: 'profile.tags', contains: 'bom' }))}`,
    );
    writeJson(
      join(segments, 'wide.json'),
      segmentFile('wide', {
        any: Array.from({ length: 5000 }, (_, index) => ({
          field: `profile.attributes.k${index}`,
          equals: index,
        })),
      }),
    );
    const weekly = { cron: '0 10 * * MON' };
    writeJson(
      join(dir, 'odd-case.json'),
      journey('odd-case', { segment: 'gold', ...weekly, timeZone: 'Customer' }),
    );
    writeJson(join(dir, 'feb-30.json'), journey('feb-30', { segment: 'gold', cron: '0 10 30 2 *' }));
    writeJson(join(dir, 'both-days.json'), journey('both-days', { segment: 'gold', cron: '0 10 1 * MON' }));
    writeJson(
      join(dir, 'two-kinds.json'),
      journey('two-kinds', { segment: 'gold', ...weekly, at: '2030-01-07T10:00' }),
    );
    writeJson(join(dir, 'uses-century.json'), journey('uses-century', { segment: 'century', ...weekly }));
    writeJson(join(dir, 'fine.json'), journey('fine', { segment: 'wide', ...weekly, timeZone: 'customer' }));
    const io = captureIo();
    const started = Date.now();
    exitCode = await main(['validate', dir], io.io);
    expect(Date.now() - started).toBeLessThan(15_000);
    output = `${io.out}${io.err}`;
  });

  /** The problems reported for one file of the folder, one line each. */
  function problemsOf(file: string): string[] {
    return output.split('\n').filter((line) => line.includes(`${folder()}/${file}:`));
  }

  it('fails the folder, and names what is wrong with each file by its own file', () => {
    expect(exitCode).toBe(1);
    expect(problemsOf('segments/renamed.json')).toEqual([
      expect.stringContaining('The segment id "other" does not match its file name.'),
    ]);
    expect(problemsOf('segments/broken.json')).toEqual([expect.stringContaining('Invalid JSON')]);
    expect(problemsOf('segments/proto.json').join('\n')).toContain('"__proto__" is not allowed as a name.');
    expect(problemsOf('segments/deep.json')).toEqual([
      expect.stringContaining('JSON is nested deeper than 64 levels.'),
    ]);
    expect(problemsOf('segments/century.json')).toEqual([
      expect.stringContaining('"5200w" is longer than a year'),
    ]);
  });

  it('reads a segment saved with a byte-order mark, and one with thousands of conditions, without a problem', () => {
    expect(problemsOf('segments/bom.json')).toEqual([]);
    expect(problemsOf('segments/wide.json')).toEqual([]);
    expect(problemsOf('fine.json')).toEqual([]);
  });

  it('refuses a zone in the wrong case for "customer", an impossible cron, both days, and two kinds at once', () => {
    expect(problemsOf('odd-case.json')).toEqual([expect.stringContaining('Unknown time zone "Customer"')]);
    expect(problemsOf('feb-30.json')).toEqual([expect.stringContaining('"0 10 30 2 *" is not a valid cron')]);
    expect(problemsOf('both-days.json')).toEqual([
      expect.stringContaining('EventBridge Scheduler cannot take both'),
    ]);
    expect(problemsOf('two-kinds.json').join('\n')).toContain('takes exactly one of "at"');
  });

  it('does not let a journey start from a segment whose file was refused', () => {
    expect(problemsOf('uses-century.json')).toEqual([
      expect.stringContaining('$.trigger.segment: There is no segment "century".'),
    ]);
  });

  it("judges fields named like what every object has by the profile's own fields only", () => {
    const profile = emptyCustomer('c-proto').profile;
    const segment = (field: string, exists: boolean): Segment => ({
      id: 'probe',
      name: 'probe',
      when: { field, exists },
    });
    for (const field of [
      'profile.attributes.__proto__',
      'profile.attributes.constructor',
      'profile.attributes.toString',
      'profile.tags.length',
      'profile.consent.hasOwnProperty',
    ]) {
      expect(isMember(segment(field, true), { profile, history: [] }, new Date()), field).toBe(false);
      expect(isMember(segment(field, false), { profile, history: [] }, new Date()), field).toBe(true);
    }
  });
});

// ---- the CLI -----------------------------------------------------------------------------------------------------

describe('waymark segment preview with ids that are paths, empty, huge or unknown', () => {
  // Nothing listens on port 1: every refusal below comes before any read.
  const offline = ['--journeys', 'journeys', '--endpoint', 'http://127.0.0.1:1'];

  it.each([
    ['a path out of the folder', '../../etc/passwd'],
    ['an empty id', ''],
    ['an id of 5,000 characters', 'x'.repeat(5000)],
    ['an unknown id', 'unknown'],
    ['a path back into the folder', 'gold/../gold'],
    ['an id in capitals', 'GOLD'],
    ['"__proto__"', '__proto__'],
    ['"constructor"', 'constructor'],
  ])('answers %s with no such segment and exit code 1', async (_, id) => {
    const io = captureIo();
    expect(await main(['segment', 'preview', id, ...offline], io.io)).toBe(1);
    expect(io.err).toContain(`no segment "${id}" in journeys/segments/`);
    expect(io.err).not.toContain('root:');
    expect(io.out).toBe('');
  });

  it.each(['-1', '1e9', '1001', '0x10', ' 5', ''])(
    'refuses --sample "%s" as a usage error',
    async (sample) => {
      const io = captureIo();
      expect(await main(['segment', 'preview', 'gold', `--sample=${sample}`, ...offline], io.io)).toBe(2);
      expect(io.err).toContain(`--sample is a number of members from 0 to 1000, not "${sample}"`);
    },
  );
});

// ---- one engine, hostile callers ---------------------------------------------------------------------------------

describe('an engine with broadcasts and entry journeys, against what an outsider can do', () => {
  const folder = tempFolderForSuite('waymark-audience-adversarial-engine-');
  beforeAll(() => {
    const dir = folder();
    bareProject(dir);
    const segments = join(dir, 'segments');
    writeJson(
      join(segments, 'tagged.json'),
      segmentFile('tagged', { field: 'profile.tags', contains: 'newsletter' }),
    );
    writeJson(
      join(segments, 'nobody.json'),
      segmentFile('nobody', { field: 'profile.tags', contains: 'nobody' }),
    );
    writeJson(
      join(segments, 'gold-tier.json'),
      segmentFile('gold-tier', { field: 'profile.attributes.tier', equals: 'gold' }),
    );
    writeJson(
      join(segments, 'vip.json'),
      segmentFile('vip', { field: 'profile.attributes.tier', in: ['gold', 'platinum'] }),
    );
    writeJson(
      join(segments, 'shown.json'),
      segmentFile(
        'shown',
        { field: 'profile.tags', contains: 'shown' },
        { name: '<script>alert(1)</script>', description: '<img src=x onerror=alert(2)>' },
      ),
    );
    const at = '2026-11-20T10:00';
    writeJson(
      join(dir, 'zone-broadcast.json'),
      journey('zone-broadcast', { segment: 'tagged', at, timeZone: 'customer' }),
    );
    writeJson(
      join(dir, 'nobody-broadcast.json'),
      journey('nobody-broadcast', { segment: 'nobody', at, timeZone: 'UTC' }),
    );
    writeJson(join(dir, 'enter-gold.json'), journey('enter-gold', { segment: 'gold-tier', on: 'enter' }));
    writeJson(join(dir, 'enter-vip.json'), journey('enter-vip', { segment: 'vip', on: 'enter' }));
  });
  const engine = engineForSuite(() => ({ journeysDir: folder() }));

  it('loads every journey and segment of the folder', () => {
    expect(engine.host.problems).toEqual([]);
  });

  it('starts nothing for a broadcast member, a foreign-source entry or an entry without its id put on the bus', async () => {
    await engine.put('customer.profile.updated', 'c-silver', {
      email: 'silver@example.com',
      consent: OPTED_IN,
      attributes: { tier: 'silver' },
    });
    await putRaw(engine, {
      source: 'waymark.audience',
      detailType: 'waymark.audience.broadcast',
      detail: {
        customerId: 'c-silver',
        segment: 'tagged',
        journeyId: 'zone-broadcast',
        run: '2026-11-20T10:00',
        scheduledFor: '2026-11-18T12:00:00.000Z',
      },
    });
    await putRaw(engine, {
      source: 'crm',
      detailType: 'waymark.segment.entered',
      detail: { customerId: 'c-silver', segment: 'gold-tier', entryId: 'from-the-crm' },
    });
    await putRaw(engine, {
      source: 'waymark.audience',
      detailType: 'waymark.segment.entered',
      detail: { customerId: 'c-silver', segment: 'gold-tier' },
    });
    await engine.advance('1h');
    expect(await engine.outbox({ customerId: 'c-silver' })).toEqual([]);
    const journeys = (await engine.timeline('c-silver')).filter((entry) => entry.kind === 'journey');
    expect(journeys).toEqual([
      expect.objectContaining({
        journeyId: 'enter-gold',
        action: 'not-entered',
        reason: expect.stringContaining('invalid-event: detail.entryId'),
      }),
    ]);
  });

  it('enters two entry journeys at once from one update, and again on each return within the same second', async () => {
    const update = (tier: string) =>
      engine.put('customer.profile.updated', 'c-flap', {
        email: 'flap@example.com',
        consent: OPTED_IN,
        attributes: { tier },
      });
    await update('gold');
    await engine.advance('1m');
    expect((await sentTo(engine, 'enter-gold')).filter(([id]) => id === 'c-flap')).toHaveLength(1);
    expect((await sentTo(engine, 'enter-vip')).filter(([id]) => id === 'c-flap')).toHaveLength(1);
    // Out, in, out, in: no clock moves between these.
    for (const tier of ['silver', 'gold', 'silver', 'gold']) await update(tier);
    await engine.advance('1m');
    const entries = (await engine.timeline('c-flap')).filter(
      (entry) => entry.kind === 'event' && entry.detailType === 'waymark.segment.entered',
    );
    const bySegment = (segment: string) =>
      entries.filter((entry) => isRecord(entry.detail) && entry.detail.segment === segment);
    expect(bySegment('gold-tier')).toHaveLength(3);
    expect(bySegment('vip')).toHaveLength(3);
    expect((await sentTo(engine, 'enter-gold')).filter(([id]) => id === 'c-flap')).toHaveLength(3);
  });

  it('broadcasts to members in one zone in one wave, skips with a reason, and leaves out a profile it cannot read', async () => {
    for (const id of ['c-tokyo-1', 'c-tokyo-2', 'c-damaged'])
      await member(engine, id, { timeZone: 'Asia/Tokyo' });
    await engine.put('customer.profile.updated', 'c-no-email', {
      consent: OPTED_IN,
      tags: { add: ['newsletter'] },
      timeZone: 'Asia/Tokyo',
    });
    await member(engine, 'c-opted-out', { timeZone: 'Asia/Tokyo', consent: { email: 'opted-out' } });
    // A stored zone no clock knows, written straight into the table as anyone with its keys could.
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: engine.endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
    );
    try {
      const key = { pk: 'C#c-damaged', sk: 'PROFILE' };
      const stored = await db.send(new GetCommand({ TableName: LOCAL_TABLE, Key: key }));
      expect(stored.Item?.profile).toMatchObject({ timeZone: 'Asia/Tokyo' });
      await db.send(
        new PutCommand({
          TableName: LOCAL_TABLE,
          Item: { ...stored.Item, profile: { ...stored.Item?.profile, timeZone: 'Mars/Olympus_Mons' } },
        }),
      );
    } finally {
      db.destroy();
    }
    const preview = captureIo();
    expect(
      await main(
        ['segment', 'preview', 'tagged', '--journeys', folder(), '--endpoint', engine.endpoint],
        preview.io,
      ),
    ).toBe(0);
    expect(preview.out).toContain('4 member(s)');
    expect(preview.out).toContain('1 stored profile(s) do not parse and are in no segment.');

    await engine.advance('4d');
    expect(await sentTo(engine, 'zone-broadcast')).toEqual([
      ['c-tokyo-1', '2026-11-20T01:00:00.000Z'],
      ['c-tokyo-2', '2026-11-20T01:00:00.000Z'],
    ]);
    const skipped = async (customerId: string) =>
      (await engine.timeline(customerId)).filter((entry) => entry.kind === 'skipped');
    expect(await skipped('c-no-email')).toEqual([
      expect.objectContaining({ journeyId: 'zone-broadcast', status: 'no-address' }),
    ]);
    expect(await skipped('c-opted-out')).toEqual([
      expect.objectContaining({ journeyId: 'zone-broadcast', status: 'opted-out' }),
    ]);
    expect((await engine.timeline('c-damaged')).filter((entry) => entry.kind === 'journey')).toEqual([]);
    const [run] = await listBroadcastRuns(engine.host.runtime.store, 'zone-broadcast');
    expect(run).toMatchObject({ runId: '2026-11-20T10:00', status: 'done', targeted: 4, started: 4 });
    expect(await listBroadcastRuns(engine.host.runtime.store, 'nobody-broadcast')).toEqual([
      expect.objectContaining({ status: 'done', targeted: 0, started: 0 }),
    ]);
  });

  it('serves the audience pages escaped, and refuses broken or unknown ids in their routes', async () => {
    const get = async (path: string) => {
      const response = await fetch(`${engine.endpoint}${path}`);
      return { status: response.status, body: await response.text() };
    };
    const segments = await get('/segments');
    expect(segments.status).toBe(200);
    expect(segments.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(segments.body).not.toContain('<script>alert(1)');
    expect(segments.body).not.toContain('<img src=x');
    const runs = await get('/journeys/zone-broadcast/broadcasts');
    expect(runs.status).toBe(200);
    expect(runs.body).toContain('2026-11-20T10:00');
    expect((await get('/journeys/%ZZ/broadcasts')).status).toBe(400);
    for (const id of [
      '%3Cscript%3Ealert(3)%3C%2Fscript%3E',
      '%2e%2e%2fsettings.json',
      '__proto__',
      'enter-gold',
    ]) {
      const page = await get(`/journeys/${id}/broadcasts`);
      expect(page.status, id).toBe(404);
      expect(page.body).not.toContain('<script>alert(3)');
    }
  });
});

// ---- daylight saving ---------------------------------------------------------------------------------------------

describe('one-off broadcasts at a local time daylight saving skips or repeats', () => {
  it('sends once: at the skipped time moved on by the gap, at the first of a repeated time', async () => {
    await withTempFolder('waymark-audience-adversarial-dst-', async (dir) => {
      bareProject(dir);
      writeJson(
        join(dir, 'segments', 'tagged.json'),
        segmentFile('tagged', { field: 'profile.tags', contains: 'newsletter' }),
      );
      const zone = 'America/New_York';
      // 2027-03-14: 02:00 jumps to 03:00. 2027-11-07: 01:00-02:00 happens twice.
      writeJson(
        join(dir, 'spring.json'),
        journey('spring', { segment: 'tagged', at: '2027-03-14T02:30', timeZone: zone }),
      );
      writeJson(
        join(dir, 'fall.json'),
        journey('fall', { segment: 'tagged', at: '2027-11-07T01:30', timeZone: zone }),
      );
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        expect(engine.host.problems).toEqual([]);
        await member(engine, 'c-ny', { timeZone: zone });
        await engine.advance('360d');
        expect(await sentTo(engine, 'spring')).toEqual([['c-ny', '2027-03-14T07:30:00.000Z']]);
        expect(await sentTo(engine, 'fall')).toEqual([['c-ny', '2027-11-07T05:30:00.000Z']]);
      } finally {
        await engine.close();
      }
    });
  }, 60_000);
});

// ---- stop and start again ----------------------------------------------------------------------------------------

describe("a broadcast in customers' zones stopped between its waves", () => {
  it('is finished by the next engine on the same data folder: each zone at its time, nobody twice', async () => {
    await withTempFolder('waymark-audience-adversarial-restart-', async (root) => {
      const dir = join(root, 'journeys');
      const data = join(root, 'data');
      mkdirSync(dir);
      bareProject(dir);
      writeJson(
        join(dir, 'segments', 'tagged.json'),
        segmentFile('tagged', { field: 'profile.tags', contains: 'newsletter' }),
      );
      writeJson(
        join(dir, 'black-friday.json'),
        journey('black-friday', { segment: 'tagged', at: '2026-11-20T10:00', timeZone: 'customer' }),
      );
      let engine = await startTestEngine({
        journeysDir: dir,
        dataDir: data,
        start: new Date('2026-11-18T12:00:00Z'),
      });
      try {
        await member(engine, 'c-tokyo', { timeZone: 'Asia/Tokyo' });
        await member(engine, 'c-lisbon', { timeZone: 'Europe/Lisbon' });
        await member(engine, 'c-saopaulo', { timeZone: 'America/Sao_Paulo' });
        // Past Tokyo's 10:00 (01:00Z), before Lisbon's.
        expect(await engine.advance('38h')).toBe('2026-11-20T02:00:00.000Z');
        expect(await sentTo(engine, 'black-friday')).toEqual([['c-tokyo', '2026-11-20T01:00:00.000Z']]);
      } finally {
        await engine.close();
      }
      expect(readdirSync(data).length).toBeGreaterThan(0);
      // No clock given: the engine resumes the one the data folder saved, and judges the one-off's time
      // by it (weeks behind the real date), so the broadcast still loads and is finished.
      engine = await startTestEngine({ journeysDir: dir, dataDir: data });
      try {
        expect(engine.host.problems).toEqual([]);
        expect(engine.host.clock.now().toISOString()).toBe('2026-11-20T02:00:00.000Z');
        await engine.advance('1d');
        expect(await sentTo(engine, 'black-friday')).toEqual([
          ['c-lisbon', '2026-11-20T10:00:00.000Z'],
          ['c-saopaulo', '2026-11-20T13:00:00.000Z'],
          ['c-tokyo', '2026-11-20T01:00:00.000Z'],
        ]);
        expect(await listBroadcastRuns(engine.host.runtime.store, 'black-friday')).toEqual([
          expect.objectContaining({ status: 'done', targeted: 3, started: 3 }),
        ]);
      } finally {
        await engine.close();
      }
    });
  }, 60_000);
});
