import { orderIdOf, readEntry } from './attempts.js';
import { keys, providerOf, type Engine } from './engine.js';
import { describe } from './respond.js';
import { ProviderError } from '../errors/index.js';
import { reportMismatch, settleEvent, type Settlement } from './fulfil.js';
import type { AckOutcome, NotifyEvent } from '../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';
import type { HookContext } from './hooks.js';

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
export async function handleNotify(
  engine: Engine,
  providerId: string,
  kind: 'payment' | 'refund',
  req: CoreRequest,
): Promise<CoreResponse> {
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
    const settlement =
      event.type === 'ignored' ? { kind: 'ignored' as const } : await settleForOrder(engine, provider.id, event, ctx);
    return provider.ack(ackOf(settlement), req, kind);
  } catch (error) {
    // The store or getOrder failed: the message is verified, so ask for it again later.
    engine.logger.error(`could not settle a verified ${provider.id} notify`, { error: String(error) });
    return provider.ack(
      { ok: false, status: 503, message: 'temporarily unable to process the notification; retry later' },
      req,
      kind,
    );
  }
}

/**
 * Providers speak in trade numbers; hooks and records speak in the host's order ids. Maps the
 * event back to its order, then settles it. A "closed" notice about an attempt that is no longer
 * the order's current one (the buyer moved on to a retry), or about a paid order, changes nothing.
 */
async function settleForOrder(
  engine: Engine,
  provider: string,
  event: Exclude<NotifyEvent, { type: 'ignored' }>,
  ctx: HookContext,
): Promise<Settlement> {
  const tradeNo = event.orderId;
  const orderId = await orderIdOf(engine, provider, tradeNo, ctx);
  if (orderId === undefined) {
    return reportMismatch(
      engine,
      {
        provider,
        orderId: tradeNo,
        reason: 'unknown_order',
        message: `trade number ${tradeNo} could be order ${tradeNo} or a retry of another order, and the store no longer says which`,
        raw: event.raw,
      },
      ctx,
    );
  }
  if (event.type === 'closed') {
    const entry = await readEntry(engine, provider, orderId);
    const superseded = entry !== undefined && entry.current !== tradeNo;
    if (superseded || (await engine.store.get(keys.settled(provider, orderId)))) return { kind: 'ignored' };
  }
  return settleEvent(engine, provider, { ...event, orderId }, ctx, tradeNo);
}
