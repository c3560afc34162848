// Copies a journeys folder next to a bundled handler: journey files, settings.json and templates/,
// without the JSON Schemas (editor support only). Run by the bundling hook of every function.
import { cpSync } from 'node:fs';
import { basename } from 'node:path';

const [from, to] = process.argv.slice(2);
if (from === undefined || to === undefined) {
  console.error('usage: node copy-journeys.mjs <journeys folder> <destination>');
  process.exit(2);
}
cpSync(from, to, {
  recursive: true,
  filter: (source) => !basename(source).endsWith('.schema.json') && !basename(source).startsWith('.'),
});
