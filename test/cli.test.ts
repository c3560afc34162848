import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { captureIo } from './support/io.ts';
import { ROOT, sample } from './support/project.ts';

// The CLI resolves paths against the working directory, as `npx waymark` in the repository does.
function waymark(...argv: string[]): { code: number; out: string; err: string } {
  const output = captureIo();
  const code = main(argv, output.io);
  // Only erase answers with a promise, and it has its own tests; these commands answer at once.
  if (typeof code !== 'number') throw new Error(`waymark ${argv.join(' ')} did not finish synchronously`);
  return { code, out: output.out, err: output.err };
}

describe('waymark CLI', () => {
  it('validates the sample journeys without errors', () => {
    const result = waymark('validate', 'journeys');
    expect(result.err).toBe('');
    expect(result.out).toContain('0 error(s)');
    expect(result.code).toBe(0);
  });

  it('validates journeys/ when no path is given', () => {
    const result = waymark('validate');
    expect(result.out).toContain('0 error(s)');
    expect(result.code).toBe(0);
  });

  it('points at the dangling next with file:line:column, JSON path and hint', () => {
    const result = waymark('validate', 'test/journeys/broken/dangling-next.json');
    expect(result.code).toBe(1);
    expect(result.err).toContain('dangling-next.json:19:57');
    expect(result.err).toContain('$.steps["wait-an-hour"].next');
    expect(result.err).toContain('Unknown step "remnd"');
    expect(result.err).toContain('hint: did you mean "remind"?');
    expect(result.out).toContain('1 error(s)');
  });

  it('fails on every broken journey and names each file', () => {
    const files = readdirSync(`${ROOT}test/journeys/broken`)
      .filter((name) => name.endsWith('.json'))
      .map((name) => `test/journeys/broken/${name}`);
    const result = waymark('validate', ...files);
    expect(result.code).toBe(1);
    for (const file of files) expect(result.err).toContain(file);
    expect(result.out).toContain(
      `${files.length} journey file(s), 7 event file(s) and 3 segment file(s) checked`,
    );
  });

  it('draws the journey as a Mermaid flowchart with every step', () => {
    const stepIds = Object.keys(sample('cart-abandonment').steps);
    expect(stepIds).toContain('await-order');

    const result = waymark('graph', 'journeys/cart-abandonment.json');
    expect(result.code).toBe(0);
    expect(result.out.startsWith('flowchart TD')).toBe(true);
    for (const id of stepIds) expect(result.out).toContain(id);
  });

  it('prints the ASL definition with --asl, byte for byte the golden file', () => {
    const result = waymark('compile', 'journeys/cart-abandonment.json', '--asl');
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toBe(readFileSync(`${ROOT}test/golden/cart-abandonment.asl.json`, 'utf8'));
  });

  it('refuses to compile a broken journey and says why', () => {
    const result = waymark('compile', 'test/journeys/broken/dangling-next.json');
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain('Unknown step "remnd"');
  });

  it('exits 2 on an unknown command and shows the usage', () => {
    const result = waymark('valdiate');
    expect(result.code).toBe(2);
    expect(result.err).toContain('Unknown command "valdiate"');
    expect(result.err).toContain('Usage:');
  });

  it('exits 2 when the file does not exist', () => {
    const result = waymark('validate', 'journeys/no-such-journey.json');
    expect(result.code).toBe(2);
    expect(result.err).toContain('no-such-journey.json: no such file or folder');
  });

  it('prints the cost model as a table: a row per journey, figures aligned on the right', () => {
    const result = waymark('cost', 'journeys');
    expect(result.code).toBe(0);
    const [header, rule, ...rows] = result.out.split('\n');
    expect(header).toMatch(/^journey\s+workflow\s+transitions\s+lambda/);
    expect(rule).toMatch(/^-+ {2}-+/);
    const cart = rows.find((row) => row.startsWith('cart-abandonment'));
    // Right-aligned: each figure ends where its header ends.
    expect(cart?.indexOf('STANDARD')).toBe(header?.indexOf('workflow'));
    expect(header?.length).toBe(cart?.length);
  });

  it('runs as `npx waymark` through the real bin script', () => {
    const result = spawnSync(process.execPath, ['bin/waymark.mjs', 'validate', 'journeys'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('0 error(s)');
    expect(result.status).toBe(0);
  });
});

describe('waymark CLI on awkward input', () => {
  /** A scratch project: the sample settings and templates, and journeys the test writes. */
  function scratchProject(): string {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-cli-'));
    cpSync('journeys/settings.json', join(dir, 'settings.json'));
    cpSync('journeys/templates', join(dir, 'templates'), { recursive: true });
    cpSync('journeys/events', join(dir, 'events'), { recursive: true });
    return dir;
  }

  it('finds a duplicate journey id across files named one by one', () => {
    const dir = scratchProject();
    cpSync('journeys/cart-abandonment.json', join(dir, 'cart-abandonment.json'));
    cpSync('journeys/cart-abandonment.json', join(dir, 'copy.json'));
    const result = waymark('validate', join(dir, 'cart-abandonment.json'), join(dir, 'copy.json'));
    expect(result.code).toBe(1);
    expect(result.err).toContain('Journey id "cart-abandonment" is also used by');
  });

  it('reports a broken link in templates/ as a problem instead of stopping', () => {
    const dir = scratchProject();
    cpSync('journeys/cart-abandonment.json', join(dir, 'cart-abandonment.json'));
    symlinkSync(join(dir, 'nowhere.liquid'), join(dir, 'templates', 'cart-nudge', 'sms.liquid.bak'));
    const result = waymark('validate', dir);
    expect(result.code).toBe(1);
    expect(result.err).toContain('sms.liquid.bak');
    expect(result.err).toContain('Cannot read this template file');
  });

  it('compiles one journey file, and says so when given a folder or the settings', () => {
    for (const target of ['journeys', 'journeys/settings.json']) {
      const result = waymark('compile', target);
      expect(result.code, target).toBe(2);
      expect(result.err).toContain('expected one journey file');
    }
  });
});
