#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx waymark` needs no build step.
import { register } from 'tsx/esm/api';

register();
// The SDK warns on Node 20 at every start; the CLI and the local engine run there on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../infra/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
