/**
 * State transitions and Step Functions cost per journey, as `waymark cost journeys` prints them
 * (the longest path a customer can take, error paths and quiet-hours retries left out): the figure
 * issue 17 cut (cart-abandonment: 12 transitions before, 7 now). `npm run bench`.
 */
import { bench, describe } from 'vitest';
import { main } from '../infra/cli/main.ts';

describe('transitions and cost per journey', () => {
  bench(
    'waymark cost journeys',
    async () => {
      const lines: string[] = [];
      const code = await main(['cost', 'journeys'], {
        out: (text) => lines.push(text),
        err: (text) => lines.push(text),
      });
      if (code !== 0) throw new Error(`waymark cost failed:\n${lines.join('')}`);
      console.log(lines.join(''));
    },
    { iterations: 1, warmupIterations: 0 },
  );
});
