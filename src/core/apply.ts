import type { OrderEvent } from './events.js';
import type { CoreContext } from './context.js';
import { fulfil } from './fulfil.js';
import type { HookContext } from './hooks.js';
import { reportClosed } from './closed.js';
import { recordRefund } from './refunded.js';
import type { Verdict } from './verdict.js';

/**
 * Applies a verified event to the host's order: paid → `fulfil` (once), closed → `onClosed`,
 * refunded → `onRefunded` (once per status). Shared by notify, return and settle. `recorded`: a
 * payment's dedupe record, already asked for (see `fulfil`).
 */
export async function apply(
  core: CoreContext,
  provider: string,
  event: OrderEvent,
  ctx: HookContext,
  recorded?: Promise<string | undefined>,
): Promise<Verdict> {
  switch (event.type) {
    case 'paid':
      return fulfil(core, provider, event, ctx, recorded);
    case 'refunded':
      return recordRefund(core, provider, event, ctx);
    case 'closed':
      return reportClosed(core, provider, event, ctx);
  }
}
