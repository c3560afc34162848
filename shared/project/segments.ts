/**
 * The segments of a journeys folder (`segments/*.json`): listed here, parsed
 * only for the deployed functions (synth refused a broken file already), and
 * validated with file, line and column by segments-check.ts for the CLI, the
 * CDK app and the local engine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Segment, SEGMENTS_DIR, segmentSchema } from '../audience/segment.ts';
import { kindOf, parseJsonFile } from './files.ts';

export function listSegmentFiles(journeysDir: string): string[] {
  const dir = join(journeysDir, SEGMENTS_DIR);
  if (kindOf(dir) !== 'folder') return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => kindOf(path) === 'file');
}

export function loadDeployedSegments(journeysDir: string): Map<string, Segment> {
  const segments = listSegmentFiles(journeysDir).map((file) => parseJsonFile(file, segmentSchema));
  return new Map(segments.map((segment) => [segment.id, segment]));
}
