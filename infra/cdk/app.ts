/**
 * The CDK app behind `npm run synth` and `npm run deploy` (cdk.json runs it
 * through tsx). A broken journey or stage configuration ends synth with the
 * messages alone, without a stack trace.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { JourneyProblemsError } from './compile-project.ts';
import { ConfigurationError } from './config.ts';
import { buildWaymarkApp } from './waymark-app.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

try {
  const app = new App();
  buildWaymarkApp({ app, projectRoot });
  app.synth();
} catch (error) {
  if (error instanceof JourneyProblemsError || error instanceof ConfigurationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
