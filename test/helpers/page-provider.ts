import { ProviderError } from '../../src/errors/index.js';
import type { CheckoutInput, Provider, ProviderDefinition, ProviderEvent, TradeState } from '../../src/spi/provider.js';
import type { CoreRequest } from '../../src/spi/types.js';

/**
 * A provider written for the page tests, implementing `src/spi/provider.ts` and nothing more: its
 * "cashier" is whatever `mode` says, its notify is unsigned JSON (only these tests send it), and its
 * trades live in memory. It stands in for a cashier whose buyer leaves at once (`quit`: the checkout
 * redirects straight to `CheckoutInput.resultUrl`, as Alipay's `quit_url` does), a cashier reached by
 * an auto-posted form (`form`), and one that cannot be reached (`down`).
 */
export interface PageProvider {
  definition: ProviderDefinition;
  /** Every `CheckoutInput` the core handed over. */
  checkouts: CheckoutInput[];
  mode: 'quit' | 'form' | 'down';
  /** Where `form` mode posts. */
  formAction: string;
}

export function pageProvider(id = 'testpay'): PageProvider {
  const state: PageProvider = {
    checkouts: [],
    mode: 'quit',
    formAction: 'http://127.0.0.1:9/cashier',
    definition: {
      id,
      live: false,
      setup(): Provider {
        const trades = new Map<string, TradeState['status']>();
        return {
          id,
          checkTradeNo: (tradeNo) => (/^[A-Za-z0-9]{1,32}$/.test(tradeNo) ? undefined : 'letters and digits, 1–32'),
          async checkout(input) {
            state.checkouts.push(input);
            if (state.mode === 'down') {
              throw new ProviderError({
                provider: id,
                code: 'PROVIDER_UNAVAILABLE',
                message: `${id} gateway timed out: check that ${id}PublicKey is the key of the app`,
                retryable: true,
                reached: false,
              });
            }
            if (state.mode === 'form') {
              const fields = { tradeNo: input.tradeNo, amount: String(input.order.amount), back: input.returnUrl };
              return { result: { type: 'form', action: state.formAction, method: 'POST', fields } };
            }
            return { result: { type: 'redirect', url: input.resultUrl } };
          },
          async parseNotify(req: CoreRequest): Promise<ProviderEvent> {
            const body = JSON.parse(req.rawBody!.toString('utf8')) as {
              tradeNo: string;
              transactionId: string;
              amount: number;
            };
            trades.set(body.tradeNo, 'paid');
            return { type: 'paid', ...body, paidAt: new Date(), raw: body };
          },
          ack: (outcome) =>
            outcome.ok
              ? { status: 200, headers: {}, body: 'ok' }
              : { status: outcome.status, headers: {}, body: outcome.message },
          async parseReturn(req) {
            const tradeNo = req.query.get('tradeNo') ?? '';
            return { tradeNo, hint: req.query.get('declined') ? 'failed' : 'unknown' };
          },
          async query(tradeNo) {
            return { status: trades.get(tradeNo) ?? 'pending', tradeNo, raw: {} };
          },
          async refund(input) {
            return { refundId: input.refundId, amount: input.amount, status: 'success', raw: {} };
          },
          async queryRefund(input) {
            return { refundId: input.refundId, amount: 0, status: 'processing', raw: {} };
          },
          async close() {
            // nothing to release
          },
        };
      },
    },
  };
  return state;
}
