/**
 * The local engine's fixed names and address. Kept apart from the engine so that a command that only
 * talks to it (put-event) can name them without loading it.
 */

/** The account id every local envelope and ARN carries: obviously not a real account. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_BUS = 'waymark';
/** The local engine does not check signatures, but the SDK will not sign without some credentials. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const DEFAULT_PORT = 4590;
export const DEFAULT_LOCAL_ENDPOINT = `http://127.0.0.1:${DEFAULT_PORT}`;

/** The local engine's one table (the store's keys are in shared/store/table.ts). */
export const LOCAL_TABLE = 'waymark';

/** The role local high-volume parks hand the Scheduler stand-in: its form is checked, nothing more. */
export const LOCAL_SCHEDULER_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/waymark-local-scheduler`;
