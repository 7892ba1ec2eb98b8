import { GatewayError } from './codes.js';

/** Codes that mean "state unknown / still processing": the request may still take effect. */
export const PROCESSING_CODES: ReadonlySet<string> = new Set(['03', '04', '05']);

/** Injected answers, per txnType, for tests of a client's error paths. */
export class Faults {
  private readonly queue = new Map<string, GatewayError[]>();

  /** The next `times` calls of `txnType` answer with `respCode` (`respMsg` as `text[1234567]` or plain text). */
  inject(txnType: string, respCode: string, respMsg?: string, times = 1): void {
    if (!/^[0-9A-Z]{2}$/.test(respCode))
      throw new Error(`respCode must be two characters like "03", got "${respCode}"`);
    const match = /^(.*)\[(\d{7})\]$/.exec(respMsg ?? '');
    const error = new GatewayError(
      respCode,
      match?.[2] ?? '9999999',
      match?.[1] ?? respMsg ?? `模拟应答 injected respCode ${respCode}`,
    );
    const list = this.queue.get(txnType) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.queue.set(txnType, list);
  }

  /** The injected answer for this call of `txnType`, if any (consumed). */
  take(txnType: string | undefined): GatewayError | undefined {
    const list = this.queue.get(txnType ?? '');
    const next = list?.shift();
    if (list?.length === 0) this.queue.delete(txnType ?? '');
    return next;
  }
}
