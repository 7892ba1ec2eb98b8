import { orderIdOf } from './attempts.js';
import { providerOf, type Engine } from './engine.js';
import { describe } from './respond.js';
import { ProviderError } from './errors.js';
import { settleEvent, type Settlement } from './fulfil.js';
import type { AckOutcome } from './provider.js';
import type { CoreRequest, CoreResponse } from './types.js';

function ackOf(settlement: Settlement): AckOutcome {
  switch (settlement.kind) {
    case 'mismatch':
      return { ok: false, status: settlement.status, message: settlement.message };
    case 'busy':
      return { ok: false, status: 503, message: settlement.message };
    case 'hook_failed':
      return { ok: false, status: 500, message: settlement.message };
    default:
      return { ok: true };
  }
}

/**
 * `POST /notify/:provider[/refund]`: verify, settle, and answer in the provider's own format.
 * Nothing here throws: a failure of any kind is a "fail" ack, so the provider retries.
 */
export async function handleNotify(engine: Engine, providerId: string, kind: 'payment' | 'refund', req: CoreRequest): Promise<CoreResponse> {
  const provider = providerOf(engine, providerId);
  let event;
  try {
    event = await provider.parseNotify(req, kind);
  } catch (error) {
    const { status, message } = describe(error);
    // Bad input is the sender's problem (4xx); a provider we could not reach while verifying (a
    // certificate download) or a bug of ours is not, and the provider should retry.
    const answer = error instanceof ProviderError ? 503 : status;
    engine.logger.warn(`rejected a ${provider.id} ${kind} notify: ${message}`);
    return provider.ack({ ok: false, status: answer, message }, req, kind);
  }
  try {
    const ctx = { provider: provider.id, route: 'notify', request: req.native };
    // Providers speak in trade numbers; hooks and records speak in the host's order ids.
    const tradeNo = event.type === 'ignored' ? undefined : event.orderId;
    if (event.type !== 'ignored') event = { ...event, orderId: await orderIdOf(engine, provider.id, event.orderId, ctx) };
    const settlement = await settleEvent(engine, provider.id, event, ctx, tradeNo);
    return provider.ack(ackOf(settlement), req, kind);
  } catch (error) {
    // The store or getOrder failed: the message is verified, so ask for it again later.
    engine.logger.error(`could not settle a verified ${provider.id} notify`, { error: String(error) });
    return provider.ack({ ok: false, status: 503, message: 'temporarily unable to process the notification; retry later' }, req, kind);
  }
}
