import type { Server } from 'node:http';

/** Listens on 127.0.0.1 (port 0: any free port) and answers the endpoint URL the SDK clients use. */
export async function listenOnLoopback(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return `http://127.0.0.1:${actual}`;
}
