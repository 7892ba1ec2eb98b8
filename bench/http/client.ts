import { connect, type Socket } from 'node:net';

/**
 * A minimal HTTP/1.1 client over one keep-alive loopback socket: it writes a prepared request and
 * reads one response (Content-Length, chunked, or none), nothing else, so that as little as possible
 * of a measured request's CPU time is the client's. One request in flight at a time. The soak's
 * notify sender (`test/instances/raw-http.ts`) uses it too.
 */

export interface Answer {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private pending?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.tryAnswer();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** True once the connection failed or closed: it answers nothing more. */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** `POST path` with a form body; resolves with the status and the body text. */
  post(path: string, contentType: string, body: string): Promise<Answer> {
    const head =
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return this.send(head + body);
  }

  /** Writes a whole prepared request; resolves with the status and the body text of its response. */
  send(request: string | Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error('connection closed'));
        return;
      }
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
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
