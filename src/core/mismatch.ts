import type { ProviderMismatch } from '../spi/provider.js';
import type { CoreContext } from './context.js';
import type { HookContext, MismatchEvent } from './hooks.js';
import type { Verdict } from './verdict.js';

/** Logs a verified message that will not be fulfilled, tells `onMismatch`, and refuses it. */
export async function reportMismatch(core: CoreContext, event: MismatchEvent, ctx: HookContext): Promise<Verdict> {
  core.logger.warn(`verified ${event.provider} message not fulfilled: ${event.message}`, {
    orderId: event.orderId,
    reason: event.reason,
  });
  if (core.hooks.onMismatch) {
    try {
      await core.hooks.onMismatch(event, ctx);
    } catch (error) {
      core.logger.error('onMismatch threw', { error: String(error) });
    }
  }
  return { kind: 'mismatch', status: event.reason === 'unknown_order' ? 404 : 409, message: event.message };
}

/** A merchant, app or currency check the provider failed, or a field it found missing, as a {@link MismatchEvent}. */
export function configMismatch(
  provider: string,
  orderId: string,
  m: ProviderMismatch,
  raw: Record<string, unknown>,
  transactionId?: string,
): MismatchEvent {
  const field = m.field === undefined ? {} : { field: m.field };
  if (m.reason === 'missing') {
    // A signed sorted string stays valid when a field is folded into its neighbour's value, so a
    // field the provider always sends is required, never skipped (docs/after-payment.md).
    const message =
      `the verified ${provider} message has no ${m.field ?? 'required field'} (expected ${m.expected}), which ` +
      `${provider} always sends: a field moved or removed from a signed message`;
    return { provider, orderId, transactionId, reason: 'missing', ...field, message, expected: m.expected, raw };
  }
  const what = m.reason === 'merchant' ? 'merchant id' : m.reason === 'app' ? 'app id' : 'currency';
  return {
    provider,
    orderId,
    transactionId,
    reason: m.reason,
    ...field,
    message: `${what} ${m.actual} is not this shop's (${m.expected}): a message for another merchant or app`,
    expected: m.expected,
    actual: m.actual,
    raw,
  };
}
