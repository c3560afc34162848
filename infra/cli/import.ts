/** `waymark import ...`: bringing another tool's journeys, templates and customers into Waymark. */
import { IMPORT_ENDPOINTS_USAGE, importEndpointsCommand } from './import-endpoints.ts';
import { IMPORT_PINPOINT_USAGE, importPinpointCommand } from './import-pinpoint.ts';
import type { Output } from './output.ts';

export const IMPORT_USAGE = `usage: waymark import pinpoint <journey.json ...> [options]         Pinpoint journeys and templates -> journeys/
       waymark import pinpoint-endpoints <export.jsonl> [options]   Pinpoint segment export -> profiles

${IMPORT_PINPOINT_USAGE}

${IMPORT_ENDPOINTS_USAGE}`;

export async function importCommand(args: readonly string[], io: Output): Promise<number> {
  const [what, ...rest] = args;
  switch (what) {
    case 'pinpoint':
      return importPinpointCommand(rest, io);
    case 'pinpoint-endpoints':
      return importEndpointsCommand(rest, io);
    default:
      io.err(
        `waymark import: ${what === undefined ? 'say what to import' : `unknown kind "${what}"`}.\n\n${IMPORT_USAGE}\n`,
      );
      return 2;
  }
}
