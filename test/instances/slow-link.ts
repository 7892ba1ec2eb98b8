import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that delays every chunk, each way, by `delayMs`, in order: a Redis
 * behind a slow network for one instance, so that the gap between two of its commands is long and
 * known. Used to show that a claim is one command (`SET NX`), not a read then a write.
 */
export class SlowLink {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(target: { host: string; port: number }, delayMs: number): Promise<SlowLink> {
    const sockets = new Set<Socket>();
    const delayed = (from: Socket, to: Socket) => {
      let last = 0;
      from.on('data', (chunk: Buffer) => {
        // Never before the previous chunk: the byte stream keeps its order.
        last = Math.max(Date.now() + delayMs, last);
        setTimeout(() => to.write(chunk), last - Date.now());
      });
      from.on('close', () => setTimeout(() => to.destroy(), delayMs));
      from.on('error', () => undefined);
    };
    const server = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) sockets.add(socket);
      delayed(client, upstream);
      delayed(upstream, client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new SlowLink(server, `redis://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
