/**
 * The segments of a journeys folder (`segments/*.json`): listed here, parsed
 * only for the deployed functions (synth refused a broken file already), and
 * validated with file, line and column by segments-check.ts for the CLI, the
 * CDK app and the local engine.
 */
import { type Segment, SEGMENTS_DIR, segmentSchema } from '../audience/segment.ts';
import { listJsonFilesIn, parseJsonFile } from './files.ts';

export function listSegmentFiles(journeysDir: string): string[] {
  return listJsonFilesIn(journeysDir, SEGMENTS_DIR);
}

export function loadDeployedSegments(journeysDir: string): Map<string, Segment> {
  const segments = listSegmentFiles(journeysDir).map((file) => parseJsonFile(file, segmentSchema));
  return new Map(segments.map((segment) => [segment.id, segment]));
}
