import type { Order } from 'paymount';

/** What the demo sells. Prices are fen, like every amount in paymount. */
export const products = [
  { sku: 'tea', name: 'Longjing green tea, 250 g', price: 12800, glyph: '茶', color: '#5b8c32' },
  { sku: 'mooncake', name: 'Mooncake gift box', price: 8800, glyph: '饼', color: '#c98a1b' },
  { sku: 'umbrella', name: 'Oil-paper umbrella', price: 4590, glyph: '伞', color: '#8c1c13' },
] as const;

/** The shop's own order record: paymount's `Order` plus what the shop shows. */
export interface ShopOrder extends Order {
  status: 'pending' | 'paid' | 'closed';
  provider?: string;
  transactionId?: string;
  paidAt?: Date;
  refunded: number;
  log: string[];
  /** How the buyer's last trip to a cashier ended, when it ended without paying: the order page says so. */
  lastAttempt?: 'failed' | 'cancelled';
  /** Who placed the order (the demo's buyer cookie): only they may pay it. */
  buyer: string;
}

/** Orders live in memory: the demo keeps nothing between runs. */
export function createOrderBook() {
  const orders = new Map<string, ShopOrder>();
  let seq = 0;
  return {
    orders,
    create(sku: string, buyer: string): ShopOrder | undefined {
      const product = products.find((p) => p.sku === sku);
      if (!product) return undefined;
      const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
      const order: ShopOrder = {
        id: `DEMO${stamp}${String(++seq).padStart(4, '0')}`,
        amount: product.price,
        subject: product.name,
        status: 'pending',
        refunded: 0,
        log: [],
        buyer,
      };
      orders.set(order.id, order);
      return order;
    },
  };
}

/** The one money format of the demo's pages and log lines: fen as `¥12.34`. */
export function yuan(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

/**
 * The status the buyer sees. paymount only knows pending, paid and closed; refunds are the shop's
 * own bookkeeping (`onRefunded` adds to `refunded`), so a paid order shows how much went back.
 */
export function shownStatus(order: ShopOrder): string {
  if (order.status !== 'paid' || order.refunded <= 0) return order.status;
  return order.refunded >= order.amount ? 'refunded' : `partly refunded (${yuan(order.refunded)})`;
}
