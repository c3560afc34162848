/**
 * Which messages earn a conversion. Last touch gives it all to the latest
 * message before the goal; linear multi-touch shares it equally among every
 * message of the journey in the attribution window, so a nudge that opened
 * the way counts as well as the one that closed it.
 */
import type { MessageRef } from '../customer/history.ts';

export interface Attribution {
  lastTouch: MessageRef | null;
  linear: (MessageRef & { weight: number })[];
}

/** `messages` are the journey's messages inside the window, in any order. */
export function attributeConversion(messages: readonly MessageRef[]): Attribution {
  const ordered = [...messages].sort((a, b) => a.time.localeCompare(b.time));
  const weight = ordered.length === 0 ? 0 : 1 / ordered.length;
  return {
    lastTouch: ordered.at(-1) ?? null,
    linear: ordered.map((message) => ({ ...message, weight })),
  };
}
