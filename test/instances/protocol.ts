/** What the parent process and an instance (`app.ts`) share: the instance's configuration and the log lines. */

/** An instance's configuration, written by the parent to a JSON file. */
export interface InstanceConfig {
  /** A short name for logs (`a`, `b`, …); the log adds the process id. */
  name: string;
  framework: 'express' | 'koa';
  client: 'node-redis' | 'ioredis';
  redisUrl: string;
  /** The origin buyers and providers reach the instances at (the load balancer); mounts go below it. */
  publicOrigin: string;
  /** The shared log file. */
  log: string;
  /** Provider options as the sandbox gives them (`sandbox.alipay`, …); `wechatpayV2` is mounted at `/pay-v2`. */
  providers: { alipay: unknown; wechatpay: unknown; unionpay: unknown; wechatpayV2?: unknown };
  lockTtlMs?: number;
  lockWaitMs?: number;
  /** How long each `onPaid` takes (changed at run time with `POST /control/slow?ms=`). */
  slowOnPaidMs?: number;
}

/** One line of the shared log. `key` is the payment's (or refund's) idempotency key. */
export interface LogLine {
  type: 'paid-start' | 'paid-end' | 'recorded' | 'refunded';
  key: string;
  orderId?: string;
  status?: string;
  /** `<name>/<pid>` of the instance that wrote it. */
  instance: string;
  /** Epoch ms. */
  at: number;
}

/** JSON with Buffers (a pfx) kept as bytes. */
export function serializeConfig(config: InstanceConfig): string {
  return JSON.stringify(config);
}

export function parseConfig(text: string): InstanceConfig {
  return JSON.parse(text, (_key, value: unknown) => {
    const buffer = value as { type?: unknown; data?: unknown } | null;
    return buffer?.type === 'Buffer' && Array.isArray(buffer.data) ? Buffer.from(buffer.data) : value;
  }) as InstanceConfig;
}

// Lower case only after the `x`: `<id>R2`, a retry's trade number, must not be an order too.
const ORDER = /^O(\d{1,9})x[0-9a-z]+$/;

/** The amount in fen of an order named `O<fen>x<id>`, or undefined for any other name. */
export function orderAmount(id: string): number | undefined {
  const match = ORDER.exec(id);
  return match ? Number(match[1]) : undefined;
}

let seq = 0;

/** A new order id for `fen`: alphanumeric (UnionPay), short enough for `R<n>` at WeChat Pay (≤ 32). */
export function newOrderId(fen: number): string {
  return `O${fen}x${Date.now().toString(36)}${(++seq).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
