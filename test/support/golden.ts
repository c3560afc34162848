/** Golden files: compared byte for byte, or rewritten with UPDATE_GOLDEN=1. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

export function checkGolden(dir: string, file: string, actual: string, testFile: string): void {
  const path = join(dir, file);
  if (UPDATE_GOLDEN) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${path} is missing: run UPDATE_GOLDEN=1 npx vitest run ${testFile}`).toBe(true);
  expect(actual).toEqual(readFileSync(path, 'utf8'));
}
