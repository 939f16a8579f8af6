import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver on 127.0.0.1 that records requests and lets each test decide the answer. */
export async function startReceiver(answer: (request: ReceivedRequest, response: ServerResponse) => void = (_, response) => response.end('ok')) {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ predicate: (all: ReceivedRequest[]) => boolean; resolve: () => void }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const received = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      requests.push(received);
      answer(received, response);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(requests)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Resolves once the recorded requests satisfy `predicate`. */
    until: (predicate: (all: ReceivedRequest[]) => boolean) =>
      new Promise<void>((resolve) => (predicate(requests) ? resolve() : waiters.push({ predicate, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
