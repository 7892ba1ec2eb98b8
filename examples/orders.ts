import type { Redis } from 'ioredis';
import type { Order } from 'paymount';

/**
 * The examples' order book: a `Map` in the process by default, or Redis when several instances
 * serve the shop (an order created on one instance must be found on the others, and a payment
 * recorded by one seen by all).
 */
export interface OrderBook {
  get(id: string): Promise<Order | undefined>;
  add(order: Order): Promise<void>;
  /** Marks the order paid (a no-op for an unknown or already paid order). */
  markPaid(id: string): Promise<void>;
  /** A number unique to this book, for new order ids. */
  next(): Promise<number>;
}

/** Orders in this process's memory: one instance only, lost on restart. */
export function memoryOrderBook(): OrderBook {
  const orders = new Map<string, Order>();
  return {
    get: (id) => Promise.resolve(orders.get(id)),
    add(order) {
      orders.set(order.id, order);
      return Promise.resolve();
    },
    markPaid(id) {
      const order = orders.get(id);
      if (order) order.status = 'paid';
      return Promise.resolve();
    },
    next: () => Promise.resolve(orders.size),
  };
}

/** Orders kept 30 days: long enough for a demo, and nothing stays behind for good. */
const ORDER_TTL_S = 30 * 24 * 3600;

/** Orders as JSON under `<prefix>:order:<id>`, in the Redis paymount's store uses too. */
export function redisOrderBook(client: Redis, prefix: string): OrderBook {
  const key = (id: string) => `${prefix}:order:${id}`;
  const book: OrderBook = {
    async get(id) {
      const json = await client.get(key(id));
      return json === null ? undefined : (JSON.parse(json) as Order);
    },
    async add(order) {
      await client.set(key(order.id), JSON.stringify(order), 'EX', ORDER_TTL_S);
    },
    async markPaid(id) {
      // paymount runs onPaid for a transaction on one instance at a time (docs/state.md#locks), so this
      // read-then-write does not race with another instance's onPaid for the same payment.
      const order = await book.get(id);
      if (order && order.status !== 'paid') await book.add({ ...order, status: 'paid' });
    },
    next: () => client.incr(`${prefix}:order-seq`),
  };
  return book;
}
