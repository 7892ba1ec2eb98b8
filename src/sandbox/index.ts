import type { AddressInfo } from 'node:net';
import { createNotifier } from './notifier.js';
import { createSandboxServer } from './server.js';
import type { Delivery, Simulator, SimulatorContext } from './types.js';
import { createAlipaySimulator, type AlipaySandboxOptions } from './alipay/index.js';
// simulator imports: one line per provider

export type { Delivery, DeliveryAttempt } from './types.js';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /**
   * Factor applied to the providers' notify retry schedules: 0.001 turns Alipay's 4-minute wait
   * into 240 ms. Default 0.001.
   */
  timeScale?: number;
  /** The sandbox's time, e.g. the same clock given to `createPayments`. Default `() => new Date()`. */
  clock?: () => Date;
}

/** A running sandbox: local simulators of the providers, and the options that point paymount at them. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Pass to `alipay(...)`: app id, keys and gateway of the simulated Alipay. */
  alipay: AlipaySandboxOptions;
  // provider option fields: one block per provider
  /** Every notification sent so far, with its attempts. */
  deliveries: readonly Delivery[];
  /** Resolves with the first delivery matching `match` once it is finished (acknowledged or given up). */
  waitForDelivery(match: (delivery: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  /** Stops the server and every pending retry. */
  close(): Promise<void>;
}

/**
 * Starts local simulators of Alipay, WeChat Pay and UnionPay on 127.0.0.1: gateways that check
 * the merchant's signatures, cashier pages, app-SDK stand-ins, and notify delivery with retries.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock ?? (() => new Date());
  const timeScale = options.timeScale ?? 0.001;
  const deliveries: Delivery[] = [];
  const notifier = createNotifier(timeScale, clock, deliveries);
  const simulators = new Map<string, Simulator<unknown>>();
  const server = createSandboxServer(simulators);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const context = (name: string): SimulatorContext => ({ baseUrl: `${url}/${name}`, clock, timeScale, notifier });

  const alipay = await createAlipaySimulator(context('alipay'));
  simulators.set('alipay', alipay);
  // simulator start: one block per provider

  return {
    url,
    alipay: alipay.options,
    // returned options: one block per provider
    deliveries,
    async waitForDelivery(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries.find((d) => d.finished && match(d));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no finished delivery matched within ${timeoutMs} ms (${deliveries.length} deliveries so far)`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      notifier.close();
      for (const simulator of simulators.values()) await simulator.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
