/** Synthesizing the Waymark CDK app in tests and benchmarks, with the context cdk.json gives the CLI. */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { isJourneyFileName } from '../../shared/project/load.ts';
import { buildWaymarkApp, type WaymarkApp } from '../../infra/cdk/waymark-app.ts';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const SAMPLE_JOURNEYS = join(PROJECT_ROOT, 'journeys');

const temporaryFolders: string[] = [];

function temporaryFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryFolders.push(dir);
  return dir;
}

/** Removes every folder the helpers below created (synth outputs are a few MB each). */
export function removeTemporaryFolders(): void {
  for (const dir of temporaryFolders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function cdkContext(): Record<string, unknown> {
  const cdkJson: { context: Record<string, unknown> } = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
  );
  return cdkJson.context;
}

export interface SynthOptions {
  /** @default the sample journeys */
  readonly journeysDir?: string;
  /** Merged over cdk.json's context. */
  readonly context?: Record<string, unknown>;
  /**
   * `inline`: a stub handler, for tests that only read templates; `esbuild`: the real bundles.
   * @default 'inline'
   */
  readonly code?: 'inline' | 'esbuild';
}

export interface Synthesized extends WaymarkApp {
  readonly app: App;
  readonly assembly: CloudAssembly;
}

/** Builds the app exactly as infra/cdk/app.ts does and synthesizes it (cdk-nag included) into a temp folder. */
export function synthWaymark(options: SynthOptions = {}): Synthesized {
  const app = new App({
    outdir: temporaryFolder('waymark-cdk-'),
    context: {
      ...cdkContext(),
      'waymark:journeysDir': options.journeysDir ?? SAMPLE_JOURNEYS,
      ...options.context,
    },
  });
  const waymark = buildWaymarkApp({
    app,
    projectRoot: PROJECT_ROOT,
    ...(options.code === 'esbuild'
      ? {}
      : { functionCode: () => lambda.Code.fromInline('export const handler = async () => ({});') }),
  });
  return { ...waymark, app, assembly: app.synth() };
}

/** A writable copy of the sample journeys folder. */
export function copySampleJourneys(): string {
  const dir = temporaryFolder('waymark-journeys-');
  cpSync(SAMPLE_JOURNEYS, dir, { recursive: true });
  return dir;
}

/** A journey file as JSON, to change before writing it back. */
export function readJourney(dir: string, id: string) {
  return JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8'));
}

export function writeJourney(dir: string, journey: Record<string, unknown> & { id: string }): void {
  writeFileSync(join(dir, `${journey.id}.json`), `${JSON.stringify(journey, null, 2)}\n`);
}

/** A journeys folder with `count` journeys, copies of the samples under new ids. */
export function generatedJourneys(count: number): string {
  const dir = copySampleJourneys();
  const samples = readdirSync(dir)
    .filter(isJourneyFileName)
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
  for (let index = 0; index < count; index += 1) {
    const sample = samples[index % samples.length];
    writeJourney(dir, { ...sample, id: `${sample.id}-${String(index + 1).padStart(2, '0')}` });
  }
  // Only the generated copies stay.
  for (const sample of samples) rmSync(join(dir, `${sample.id}.json`));
  return dir;
}
