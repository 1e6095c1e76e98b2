// A user-space TCP relay that delays every chunk by a fixed time in each direction, to measure
// the parties with a round-trip time between them (this machine's kernel has no netem). Only
// loopback addresses; each chunk keeps its order and leaves `delayMs` after it arrived.
import { createServer, connect, type Server, type Socket } from 'node:net';

function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  const queue: { at: number; data: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.at <= now) to.write(queue.shift()!.data);
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - Date.now()));
  };
  from.on('data', (data: Buffer) => {
    if (delayMs <= 0) {
      to.write(data);
      return;
    }
    queue.push({ at: Date.now() + delayMs, data });
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    const finish = () => (queue.length > 0 ? setTimeout(finish, delayMs) : to.end());
    finish();
  });
  from.on('error', () => to.destroy());
}

export interface Relay {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`listenPort` (0: any) and forwards to 127.0.0.1:`targetPort`, both ways delayed. */
export function startRelay(targetPort: number, oneWayDelayMs: number, listenPort = 0): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: targetPort }, () => upstream.setNoDelay(true));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    delayedPipe(client, upstream, oneWayDelayMs);
    delayedPipe(upstream, client, oneWayDelayMs);
  });
  return new Promise((resolveRelay, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      const address = server.address();
      resolveRelay({
        port: typeof address === 'object' && address ? address.port : listenPort,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
