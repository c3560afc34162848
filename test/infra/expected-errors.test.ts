/**
 * A deferral is thrown by the deliver function (Waymark.Deferred) for the state machine to catch and
 * wait on: its errors alarm must leave those out, or every night's quiet hours would page someone.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logicalId,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

interface AlarmProperties {
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Namespace: string } };
  }[];
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
}

describe('the functions errors alarms', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  function errorsAlarmOf(name: 'deliver' | 'steps'): AlarmProperties {
    const template = Template.fromStack(synth.stack);
    const alarm = synth.stack.runtime.functions[name].errorsAlarm;
    const resource: unknown = template.toJSON().Resources[logicalId(alarm)];
    if (typeof resource !== 'object' || resource === null || !('Properties' in resource)) {
      throw new Error(`no alarm for ${name}`);
    }
    const properties: unknown = resource.Properties;
    if (typeof properties !== 'object' || properties === null) throw new Error(`no properties for ${name}`);
    return properties;
  }

  it("deliver's counts its errors less the deferrals it throws on purpose (DeferralsThrown)", () => {
    const alarm = errorsAlarmOf('deliver');
    const expression = alarm.Metrics?.find((metric) => metric.Expression !== undefined)?.Expression;
    expect(expression).toBe('errors - FILL(expected, 0)');
    const names = alarm.Metrics?.flatMap((metric) =>
      metric.MetricStat === undefined
        ? []
        : [`${metric.MetricStat.Metric.Namespace}/${metric.MetricStat.Metric.MetricName}`],
    );
    expect(names?.sort()).toEqual(['AWS/Lambda/Errors', 'Waymark/DeferralsThrown']);
  });

  it("steps' counts every error", () => {
    const alarm = errorsAlarmOf('steps');
    expect(alarm.MetricName).toBe('Errors');
    expect(alarm.Metrics).toBeUndefined();
  });
});
