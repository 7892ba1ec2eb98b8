import type { IdentityStore } from './state-dir.js';

/** What a provider simulator receives: one request below its prefix (`/alipay/gateway.do` → `/gateway.do`). */
export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The request target exactly as sent (`/alipay/gateway.do?…`): what signatures over the URL cover. */
  target: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One attempt to deliver a notification. */
export interface DeliveryAttempt {
  at: Date;
  status?: number;
  body?: string;
  error?: string;
}

/** A notification the sandbox sends to the merchant, with every attempt it made. */
export interface Delivery {
  id: string;
  provider: string;
  /** e.g. `payment`, `refund`. */
  kind: string;
  url: string;
  /** The order the notification is about. */
  orderId: string;
  attempts: DeliveryAttempt[];
  /** True once the merchant answered with the provider's success acknowledgement. */
  acknowledged: boolean;
  /** True once acknowledged or the retry schedule ran out. */
  finished: boolean;
  /** True when a test had it lost for good (`sandbox.dropNotifications`): it was never sent. */
  dropped?: boolean;
}

/** Picks notifications by what they are about: `provider`, `kind` (`payment`, `refund`…) and `orderId`. */
export type NotificationMatch = (notification: { provider: string; kind: string; orderId: string }) => boolean;

export interface DeliverInput {
  provider: string;
  kind: string;
  orderId: string;
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Waits between attempts in real provider time (ms); scaled by the sandbox's `timeScale`. */
  schedule: readonly number[];
  /** Whether the merchant's answer is the provider's success acknowledgement. */
  isAck(status: number, body: string): boolean;
  /** Rebuilds headers and body before each retry (providers that sign a fresh timestamp). */
  rebuild?(): { headers: Record<string, string>; body: string | Buffer };
}

/** Sends notifications with retries and keeps the record. */
export interface Notifier {
  deliver(input: DeliverInput): Delivery;
}

/** What every simulator is given. */
export interface SimulatorContext {
  /**
   * Absolute URL of this simulator's prefix as buyers' phones and the shop reach it, e.g.
   * `http://127.0.0.1:4010/alipay` or `http://192.168.1.20:4000/alipay`: every URL the simulator
   * hands out (gateways, cashier pages, form actions) starts with it.
   */
  baseUrl: string;
  clock: () => Date;
  timeScale: number;
  notifier: Notifier;
  /** The address the sandbox listens on, for a simulator's own listeners. Default `127.0.0.1`. */
  host?: string;
  /**
   * Where the simulator's keys, certificates and ids are kept across starts.
   * Default: nowhere (new ones each start).
   */
  identities?: IdentityStore;
}

/** A provider simulator mounted under `/<prefix>` of the sandbox server. */
export interface Simulator<Options> {
  /** Options for the provider factory that make it talk to this simulator. */
  options: Options;
  handle(req: SandboxRequest): Promise<SandboxResponse>;
  close?(): Promise<void> | void;
}
