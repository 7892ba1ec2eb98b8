import type { AddressInfo } from 'node:net';
import { createNotifier } from '../../src/sandbox/notifier.js';
import { createSandboxServer } from '../../src/sandbox/server.js';
import type { Simulator } from '../../src/sandbox/types.js';
import { createUnionpaySimulator, type UnionpaySimulator } from '../../src/sandbox/unionpay/index.js';

/** A UnionPay simulator of a test's own, on its own port. */
export interface OwnUnionpaySimulator {
  sim: UnionpaySimulator;
  /** `http://127.0.0.1:<port>/unionpay`: the simulator's gateway base URL. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * A UnionPay simulator of its own on another port, for fault injection: the test owns its
 * control handle whatever `startSandbox` exposes, and its faults cannot leak into other tests.
 */
export async function ownUnionpaySimulator(): Promise<OwnUnionpaySimulator> {
  const simulators = new Map<string, Simulator<unknown>>();
  const server = createSandboxServer(simulators);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clock = () => new Date();
  const notifier = createNotifier(0.0005, clock, []);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/unionpay`;
  const sim = await createUnionpaySimulator({ baseUrl, clock, timeScale: 0.0005, notifier });
  simulators.set('unionpay', sim);
  return {
    sim,
    baseUrl,
    async close() {
      notifier.close();
      await sim.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
