/**
 * cdk-nag's AwsSolutions rules on every synth. Findings fail synth; each
 * accepted one is acknowledged next to the resource it is about, with its
 * reason. This module only names findings the way cdk-nag does.
 */
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// The function cdk-nag itself uses to name an IAM5 finding, so an acknowledgement matches exactly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** The IAM5 finding for `"Resource": "*"`. */
export const ANY_RESOURCE = 'AwsSolutions-IAM5[Resource::*]';

/** The IAM5 finding for a wildcard resource such as an ARN ending in `*`. */
export function wildcardResource(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Accepts one finding on `scope` and everything under it. The `AwsSolutions::` prefix makes CDK
 * list it among the suppressed violations of the validation report, the audit trail.
 */
export function acknowledge(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${finding}`, reason });
}
