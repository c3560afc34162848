/** The CLI's output streams, kept in strings for a test to read. */
import type { Output } from '../../infra/cli/output.ts';

export interface CapturedIo {
  /** Pass this to the command. */
  io: Output;
  /** Everything written to standard output so far. */
  readonly out: string;
  /** Everything written to standard error so far. */
  readonly err: string;
}

export function captureIo(): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}
