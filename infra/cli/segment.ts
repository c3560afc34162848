/**
 * `waymark segment list | preview <id>`: the segments of journeys/segments/,
 * the journeys that start from each, and how many customers one holds now,
 * read from a running local engine or (`--aws`) a deployed stage's table
 * with the store code a broadcast uses. Members are shown by customer id and
 * time zone only: no address leaves the table.
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SAMPLE_SIZE,
  NO_ZONE,
  previewSegment,
  type SegmentPreview,
  segmentUses,
} from '../../shared/audience/preview.ts';
import { SEGMENTS_DIR } from '../../shared/audience/segment.ts';
import { loadProject, type Project } from '../../shared/project/load.ts';
import { duration } from '../../shared/report/format.ts';
import { didYouMean } from '../../shared/text/suggest.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import {
  clientsFor,
  type DataTarget,
  dataTarget,
  engineTime,
  isConnectionRefused,
  nonEmpty,
  UsageError,
} from './endpoint.ts';
import type { Output } from './output.ts';
import { formatTable } from './table.ts';

export const SEGMENT_USAGE = `usage: waymark segment list [--journeys <dir>]
       waymark segment preview <id> [--sample <n>] [--journeys <dir>] [--endpoint <url>] [--json]
       waymark segment preview <id> --aws --table <name> [--region <region>] [--sample <n>] [--json]
  list        each segment of <dir>/segments/ with its name and the journeys that start from it
  preview     how many customers the segment holds now, by time zone, and the first members by id
  --sample    members listed (default ${DEFAULT_SAMPLE_SIZE}; 0 for none)
  --journeys  the journeys folder (default journeys; --dir is the same)
  --endpoint  default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --aws       read a deployed stage's table with the SDK's usual credentials and region
  --table     default ${LOCAL_TABLE} (the local engine's); on AWS the stack's TableName output
  --region    default $AWS_REGION, or ${LOCAL_REGION} for the local engine
  --json      print the preview as JSON`;

/** 0 done, 1 an unknown segment or data that could not be read, 2 a wrong command line. */
export async function segmentCommand(args: readonly string[], io: Output): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'list':
      return usage(
        io,
        () => listRequest(rest),
        (request) => listSegments(request, io),
      );
    case 'preview':
      return usage(
        io,
        () => previewRequest(rest),
        (request) => previewSegmentCommand(request, io),
      );
    case 'help':
    case '--help':
    case '-h':
      io.out(`${SEGMENT_USAGE}\n`);
      return 0;
    default:
      io.err(
        `waymark segment: ${subcommand === undefined ? 'name a subcommand' : `unknown subcommand "${subcommand}"`}\n${SEGMENT_USAGE}\n`,
      );
      return 2;
  }
}

/** A command line that does not parse (parseArgs' own errors included) is answered with the usage and 2. */
async function usage<R>(
  io: Output,
  parse: () => R,
  run: (request: R) => number | Promise<number>,
): Promise<number> {
  let request: R;
  try {
    request = parse();
  } catch (error) {
    io.err(`waymark segment: ${errorMessage(error)}\n${SEGMENT_USAGE}\n`);
    return 2;
  }
  return run(request);
}

function journeysDir(values: { journeys?: string; dir?: string }): string {
  return nonEmpty(values.journeys) ?? nonEmpty(values.dir) ?? 'journeys';
}

function loadFolder(dir: string): Project {
  const path = resolve(dir);
  if (!existsSync(path)) throw new UsageError(`no journeys folder at ${dir} (give --journeys)`);
  return loadProject(path);
}

// ---- list ----------------------------------------------------------------------------------------

interface ListRequest {
  dir: string;
  project: Project;
}

function listRequest(args: readonly string[]): ListRequest {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { journeys: { type: 'string' }, dir: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError('segment list takes no segment id');
  const dir = journeysDir(values);
  return { dir, project: loadFolder(dir) };
}

function listSegments({ dir, project }: ListRequest, io: Output): number {
  const uses = segmentUses(project.journeys.map((loaded) => loaded.journey));
  const rows = [...project.segments.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((segment) => [
      segment.id,
      segment.name,
      (uses.get(segment.id) ?? []).map((use) => `${use.journeyId} (${use.kind})`).join(', ') || '-',
    ]);
  if (rows.length === 0) io.out(`No segments in ${join(dir, SEGMENTS_DIR)}/.\n`);
  else io.out(formatTable([{ header: 'segment' }, { header: 'name' }, { header: 'journeys' }], rows));
  for (const file of brokenSegmentFiles(project))
    io.err(`${relative(process.cwd(), file)} does not load: see waymark validate ${dir}\n`);
  return 0;
}

/** Segment files that gave no segment: their errors are validate's to tell. */
function brokenSegmentFiles(project: Project): string[] {
  return project.segmentFiles.filter((file) =>
    project.problems.some((problem) => problem.file === file && problem.severity === 'error'),
  );
}

// ---- preview -------------------------------------------------------------------------------------

interface PreviewRequest {
  segmentId: string;
  sampleSize: number;
  dir: string;
  project: Project;
  target: DataTarget;
  json: boolean;
}

function previewRequest(args: readonly string[]): PreviewRequest {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      aws: { type: 'boolean' },
      table: { type: 'string' },
      region: { type: 'string' },
      sample: { type: 'string' },
      journeys: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [segmentId] = positionals;
  if (segmentId === undefined || positionals.length > 1)
    throw new UsageError('segment preview takes one segment id, e.g. waymark segment preview gold');
  const sampleText = values.sample ?? String(DEFAULT_SAMPLE_SIZE);
  if (!/^\d+$/.test(sampleText) || Number(sampleText) > 1000)
    throw new UsageError(`--sample is a number of members from 0 to 1000, not "${sampleText}"`);
  const dir = journeysDir(values);
  return {
    segmentId,
    sampleSize: Number(sampleText),
    dir,
    project: loadFolder(dir),
    target: dataTarget(values, 'optional'),
    json: values.json === true,
  };
}

async function previewSegmentCommand(request: PreviewRequest, io: Output): Promise<number> {
  const { project } = request;
  const segment = project.segments.get(request.segmentId);
  if (segment === undefined) {
    io.err(`waymark segment preview: ${unknownSegment(request)}\n`);
    return 1;
  }
  const { target } = request;
  const clients = clientsFor(target);
  let preview: SegmentPreview;
  let now: Date;
  try {
    now = (target.endpoint === undefined ? undefined : await engineTime(target.endpoint)) ?? new Date();
    preview = await previewSegment({ db: clients.dynamodb, table: target.table }, segment, {
      now,
      sampleSize: request.sampleSize,
    });
  } catch (error) {
    io.err(describeReadFailure(error, target));
    return 1;
  } finally {
    clients.dynamodb.destroy();
  }
  if (request.json) {
    io.out(`${JSON.stringify({ ...preview, name: segment.name, asOf: now.toISOString() }, null, 2)}\n`);
    return 0;
  }
  const settingsZone = project.settings?.timeZone;
  const zoneName = (zone: string | undefined): string =>
    zone === undefined || zone === NO_ZONE
      ? `(none${settingsZone === undefined ? '' : `: ${settingsZone}, the settings' zone`})`
      : zone;
  const lines = [
    `${segment.id}: ${segment.name}`,
    `${preview.count} member(s) among ${preview.scanned} profile(s) read, as of ${now.toISOString()}` +
      (preview.historySeconds === undefined ? '' : `; history read back ${duration(preview.historySeconds)}`),
  ];
  if (preview.damaged > 0)
    lines.push(`${preview.damaged} stored profile(s) do not parse and are in no segment.`);
  io.out(`${lines.join('\n')}\n`);
  if (preview.count === 0) return 0;
  io.out(
    `\n${formatTable(
      [{ header: 'time zone' }, { header: 'members', align: 'right' }],
      Object.entries(preview.byZone).map(([zone, count]) => [zoneName(zone), String(count)]),
    )}`,
  );
  if (preview.sample.length > 0) {
    io.out(
      `\nFirst ${preview.sample.length} member(s) by customer id:\n${formatTable(
        [{ header: 'customer' }, { header: 'time zone' }],
        preview.sample.map((member) => [member.customerId, zoneName(member.timeZone)]),
      )}`,
    );
  }
  return 0;
}

/** Why there is no such segment, with the nearest id when there is one. */
function unknownSegment(request: PreviewRequest): string {
  const { project } = request;
  const folder = join(request.dir, SEGMENTS_DIR);
  const file = project.segmentFiles.find((candidate) => basename(candidate) === `${request.segmentId}.json`);
  if (file !== undefined && brokenSegmentFiles(project).includes(file))
    return `${join(folder, `${request.segmentId}.json`)} does not load: see waymark validate ${request.dir}`;
  const ids = [...project.segments.keys()].sort();
  const hint = didYouMean(request.segmentId, ids);
  return (
    `no segment "${request.segmentId}" in ${folder}/` +
    (hint === undefined ? '' : `: ${hint}`) +
    (ids.length === 0 ? ' (there are none)' : `\nsegments: ${ids.join(', ')}`)
  );
}

function describeReadFailure(error: unknown, target: DataTarget): string {
  const where = target.endpoint ?? 'AWS';
  if (target.endpoint !== undefined && isConnectionRefused(error))
    return `waymark segment preview: no local engine at ${target.endpoint}; start it with npm start (or give --endpoint, or --aws)\n`;
  const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
  if (name === 'ResourceNotFoundException: ')
    return `waymark segment preview: no table "${target.table}" at ${where} (give --table)\n`;
  return `waymark segment preview: reading from ${where}: ${name}${errorMessage(error).split('\n')[0] ?? ''}\n`;
}
