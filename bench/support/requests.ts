/** What the benches count of a local engine's DynamoDB use, through the client its functions share. */
import type { LocalHost } from '../../infra/local/host.ts';

/** DynamoDB requests the functions have made since this was called (no stack captured: cheap). */
export function countRequests(host: LocalHost): () => number {
  let requests = 0;
  host.runtime.store.db.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCount' },
  );
  return () => requests;
}
