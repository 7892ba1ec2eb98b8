import { appendFileSync } from 'node:fs';
import {
  alipay,
  createPayments,
  unionpay,
  wechatpay,
  type AlipayOptions,
  type Order,
  type PaymentStore,
  type Payments,
  type ProviderDefinition,
  type UnionpayOptions,
  type WechatpayOptions,
} from '../../src/index.js';
import { orderAmount, type InstanceConfig, type LogLine } from './protocol.js';

/**
 * The shop every instance runs, and the test process too when it plays a reconcile job: paymount
 * on a shared store, orders every process knows (named after their amount), and hooks that write
 * the shared log. One mount for Alipay, WeChat Pay API v3 and UnionPay at `/pay`; WeChat Pay API
 * v2, another configuration of the same provider, at `/pay-v2`.
 */
export interface InstanceShop {
  mounts: [mount: string, payments: Payments][];
  /** The payments router at `mount`. */
  at(mount: string): Payments;
  /** How long each `onPaid` takes from now on. */
  setSlow(ms: number): void;
}

export function instanceShop(config: InstanceConfig, store: PaymentStore, name: string): InstanceShop {
  let slowOnPaidMs = config.slowOnPaidMs ?? 0;
  const log = (line: Omit<LogLine, 'instance' | 'at'>) => {
    // One write(2) per line, O_APPEND: lines of several processes never interleave.
    appendFileSync(config.log, `${JSON.stringify({ ...line, instance: name, at: Date.now() })}\n`);
  };
  const getOrder = (id: string): Order | null => {
    const amount = orderAmount(id);
    return amount === undefined ? null : { id, amount, subject: 'Instance test order' };
  };
  const payments = (mount: string, providers: Record<string, ProviderDefinition>): Payments =>
    createPayments({
      publicUrl: `${config.publicOrigin}${mount}`,
      providers,
      store,
      getOrder,
      publicCheckout: true,
      lockTtlMs: config.lockTtlMs,
      lockWaitMs: config.lockWaitMs,
      async onPaid(event) {
        log({ type: 'paid-start', key: event.idempotencyKey, orderId: event.orderId });
        if (slowOnPaidMs > 0) await new Promise((resolve) => setTimeout(resolve, slowOnPaidMs));
        log({ type: 'paid-end', key: event.idempotencyKey, orderId: event.orderId });
      },
      onRefunded(event) {
        log({ type: 'refunded', key: event.idempotencyKey, orderId: event.orderId, status: event.status });
      },
      logger: {
        info(message, detail?: Record<string, unknown>) {
          // Logged once the payment record is written (src/core/fulfil.ts): what "recorded" counts.
          if (message === 'payment fulfilled' && detail) {
            log({ type: 'recorded', key: `${String(detail.provider)}:${String(detail.transactionId)}` });
          }
        },
        warn: (message, detail) => console.warn(`[${name}] ${message}`, detail ?? ''),
        error: (message, detail) => console.error(`[${name}] ${message}`, detail ?? ''),
      },
    });

  const options = config.providers;
  const mounts: [string, Payments][] = [
    [
      '/pay',
      payments('/pay', {
        alipay: alipay(options.alipay as AlipayOptions),
        wechatpay: wechatpay(options.wechatpay as WechatpayOptions),
        unionpay: unionpay(options.unionpay as UnionpayOptions),
      }),
    ],
  ];
  if (options.wechatpayV2) {
    mounts.push(['/pay-v2', payments('/pay-v2', { wechatpay: wechatpay(options.wechatpayV2 as WechatpayOptions) })]);
  }
  return {
    mounts,
    at: (mount) => mounts.find(([m]) => m === mount)![1],
    setSlow(ms) {
      slowOnPaidMs = ms;
    },
  };
}
