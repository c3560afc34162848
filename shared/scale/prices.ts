/**
 * What each service charges, us-east-1, late 2026, in USD. Each figure names the page it was
 * checked on; "(?)" marks a figure only a secondary page gave (the official page renders its rate
 * table from script, so its text did not carry the number).
 *
 * Left out of every cost here, and named so by the CLI: SES and SNS messages themselves (priced per
 * message and channel, docs/channels.md), DynamoDB storage, CloudWatch Logs and X-Ray, KMS.
 */

export interface Prices {
  /** Step Functions Standard, per state transition (retries count). */
  standardTransition: number;
  /** Standard transitions free each month (not only in the first year). */
  standardFreeTransitions: number;
  /** Step Functions Express, per request (each execution started). */
  expressRequest: number;
  /** Express duration, per GB-second: billed in 100 ms steps, memory in 64 MB chunks. */
  expressGbSecond: number;
  /** The smallest Express memory chunk, in MB, and the step its duration is rounded up to, in ms. */
  expressMemoryChunkMb: number;
  expressDurationStepMs: number;
  /** EventBridge Scheduler, per invocation, after the free ones each month. */
  schedulerInvocation: number;
  schedulerFreeInvocations: number;
  /** EventBridge custom events, per event (each 64 KB chunk of one counts as one). */
  customEvent: number;
  /** Lambda, per request, and per GB-second on Arm (Graviton), which every Waymark function runs on. */
  lambdaRequest: number;
  lambdaArmGbSecond: number;
  /** DynamoDB on-demand, per write request unit (1 KB) and per read request unit (4 KB, strongly consistent). */
  dynamodbWriteUnit: number;
  dynamodbReadUnit: number;
}

export const US_EAST_1_PRICES: Prices = {
  // https://aws.amazon.com/step-functions/pricing/ : "$0.025 per 1,000 state transitions", "4,000
  // free state transitions per month", retries count as transitions; US East (N. Virginia) $0.0250.
  standardTransition: 0.025 / 1000,
  standardFreeTransitions: 4000,
  // Same page: Express counts "a request each time it starts executing a workflow"; duration
  // "rounded up to the nearest 100ms" with memory "billed in 64-MB chunks". The rates themselves
  // ($1.00 per million requests, $0.00001667 per GB-second for the first 1,000 GB-hours a month) are
  // in the page's rate table, which the stored text did not carry (?); AWS's compute blog "Building
  // cost-effective AWS Step Functions workflows" gives the $1.00 per million.
  expressRequest: 1 / 1_000_000,
  expressGbSecond: 0.00001667,
  expressMemoryChunkMb: 64,
  expressDurationStepMs: 100,
  // https://cloudburn.io/blog/amazon-eventbridge-pricing (March 2026): Scheduler "$1.00 per million
  // invocations", "14M invocations/month" free; creating and storing schedules is not billed
  // (https://awsnegotiations.com/eventbridge-scheduler-cost). Secondary pages only (?).
  schedulerInvocation: 1 / 1_000_000,
  schedulerFreeInvocations: 14_000_000,
  // Same cloudburn page: custom events "$1.00" per million, billed per 64 KB chunk; delivery to
  // targets in the same account is not billed, and AWS service events (Step Functions' status
  // changes) are free (https://www.wring.co/blog/aws-eventbridge-pricing-guide) (?).
  customEvent: 1 / 1_000_000,
  // Lambda: "$0.20 / 1M" requests; "$0.0000133334 / GB-s" on arm64 ($0.0000166667 on x86_64), first
  // 7.5 billion GB-seconds a month (https://cloudchipr.com/blog/aws-lambda-pricing; the official page
  // https://aws.amazon.com/lambda/pricing/ renders these from script) (?). Waymark's functions are
  // ARM_64 (infra/cdk/constructs/waymark-function.ts), so the Arm rate applies, not the x86 one.
  lambdaRequest: 0.2 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  // DynamoDB on-demand after the November 2024 reduction: "$0.625 per million write request units",
  // "$0.125 per million read request units" (https://airbyte.com/data-engineering-resources/dynamodb-pricing) (?);
  // unit sizes from AWS's "How AWS Pricing Works: DynamoDB": a strongly consistent read of up to
  // 4 KB is one RRU (eventually consistent half), a write of up to 1 KB one WRU.
  dynamodbWriteUnit: 0.625 / 1_000_000,
  dynamodbReadUnit: 0.125 / 1_000_000,
};
