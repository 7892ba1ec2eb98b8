import type { StatementDownloadOptions, StatementRow } from '../spi/statement.js';
import { apply } from './apply.js';
import { providerOf, type CoreContext } from './context.js';
import { fulfilledOn } from './fulfilled.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import { loadOrder } from './orders.js';
import type { SettledRecord } from './records.js';
import { recordRefund } from './refunded.js';
import { batches, checkStatementRequest, statement } from './statement.js';
import type { Verdict } from './verdict.js';

/**
 * `payments.reconcile`: one day's trade statement against what paymount recorded. Four kinds of
 * difference (docs/reconcile.md): payments the provider took that paymount never fulfilled,
 * payments paymount fulfilled that the statement does not list, amounts that differ, and refunds
 * paymount has no success record of. With `settle`, the first and the last are put right through
 * the once-only paths of a notify (`fulfil`, `recordRefund`), after the whole statement was read and
 * passed its own checks (totals, digest): nothing is fulfilled from a file that turns out damaged.
 */

/** Options of `payments.reconcile`. */
export interface ReconcileOptions extends StatementDownloadOptions {
  /**
   * Put right what can be: fulfil the payments paymount never fulfilled (`onPaid`, once, as for a
   * notify) and report the unknown refunds to `onRefunded` (once). Default false: report only.
   */
  settle?: boolean;
}

/**
 * What `settle` did about a difference: `fulfilled` (`onPaid` ran) or `recorded` (`onRefunded`
 * ran); `already` (a notify or another run got there first); `unknown_order` (no order to apply
 * it to); `refused` (the order does not accept it: see `onMismatch`); `failed` (the hook threw or
 * the store was busy: the next run tries again).
 */
export type SettleOutcome = 'fulfilled' | 'recorded' | 'already' | 'unknown_order' | 'refused' | 'failed';

/** A payment in the statement that paymount never fulfilled (its notify was lost, the shop was down). */
export interface UnfulfilledPayment {
  /** The host's order, when paymount can tell. */
  orderId?: string;
  tradeNo: string;
  transactionId: string;
  /** Fen, as the statement says. */
  amount: number;
  paidAt: Date;
  row: StatementRow;
  /** With `settle`: what was done. */
  settled?: SettleOutcome;
}

/** A payment paymount fulfilled on the day that the statement does not list. */
export interface MissingPayment {
  orderId?: string;
  tradeNo?: string;
  transactionId: string;
  /** Fen, as paymount recorded it. */
  amount?: number;
  paidAt?: Date;
}

/** A payment or refund whose amount in the statement differs from paymount's record. */
export interface AmountDifference {
  kind: 'payment' | 'refund';
  orderId?: string;
  transactionId?: string;
  refundId?: string;
  /** Fen, as the statement says. */
  statement: number;
  /** Fen, as paymount has it. */
  recorded: number;
  /**
   * Which record: the fulfilled `payment`, the `refund` as paymount requested it, or the `order`
   * (`getOrder`) for a payment never fulfilled, e.g. an earlier attempt paid after the order changed.
   */
  recordedBy: 'payment' | 'refund' | 'order';
  row: StatementRow;
}

/**
 * A refund in the statement that paymount has no success record of (made in the merchant platform,
 * or its result never arrived).
 */
export interface UnknownRefund {
  orderId?: string;
  refundId?: string;
  /** The refunded payment's transaction id. */
  transactionId?: string;
  /** Fen, as the statement says. */
  amount: number;
  refundedAt: Date;
  row: StatementRow;
  /** With `settle`: what was done. */
  settled?: SettleOutcome;
}

/** Counts of a reconcile. */
export interface ReconcileSummary {
  /** Rows of the statement, of each kind. */
  rows: number;
  payments: number;
  refunds: number;
  others: number;
  /** Payment and refund rows that agree with paymount's records. */
  matched: number;
  unfulfilled: number;
  missing: number;
  amountDifferences: number;
  unknownRefunds: number;
  /** Refund rows the provider still shows as processing or failed: not compared. */
  pendingRefunds: number;
  /** Unfulfilled payments this run fulfilled (`settle`). */
  fulfilled: number;
  /** Unknown refunds this run reported to `onRefunded` (`settle`). */
  refundsRecorded: number;
}

/** What `payments.reconcile` found, and with `settle` what it did. */
export interface ReconcileReport {
  provider: string;
  day: string;
  summary: ReconcileSummary;
  /** Paid at the provider, never fulfilled. */
  unfulfilled: UnfulfilledPayment[];
  /** Fulfilled by paymount, not in the statement. */
  missing: MissingPayment[];
  amountDifferences: AmountDifference[];
  unknownRefunds: UnknownRefund[];
}

/** A payment's record as `fulfil` stored it. */
const paidRecord = (text: string | undefined) => (text === undefined ? undefined : (JSON.parse(text) as SettledRecord));
/** What a refund id was first used for, as `payments.refund` claimed it. */
const refundClaim = (text: string | undefined) =>
  text === undefined ? undefined : (JSON.parse(text) as { orderId: string; amount: number });

/** Rows classified at once (their store lookups run together). */
const BATCH = 32;

const ROW_STATUS: Record<string, 'success' | 'processing' | 'failed'> = {
  SUCCESS: 'success',
  PROCESSING: 'processing',
  FAIL: 'failed',
  CHANGE: 'failed',
};

export async function reconcile(
  core: CoreContext,
  providerId: string,
  day: string,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const provider = providerOf(core, providerId);
  checkStatementRequest(core, provider, day, 'trades');
  const ctx: HookContext = { provider: provider.id, route: 'reconcile' };
  const report: ReconcileReport = {
    provider: provider.id,
    day,
    summary: {
      rows: 0,
      payments: 0,
      refunds: 0,
      others: 0,
      matched: 0,
      unfulfilled: 0,
      missing: 0,
      amountDifferences: 0,
      unknownRefunds: 0,
      pendingRefunds: 0,
      fulfilled: 0,
      refundsRecorded: 0,
    },
    unfulfilled: [],
    missing: [],
    amountDifferences: [],
    unknownRefunds: [],
  };
  const listed = new Set<string>();

  const payment = async (row: StatementRow, transactionId: string) => {
    listed.add(transactionId);
    const paid = paidRecord(await core.store.get(keys.paid(provider.id, transactionId)));
    if (paid) {
      if (paid.amount === row.amount) {
        report.summary.matched++;
        return;
      }
      const { orderId } = paid;
      const difference = { kind: 'payment' as const, orderId, transactionId, recordedBy: 'payment' as const, row };
      return void report.amountDifferences.push({ ...difference, statement: row.amount, recorded: paid.amount });
    }
    const order = row.orderId === undefined ? null : await loadOrder(core, row.orderId, ctx);
    if (order && order.amount !== row.amount) {
      return void report.amountDifferences.push({
        kind: 'payment',
        orderId: order.id,
        transactionId,
        statement: row.amount,
        recorded: order.amount,
        recordedBy: 'order',
        row,
      });
    }
    report.unfulfilled.push({
      ...(order ? { orderId: order.id } : {}),
      tradeNo: row.tradeNo,
      transactionId,
      amount: row.amount,
      paidAt: row.time,
      row,
    });
  };

  const refund = async (row: StatementRow) => {
    const status = ROW_STATUS[row.status.toUpperCase()] ?? 'success';
    if (status !== 'success') {
      report.summary.pendingRefunds++;
      return;
    }
    const { orderId, refundId } = row;
    if (orderId !== undefined && refundId !== undefined) {
      const known = await core.store.get(keys.refund(provider.id, orderId, refundId));
      const asked = refundClaim(await core.store.get(keys.refundId(provider.id, refundId)));
      if (asked?.orderId === orderId && asked.amount !== row.amount) {
        return void report.amountDifferences.push({
          kind: 'refund',
          orderId,
          refundId,
          transactionId: row.transactionId,
          statement: row.amount,
          recorded: asked.amount,
          recordedBy: 'refund',
          row,
        });
      }
      if (known === 'success') {
        report.summary.matched++;
        return;
      }
    }
    report.unknownRefunds.push({
      ...(orderId !== undefined ? { orderId } : {}),
      ...(refundId !== undefined ? { refundId } : {}),
      ...(row.transactionId !== undefined ? { transactionId: row.transactionId } : {}),
      amount: row.amount,
      refundedAt: row.time,
      row,
    });
  };

  const classify = async (row: StatementRow) => {
    report.summary.rows++;
    if (row.kind === 'payment' && row.transactionId) {
      report.summary.payments++;
      await payment(row, row.transactionId);
    } else if (row.kind === 'refund') {
      report.summary.refunds++;
      await refund(row);
    } else report.summary.others++;
  };

  for await (const batch of batches(statement(core, provider.id, day, { ...options, kind: 'trades' }), BATCH))
    await Promise.all(batch.map(classify));

  // Fulfilled by paymount on that day, absent from the statement.
  for (const transactionId of await fulfilledOn(core, provider.id, day)) {
    if (listed.has(transactionId)) continue;
    const paid = paidRecord(await core.store.get(keys.paid(provider.id, transactionId)));
    report.missing.push({
      transactionId,
      ...(paid
        ? { orderId: paid.orderId, tradeNo: paid.tradeNo, amount: paid.amount, paidAt: new Date(paid.paidAt) }
        : {}),
    });
  }

  if (options.settle) await settleDifferences(core, provider.id, report, ctx);
  const s = report.summary;
  s.unfulfilled = report.unfulfilled.length;
  s.missing = report.missing.length;
  s.amountDifferences = report.amountDifferences.length;
  s.unknownRefunds = report.unknownRefunds.length;
  s.fulfilled = report.unfulfilled.filter((p) => p.settled === 'fulfilled').length;
  s.refundsRecorded = report.unknownRefunds.filter((r) => r.settled === 'recorded').length;
  core.logger.info('reconcile done', { provider: provider.id, day, ...s });
  return report;
}

/** Fulfils the unfulfilled payments and records the unknown refunds, one at a time, once each. */
async function settleDifferences(
  core: CoreContext,
  provider: string,
  report: ReconcileReport,
  ctx: HookContext,
): Promise<void> {
  for (const p of report.unfulfilled) {
    if (p.orderId === undefined) {
      p.settled = 'unknown_order';
      continue;
    }
    const verdict = await apply(
      core,
      provider,
      {
        type: 'paid',
        orderId: p.orderId,
        tradeNo: p.tradeNo,
        transactionId: p.transactionId,
        amount: p.amount,
        paidAt: p.paidAt,
        raw: p.row.raw,
      },
      ctx,
    );
    p.settled = outcome(verdict, 'fulfilled');
  }
  for (const r of report.unknownRefunds) {
    if (r.orderId === undefined || r.refundId === undefined) {
      r.settled = 'unknown_order';
      continue;
    }
    const verdict = await recordRefund(
      core,
      provider,
      {
        type: 'refunded',
        orderId: r.orderId,
        tradeNo: r.row.tradeNo,
        refundId: r.refundId,
        ...(r.row.providerRefundId ? { providerRefundId: r.row.providerRefundId } : {}),
        amount: r.amount,
        status: 'success',
        raw: r.row.raw,
      },
      ctx,
    );
    r.settled = outcome(verdict, 'recorded');
  }
}

function outcome(verdict: Verdict, done: 'fulfilled' | 'recorded'): SettleOutcome {
  switch (verdict.kind) {
    case 'fulfilled':
    case 'refunded':
      return done;
    case 'duplicate':
      return 'already';
    case 'mismatch':
      return verdict.status === 404 ? 'unknown_order' : 'refused';
    default:
      return 'failed';
  }
}
