import { ProviderError } from '../errors/index.js';
import type { AckOutcome } from '../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';
import { apply } from './apply.js';
import { readEntry, resolveOrderId } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import { reportMismatch } from './mismatch.js';
import { describe } from './respond.js';
import type { Verdict } from './verdict.js';

function ackOf(verdict: Verdict): AckOutcome {
  switch (verdict.kind) {
    case 'mismatch':
      return { ok: false, status: verdict.status, message: verdict.message };
    case 'busy':
      return { ok: false, status: 503, message: verdict.message };
    case 'hook_failed':
      return { ok: false, status: 500, message: verdict.message };
    default:
      return { ok: true };
  }
}

/**
 * `POST /notify/:provider[/refund]`: verify, resolve the order, apply, and answer in the
 * provider's own format. Nothing here throws: any failure is a "fail" ack, so the provider retries.
 */
export async function handleNotify(
  core: CoreContext,
  providerId: string,
  kind: 'payment' | 'refund',
  req: CoreRequest,
): Promise<CoreResponse> {
  const provider = providerOf(core, providerId);
  let event;
  try {
    event = await provider.parseNotify(req, kind);
  } catch (error) {
    const { status, message } = describe(error);
    // Bad input is the sender's problem (4xx); a provider we could not reach or trust while
    // verifying (a certificate download, a follow-up query) is not, and the provider should retry.
    const answer = error instanceof ProviderError ? 503 : status;
    core.logger.warn(`rejected a ${provider.id} ${kind} notify: ${message}`);
    return provider.ack({ ok: false, status: answer, message }, req, kind);
  }
  if (event.type === 'ignored') return provider.ack({ ok: true }, req, kind);
  try {
    const ctx: HookContext = { provider: provider.id, route: 'notify', request: req.native, requestId: core.requestId };
    const { tradeNo } = event;
    // A payment's dedupe record goes out with the trade number's lookup: one round trip, not two.
    const recorded = event.type === 'paid' ? core.store.get(keys.paid(provider.id, event.transactionId)) : undefined;
    // Awaited by fulfil, which reports its failure; on the paths that never reach it, nothing to report.
    recorded?.catch(() => {});
    const orderId = await resolveOrderId(core, provider, tradeNo, ctx, event.orderId);
    let verdict: Verdict;
    if (orderId === undefined) {
      const message = `trade number ${tradeNo} could be order ${tradeNo} or a retry of another order, and the store no longer says which`;
      verdict = await reportMismatch(
        core,
        { provider: provider.id, orderId: tradeNo, reason: 'unknown_order', message, raw: event.raw },
        ctx,
      );
    } else if (event.type === 'closed' && (await supersededAttempt(core, provider.id, orderId, tradeNo))) {
      verdict = { kind: 'ignored' };
    } else {
      verdict = await apply(core, provider.id, { ...event, orderId }, ctx, recorded);
    }
    return provider.ack(ackOf(verdict), req, kind);
  } catch (error) {
    // The store or getOrder failed: the message is verified, so ask for it again later.
    core.logger.error(`could not process a verified ${provider.id} notify`, { error: String(error) });
    const message = 'temporarily unable to process the notification; retry later';
    return provider.ack({ ok: false, status: 503, message }, req, kind);
  }
}

/**
 * A "closed" notice about an attempt that is no longer the order's current one (the buyer moved on
 * to a retry) changes nothing.
 */
async function supersededAttempt(core: CoreContext, provider: string, orderId: string, tradeNo: string) {
  const entry = await readEntry(core, provider, orderId);
  return entry !== undefined && entry.current !== tradeNo;
}
