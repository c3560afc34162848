/**
 * How long the CDK app takes to synthesize (validation, compilation, cdk-nag included) and how big
 * each function's bundle is: `npm run bench`. The real synths bundle with esbuild as `npm run synth`
 * does; the others use stub code to show what the journeys themselves cost.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AssetStaging } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { afterAll, bench, describe } from 'vitest';
import { FUNCTION_NAMES } from '../infra/cdk/constructs/waymark-function.ts';
import { loadProject } from '../shared/project/load.ts';
import {
  generatedJourneys,
  removeTemporaryFolders,
  SAMPLE_JOURNEYS,
  type SynthOptions,
  synthWaymark,
} from '../test/support/infra.ts';

/** The goal for each function's index.mjs. */
const BUNDLE_GOAL_BYTES = 300 * 1024;

const GENERATED_JOURNEYS = 50;
const generated = generatedJourneys(GENERATED_JOURNEYS);
const samples = `${loadProject(SAMPLE_JOURNEYS).journeys.length} sample journeys`;
const bundling = `real esbuild bundling of the ${FUNCTION_NAMES.length} functions`;

/** One synth; its output folder is removed at once, and the asset cache cleared so the next one bundles again. */
function synthOnce(options: SynthOptions): void {
  AssetStaging.clearAssetHashCache();
  const synth = synthWaymark(options);
  rmSync(synth.assembly.directory, { recursive: true, force: true });
}

function reportBundleSizes(): void {
  AssetStaging.clearAssetHashCache();
  const synth = synthWaymark({ code: 'esbuild' });
  const rows = FUNCTION_NAMES.map((name) => {
    const asset = synth.stack.functions[name].node.tryFindChild('Code');
    if (!(asset instanceof Asset)) throw new Error(`the ${name} function has no bundled code`);
    const dir = join(synth.assembly.directory, asset.assetPath);
    const code = readFileSync(join(dir, 'index.mjs'));
    return {
      function: name,
      'index.mjs KB': kb(code.length),
      'gzip KB': kb(gzipSync(code).length),
      'index.mjs.map KB': kb(statSync(join(dir, 'index.mjs.map')).size),
      'under 300 KB': code.length < BUNDLE_GOAL_BYTES ? 'yes' : 'no',
    };
  });
  console.log('Function bundles (minified ESM, AWS SDK left to the runtime):');
  console.table(rows);
  rmSync(synth.assembly.directory, { recursive: true, force: true });
}

function kb(bytes: number): number {
  return Math.round(bytes / 102.4) / 10;
}

reportBundleSizes();

afterAll(removeTemporaryFolders);

describe('cdk synth', () => {
  bench(`${samples}, ${bundling}`, () => synthOnce({ code: 'esbuild' }), {
    iterations: 3,
    time: 0,
    warmupIterations: 0,
  });
  bench(`${samples}, stub code`, () => synthOnce({}), { iterations: 5, time: 0, warmupIterations: 1 });
  bench(
    `${GENERATED_JOURNEYS} generated journeys, ${bundling}`,
    () => synthOnce({ journeysDir: generated, code: 'esbuild' }),
    { iterations: 2, time: 0, warmupIterations: 0 },
  );
  bench(`${GENERATED_JOURNEYS} generated journeys, stub code`, () => synthOnce({ journeysDir: generated }), {
    iterations: 3,
    time: 0,
    warmupIterations: 0,
  });
});
