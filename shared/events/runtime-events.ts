/** Every event type the runtime defines itself, which event files may use but not redefine. */
import { AUDIENCE_EVENTS } from './audience-events.ts';
import { profileUpdateEvent } from './built-in.ts';
import type { EventDefinition } from './catalog.ts';

export const BUILT_IN_EVENTS: readonly EventDefinition[] = [profileUpdateEvent, ...AUDIENCE_EVENTS];
