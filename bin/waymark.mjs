#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx waymark` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../infra/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
