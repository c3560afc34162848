import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where the store reads and writes: the client and the one table. */
export interface StoreContext {
  db: DynamoDBDocumentClient;
  table: string;
}

/** DynamoDB's refusal of a condition, which the store turns into a domain answer rather than an error. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function epochSeconds(time: Date): number {
  return Math.floor(time.getTime() / 1000);
}
