/**
 * Synthesizing the Waymark CDK app in tests and benchmarks, with the context cdk.json gives the CLI,
 * and reading what it synthesized (logical ids, nested stack parameters, policies, acknowledgements).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import type { CompiledJourney } from '../../shared/journey/compile.ts';
import { isRecord } from '../../shared/json.ts';
import { isJourneyFileName } from '../../shared/project/load.ts';
import type { JourneyStack } from '../../infra/cdk/constructs/journey.ts';
import type { FunctionName } from '../../infra/cdk/constructs/waymark-function.ts';
import { buildWaymarkApp, type WaymarkApp } from '../../infra/cdk/waymark-app.ts';

/** A synth with cdk-nag takes a few seconds, more on a busy machine. */
export const SYNTH_TIMEOUT = 60_000;

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

/** Context that adds `settings` to cdk.json's dev stage, e.g. `{ existingKeyArn: '...' }`. */
export function devStage(settings: Record<string, unknown>): Record<string, unknown> {
  const stages = cdkContext()['waymark:stages'];
  const dev = isRecord(stages) && isRecord(stages.dev) ? stages.dev : {};
  return { 'waymark:stages': { dev: { ...dev, ...settings } } };
}

/** Existing resources a stage can bring, in one account and region. */
export const EXISTING = {
  eventBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/shop-events',
  tableArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/shop-customers',
  keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
} as const;

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

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const resource = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  // `logicalId`, not `Stack.getLogicalId`: the latter ignores `overrideLogicalId`.
  const id: unknown = Stack.of(resource).resolve(resource.logicalId);
  if (typeof id !== 'string') throw new Error(`${construct.node.path} has no literal logical id`);
  return id;
}

export const getAtt = (construct: IConstruct, attribute: string) => ({
  'Fn::GetAtt': [logicalId(construct), attribute],
});

/** A nested stack sees the parent's values through parameters: follow a `Ref` back to the parent's value. */
export function inParent(synth: Synthesized, journeyStack: JourneyStack, value: unknown): unknown {
  const ref: unknown = typeof value === 'object' && value !== null && 'Ref' in value ? value.Ref : undefined;
  if (typeof ref !== 'string' || journeyStack.nestedStackResource === undefined) return value;
  const parent = Template.fromStack(synth.stack).toJSON();
  const parameters = parent.Resources[logicalId(journeyStack.nestedStackResource)].Properties.Parameters;
  return Object.hasOwn(parameters, ref) ? parameters[ref] : value;
}

export function roleOf(synth: Synthesized, name: FunctionName): IConstruct {
  const role = synth.stack.functions[name].role;
  if (role === undefined) throw new Error(`the ${name} function has no role`);
  return role;
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

export function deployedJourney(
  synth: Synthesized,
  journeyId: string,
): { compiled: CompiledJourney; stack: JourneyStack } {
  const stack = synth.stack.journeys.find(({ journey }) => journey.journeyId === journeyId);
  const compiled = synth.project.journeys.find((journey) => journey.journeyId === journeyId);
  if (stack === undefined || compiled === undefined) throw new Error(`journey ${journeyId} is not deployed`);
  return { compiled, stack };
}

/** Every template the app synthesizes: the core stack and one nested stack per journey. */
export function allTemplates(synth: Synthesized): Template[] {
  return [synth.stack, ...synth.stack.journeys].map((stack) => Template.fromStack(stack));
}

/** Acknowledgements recorded on a construct and its ancestors, by finding (cdk-nag's own lookup). */
export function acknowledgements(construct: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (let node: IConstruct | undefined = construct; node !== undefined; node = node.node.scope) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data)) {
        found.set(id.replace(/^(AwsSolutions|Annotation)::/i, ''), String(reason));
      }
    }
  }
  return found;
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export function policyDocuments(node: IConstruct): { Statement: PolicyStatementJson[] }[] {
  const resolve = (value: unknown) => Stack.of(node).resolve(value);
  if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy)
    return [resolve(node.policyDocument)];
  if (node instanceof iam.CfnRole) {
    return asArray(resolve(node.policies) ?? []).map((policy: { policyDocument: unknown }) =>
      resolve(policy.policyDocument),
    );
  }
  return [];
}
