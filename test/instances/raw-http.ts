import { RawClient, type Answer } from '../../bench/http/client.js';

/**
 * The soak's HTTP to the instances: requests prepared once as bytes, sent over the bench's minimal
 * keep-alive client (`bench/http/client.ts`), with idle connections kept per port. The soak sends
 * some 12,000 notifies; `node:http`'s client cost it about twice as much CPU per request.
 */

export type { Answer };

/** The bytes of `POST path` with these headers and body (Content-Length added), for any instance. */
export function prepareRequest(path: string, headers: Record<string, string>, body: Buffer): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('')}Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

/** Idle keep-alive connections by port; a request takes one (or opens one) and gives it back once answered. */
export class RawPool {
  private readonly idle = new Map<number, RawClient[]>();

  /** Sends `request` to 127.0.0.1:`port`; rejects when the connection fails or closes before the answer. */
  async send(port: number, request: Buffer, timeoutMs = 30_000): Promise<Answer> {
    const connection = this.take(port) ?? (await RawClient.open(port));
    const timer = setTimeout(() => connection.close(), timeoutMs);
    try {
      const answer = await connection.send(request);
      if (!connection.closed) this.give(port, connection);
      return answer;
    } catch (error) {
      connection.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private take(port: number): RawClient | undefined {
    const list = this.idle.get(port);
    for (let c = list?.pop(); c; c = list?.pop()) if (!c.closed) return c;
    return undefined;
  }

  private give(port: number, connection: RawClient): void {
    const list = this.idle.get(port) ?? [];
    list.push(connection);
    this.idle.set(port, list);
  }
}
