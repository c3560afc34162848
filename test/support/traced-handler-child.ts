/**
 * Runs the record handler once, as Lambda would with active tracing, for test/tracing.test.ts: the
 * parent sets the Lambda environment (trace header, X-Ray daemon address) and passes the event.
 */
import { handler } from '../../functions/record/handler.ts';
import { lambdaContext } from './lambda.ts';

const event: unknown = JSON.parse(process.argv[2] ?? '{}');
const outcome = await handler(event, lambdaContext);
process.stdout.write(`OUTCOME ${JSON.stringify(outcome)}\n`);
