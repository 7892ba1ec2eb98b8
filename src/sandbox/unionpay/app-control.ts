import type { SandboxRequest, SandboxResponse } from '../types.js';
import { notPayable, pay } from './buyer.js';
import type { GatewayState } from './gateway.js';

/**
 * `POST /app/pay`: plays the UnionPay app control started with `(tn, mode)`. Body
 * `{ "params": { "tn", "mode" }, "action": "pay" | "fail" | "cancel" }`; answer
 * `{ "pay_result": "success" | "fail" | "cancel" }` — like the real control's result, not proof
 * of payment: the merchant learns it from the back notify or a query.
 */
export async function appControl(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  const json = (status: number, body: object): SandboxResponse => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  });
  let input: unknown;
  try {
    input = JSON.parse(req.body.toString('utf8'));
  } catch {
    return json(400, {
      error: 'body must be JSON: { "params": { "tn": "…", "mode": "01" }, "action": "pay" | "fail" | "cancel" }',
    });
  }
  const body = (input ?? {}) as { params?: { tn?: unknown; mode?: unknown }; action?: unknown };
  const tn = body.params?.tn;
  const mode = body.params?.mode;
  const action = body.action;
  if (typeof tn !== 'string' || !/^\d{21}$/.test(tn))
    return json(400, { error: 'params.tn must be the 21-digit tn from appTransReq.do' });
  if (mode !== '01') {
    return json(400, {
      error: `params.mode must be "01" (test environment) for the sandbox, got ${JSON.stringify(mode)}; "00" is production`,
    });
  }
  if (action !== 'pay' && action !== 'fail' && action !== 'cancel')
    return json(400, { error: 'action must be "pay", "fail" or "cancel"' });
  const txn = state.ledger.byTransactionNumber(tn);
  if (!txn) return json(404, { error: `no transaction with tn ${tn} (tn from another sandbox run?)` });
  if (action === 'cancel') return json(200, { pay_result: 'cancel' });
  const refused = notPayable(state, txn);
  // After payTimeout the control itself reports a failed payment; other refusals are caller mistakes.
  if (refused?.status === 410) return json(200, { pay_result: 'fail', error: refused.message });
  if (refused) return json(refused.status, { error: refused.message });
  if (action === 'pay') {
    await pay(state, txn);
    return json(200, { pay_result: 'success' });
  }
  state.ledger.decline(txn);
  return json(200, { pay_result: 'fail' });
}
