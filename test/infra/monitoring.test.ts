/** constructs/monitoring.ts: the dashboard charts what the functions publish. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/cdk/constructs/waymark-function.ts';
import { removeTemporaryFolders, SYNTH_TIMEOUT, type Synthesized, synthWaymark } from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('monitoring', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('charts on the dashboard only metrics the functions publish, with the dimensions they publish', () => {
    const dashboards = Template.fromStack(synth.stack).findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboards);
    const charted = [...body.matchAll(/MetricName=\\+"(\w+)\\+"/g)].map((match) => match[1]);
    expect(charted.length).toBeGreaterThan(0);
    const handlers = FUNCTION_NAMES.map((name) =>
      readFileSync(join('functions', name, 'handler.ts'), 'utf8'),
    ).join('\n');
    const published = new Set([...handlers.matchAll(/addMetric\(\s*'(\w+)'/g)].map((match) => match[1]));
    for (const metric of charted) expect(published).toContain(metric);
  });
});
