import { connect, type Socket } from 'node:net';

/**
 * A minimal HTTP/1.1 client for loopback keep-alive connections (after `bench/http/client.ts`):
 * it writes a request prepared once as bytes and reads one response (Content-Length, chunked, or
 * none), one request at a time per connection, with idle connections kept per origin. The soak
 * sends some 12,000 notifies; `node:http`'s client cost it about twice as much CPU per request.
 */

export interface Answer {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The bytes of `POST path` with these headers and body (Content-Length added), for any instance. */
export function prepareRequest(path: string, headers: Record<string, string>, body: Buffer): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('')}Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private pending?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
  closed = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.tryAnswer();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(request: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('connection closed'));
        return;
      }
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(error);
  }

  private tryAnswer(): void {
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0 || !this.pending) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: string;
    let rest: Buffer;
    if (length) {
      const size = Number(length[1]);
      if (this.buffered.length < end + 4 + size) return;
      body = this.buffered.subarray(end + 4, end + 4 + size).toString('utf8');
      rest = this.buffered.subarray(end + 4 + size);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parsed = dechunk(this.buffered, end + 4);
      if (!parsed) return;
      ({ body, rest } = parsed);
    } else {
      // 204 and 304 carry no body.
      body = '';
      rest = this.buffered.subarray(end + 4);
    }
    this.buffered = rest;
    const p = this.pending;
    this.pending = undefined;
    p.resolve({ status, body });
  }
}

/** A complete chunked body from `from`, or undefined when more bytes are needed. */
function dechunk(data: Buffer, from: number): { body: string; rest: Buffer } | undefined {
  const parts: Buffer[] = [];
  let i = from;
  for (;;) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (data.length < eol + 2 + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(parts).toString('utf8'), rest: data.subarray(eol + 4) };
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/** Idle keep-alive connections by port; a request takes one (or opens one) and gives it back once answered. */
export class RawPool {
  private readonly idle = new Map<number, Connection[]>();

  /** Sends `request` to 127.0.0.1:`port`; rejects when the connection fails or closes before the answer. */
  async send(port: number, request: Buffer, timeoutMs = 30_000): Promise<Answer> {
    const connection = this.take(port) ?? (await open(port));
    const timer = setTimeout(() => connection.destroy(), timeoutMs);
    try {
      const answer = await connection.send(request);
      if (!connection.closed) this.give(port, connection);
      return answer;
    } catch (error) {
      connection.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private take(port: number): Connection | undefined {
    const list = this.idle.get(port);
    for (let c = list?.pop(); c; c = list?.pop()) if (!c.closed) return c;
    return undefined;
  }

  private give(port: number, connection: Connection): void {
    const list = this.idle.get(port) ?? [];
    list.push(connection);
    this.idle.set(port, list);
  }
}

function open(port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(new Connection(socket));
    });
    socket.once('error', reject);
  });
}
