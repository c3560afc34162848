/**
 * `waymark cost --volume` and `waymark capacity` over the sample journeys in journeys/: they run,
 * name a binding quota for every journey on both targets, keep `waymark cost` as it was without
 * --volume, and refuse a bad value with a clear error and exit code 1.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { QUOTA_IDS } from '../shared/scale/quotas.ts';
import { captureIo } from './support/io.ts';
import { sampleIds } from './support/project.ts';

function waymark(...argv: string[]): { code: number; out: string; err: string } {
  const output = captureIo();
  const code = main(argv, output.io);
  if (typeof code !== 'number') throw new Error(`waymark ${argv.join(' ')} did not finish synchronously`);
  return { code, out: output.out, err: output.err };
}

/** The rows of the table that follows `heading` (up to the first line that is no row). */
function rowsAfter(out: string, heading: string): string[][] {
  const lines = out.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" in\n${out}`);
  const rows: string[][] = [];
  // The heading, the header, the rule, then rows.
  for (const line of lines.slice(start + 3)) {
    if (line.trim() === '' || !/\s{2,}/.test(line)) break;
    rows.push(line.split(/\s{2,}/));
  }
  return rows;
}

describe('waymark cost --volume', () => {
  const result = waymark('cost', '--volume', '1000000/month');

  it('prints every sample journey on both targets, by service, and the ratio', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('Monthly cost at 1,000,000 entries a month per journey');
    const header = result.out
      .split('\n')
      .find((line) => line.startsWith('journey') && line.includes('target'));
    for (const service of ['Step Functions', 'Scheduler', 'Lambda', 'DynamoDB', 'EventBridge', 'total']) {
      expect(header).toContain(service);
    }
    for (const id of sampleIds) {
      expect(result.out).toMatch(new RegExp(`^${id} +standard +`, 'm'));
      expect(result.out).toMatch(new RegExp(`^${id} +high-volume +`, 'm'));
      expect(result.out).toMatch(new RegExp(`^${id} +\\d+\\.\\dx +\\d+\\.\\dx +`, 'm'));
    }
    expect(result.out).toContain('Excluded: SES and SNS');
  });

  it('prices cart-abandonment on Standard by hand: 7 transitions x 1M x $0.025/1,000 = $175.00', () => {
    const row = result.out.split('\n').find((line) => /^cart-abandonment +standard /.test(line));
    const cells = row?.split(/\s{2,}/) ?? [];
    // journey, target, Step Functions, Scheduler, Lambda, DynamoDB, EventBridge, total
    expect(cells[2]).toBe('175.00');
    expect(cells[3]).toBe('0.00');
    // One trigger event a month per entry: 1,000,000 x $1/M.
    expect(cells[6]).toBe('1.00');
    const total = Number(cells[7]?.replaceAll(',', ''));
    const parts = cells.slice(2, 7).map((cell) => Number(cell.replaceAll(',', '')));
    expect(total).toBeCloseTo(
      parts.reduce((sum, part) => sum + part, 0),
      1,
    );
  });

  it("says what each target adds to the work both do, by hand from cart-abandonment's rows", () => {
    const cells = (target: string): number[] =>
      (result.out.split('\n').find((line) => new RegExp(`^cart-abandonment +${target} `).test(line)) ?? '')
        .split(/\s{2,}/)
        .slice(2, 7)
        .map((cell) => Number(cell.replaceAll(',', '')));
    const [sfn = 0, scheduler = 0, lambda = 0, dynamodb = 0, events = 0] = cells('high-volume');
    const [standardSfn = 0, , standardLambda = 0, standardDynamodb = 0, standardEvents = 0] =
      cells('standard');
    // Standard adds its transitions; high-volume its Express parts, its schedules and what its parks call
    // and write beyond Standard's same work.
    const added =
      sfn + scheduler + (lambda - standardLambda) + (dynamodb - standardDynamodb) + (events - standardEvents);
    const ratio = result.out
      .split('\n')
      .find((line) => /^cart-abandonment +\d/.test(line))
      ?.split(/\s{2,}/);
    expect(Number(ratio?.[3]?.replace('x', ''))).toBeCloseTo(standardSfn / added, 1);
  });

  it('scales with the volume: 10,000/day is 304,166.67 a month, and Standard costs in proportion', () => {
    const perDay = waymark('cost', '--volume', '10000/day');
    expect(perDay.code).toBe(0);
    expect(perDay.out).toContain('at 304,167 entries a month');
    // 7 x 304,166.67 x $0.000025 = $53.23
    expect(perDay.out).toMatch(/^cart-abandonment +standard +53\.23 /m);
  });

  it('keeps waymark cost without --volume as it was', () => {
    const plain = waymark('cost', 'journeys');
    expect(plain.code).toBe(0);
    expect(plain.out.split('\n')[0]).toMatch(/^journey +workflow +transitions +lambda +service +messages/);
    expect(plain.out).toMatch(/^cart-abandonment +STANDARD +7 +5 +0 +3 +2\.33 +0\.1750$/m);
    expect(plain.out).not.toContain('high-volume');
  });

  it('refuses a bad volume with a clear error and exit code 1', () => {
    for (const bad of ['lots/month', '1000/fortnight', '-1/day', '0/month']) {
      const refused = waymark('cost', `--volume=${bad}`);
      expect(refused.code).toBe(1);
      expect(refused.out).toBe('');
      expect(refused.err).toContain(
        `--volume ${bad}: expected entries per journey as <number>/<month|day|hour|s>`,
      );
    }
    // A value that looks like an option, or none at all, is the command line's own error.
    for (const args of [['--volume', '-1/day'], ['--volume'], ['--volumes', '5']]) {
      const refused = waymark('cost', ...args);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^waymark cost: .*'--volume/);
    }
  });
});

describe('waymark capacity', () => {
  const result = waymark('capacity');

  it('names a binding quota for every sample journey on both targets, and the account together', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    for (const heading of ['Standard:', 'High-volume:']) {
      const rows = rowsAfter(result.out, heading);
      const ids = rows.map((row) => row[0]);
      expect(ids).toEqual([...sampleIds, `all ${sampleIds.length}, equal rates`]);
      for (const row of rows) {
        // journey, entries/s, msgs/entry, messages/s, binding quota, next bound
        expect(QUOTA_IDS).toContain(row[4]);
        expect(Number(row[1]?.replaceAll(',', ''))).toBeGreaterThan(0);
      }
    }
  });

  it('gives the hand-worked figures: cart-abandonment lives 24 h, 1,000,000 / 86,400 = 11.57 entries/s', () => {
    const cart = rowsAfter(result.out, 'Standard:').find((row) => row[0] === 'cart-abandonment');
    // 2 messages an entry: 23.15 messages/s.
    expect(cart?.slice(1, 5)).toEqual(['11.57', '2', '23.15', 'sfn-open-executions']);
    // High-volume: 10,000,000 schedules / 86,400 s = 115.74 entries/s, shown whole above 100.
    const parked = rowsAfter(result.out, 'High-volume:').find((row) => row[0] === 'cart-abandonment');
    expect(parked?.slice(1, 5)).toEqual(['116', '2', '231', 'scheduler-schedules']);
  });

  it('says what 10,000 messages/s in one account takes, quota by quota', () => {
    expect(result.out).toMatch(/^10,000 messages\/s \([\d,.]+ entries\/s at equal rates\) needs:$/m);
    expect(result.out).toMatch(/^ {2}sfn-open-executions: 1,000,000 -> [\d,]+ open executions$/m);
    expect(result.out).toMatch(/^ {2}scheduler-invocations: 1,000 -> [\d,]+ invocations\/s$/m);
    // 16 shards of 1,000 writes a second: no longer short of 10,000 messages/s.
    expect(result.out).not.toContain('dynamodb-sent-index-writes');
    expect(result.out).toContain('Quotas named above');
  });

  it('takes quota overrides: with 30,000,000 open executions StartExecution binds cart-abandonment at 300', () => {
    const raised = waymark('capacity', '--quota', 'sfn-open-executions=30000000');
    expect(raised.code).toBe(0);
    const cart = rowsAfter(raised.out, 'Standard:').find((row) => row[0] === 'cart-abandonment');
    // 30,000,000 / 86,400 = 347.2 > 300 = StartExecution.
    expect(cart?.slice(1, 5)).toEqual(['300', '2', '600', 'sfn-standard-starts']);
  });

  it('takes the SES rate: 14 emails/s binds gold-welcome (one email an entry) at 14 on both targets', () => {
    const ses = waymark('capacity', '--ses-rate', '14');
    expect(ses.code).toBe(0);
    for (const heading of ['Standard:', 'High-volume:']) {
      const gold = rowsAfter(ses.out, heading).find((row) => row[0] === 'gold-welcome');
      expect(gold?.slice(1, 5)).toEqual(['14', '1', '14', 'ses-send-rate']);
    }
  });

  it('lists the quotas with their console names', () => {
    const quotas = waymark('capacity', '--quotas');
    expect(quotas.code).toBe(0);
    for (const id of QUOTA_IDS) expect(quotas.out).toMatch(new RegExp(`^${id} `, 'm'));
    expect(quotas.out).toContain('StartExecution throttle token refill rate per second');
    expect(quotas.out).toContain('Number of schedules');
  });

  it('refuses a bad --quota or --ses-rate with a clear error and exit code 1', () => {
    const cases: [string[], string][] = [
      [['--quota', 'nope=5'], '--quota nope=5: no quota "nope"'],
      [
        ['--quota', 'sfn-open-executions=lots'],
        '--quota sfn-open-executions=lots: the value must be a positive number',
      ],
      [['--quota', 'sfn-open-executions=0'], 'the value must be a positive number'],
      [['--quota', 'sfn-open-executions'], 'expected name=value'],
      [['--ses-rate', 'fast'], '--ses-rate fast: expected emails a second'],
      [['--goal=-1'], '--goal -1: expected messages a second'],
      [['--goal', '-1'], "'--goal"],
      [['--quotas=yes'], "'--quotas'"],
    ];
    for (const [args, message] of cases) {
      const refused = waymark('capacity', ...args);
      expect(refused.code).toBe(1);
      expect(refused.out).toBe('');
      expect(refused.err).toContain(message);
    }
  });

  it('is in the help text', () => {
    const help = waymark('help');
    expect(help.out).toContain('waymark capacity');
    expect(help.out).toContain('waymark cost --volume 1000000/month');
  });
});

describe('waymark cost, without --volume, on a high-volume journey', () => {
  it('names the target and says the table holds its first part only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-hv-cost-'));
    try {
      cpSync('journeys', dir, { recursive: true });
      const file = join(dir, 'cart-abandonment.json');
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), workflow: 'high-volume' }),
      );
      const result = waymark('cost', dir);
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/^cart-abandonment +HIGH-VOLUME +/m);
      expect(result.out).toMatch(/^chat-followup +STANDARD +/m);
      expect(result.out).toContain('HIGH-VOLUME: the first part only');
      expect(waymark('cost').out).not.toContain('HIGH-VOLUME');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
