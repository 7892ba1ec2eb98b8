import type { Fields } from '../wire/fields.js';
import { parseForm } from '../wire/form.js';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { abandonPage, noticePage, resultPostPage } from './cashier.js';
import type { GatewayState } from './gateway.js';
import { deliverBackNotify, resultFields } from './notify.js';
import { signAsUnionpay } from './sign.js';
import type { Txn } from './transactions.js';

/**
 * What the buyer does on the cashier page or in the app control: pay (the consumption succeeds and
 * the back notify goes out) or fail (declined: final, nothing notified).
 */

/** Why the buyer cannot act on this transaction any more, or undefined when it is payable. */
export function notPayable(
  state: GatewayState,
  txn: Txn,
): { status: number; title: string; message: string } | undefined {
  if (state.ledger.expired(txn, state.ctx.clock())) {
    return {
      status: 410,
      title: '订单已超时 Order expired',
      message: `The payTimeout of order ${txn.orderId} has passed; the merchant must create a new order.`,
    };
  }
  if (txn.status === 'success')
    return {
      status: 409,
      title: '订单已支付 Already paid',
      message: `Order ${txn.orderId} is already paid; it cannot be paid twice.`,
    };
  if (txn.status !== 'pending')
    return {
      status: 409,
      title: '交易已结束 Transaction closed',
      message: `Order ${txn.orderId} has already failed; the merchant must create a new order.`,
    };
  return undefined;
}

/** The buyer pays: success, and the back notify to `backUrl` with its retries. */
export async function pay(state: GatewayState, txn: Txn): Promise<void> {
  state.ledger.pay(txn, state.ctx.clock());
  await deliverBackNotify(state.ctx, state.signer, txn);
}

const html = (status: number, body: string): SandboxResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body,
});

/** `POST /cashier` (the cashier form): `session` and `action` = pay | fail | abandon. */
export async function cashierAction(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  let fields: Fields;
  try {
    fields = parseForm(req.body.toString('utf8'));
  } catch (error) {
    return html(400, noticePage('请求无效 Bad request', (error as Error).message));
  }
  const txn = fields.session ? state.ledger.byCashierSession(fields.session) : undefined;
  if (!txn)
    return html(
      404,
      noticePage('会话不存在 Unknown session', 'This cashier session does not exist (was the sandbox restarted?).'),
    );
  const action = fields.action;
  if (action !== 'pay' && action !== 'fail' && action !== 'abandon') {
    return html(400, noticePage('请求无效 Bad request', `action must be pay, fail or abandon, got "${action ?? ''}"`));
  }
  const refused = notPayable(state, txn);
  if (refused) return html(refused.status, noticePage(refused.title, refused.message));
  if (action === 'abandon') return html(200, abandonPage(txn));
  if (action === 'pay') await pay(state, txn);
  else state.ledger.decline(txn);
  const signed = await signAsUnionpay(resultFields(txn), state.signer.key, state.signer.certPem);
  return html(200, resultPostPage(txn.frontUrl!, signed, action === 'pay', txn));
}
