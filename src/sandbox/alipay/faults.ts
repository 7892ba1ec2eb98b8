import { GatewayFault } from './errors.js';

/** A fault a test asks for (gateway errors, system errors, timeouts). */
export interface InjectedFault {
  code: '20000' | '40004';
  subCode: string;
  subMsg?: string;
}

const DEFAULT_MESSAGES: Record<string, string> = {
  'aop.unknow-error': '系统繁忙',
  'isp.unknow-error': '系统繁忙',
  'ACQ.SYSTEM_ERROR': '系统错误',
};

/** Per-method queues of faults that replace the next answers. */
export class FaultQueue {
  private readonly queued = new Map<string, { fault: GatewayFault; left: number }[]>();

  add(method: string, fault: InjectedFault, times = 1): void {
    if (!Number.isSafeInteger(times) || times < 1)
      throw new RangeError(`inject(${method}): times must be a positive integer, got ${times}`);
    if (fault.code !== '20000' && fault.code !== '40004')
      throw new RangeError(`inject(${method}): code must be "20000" or "40004", got ${String(fault.code)}`);
    const subMsg = fault.subMsg ?? DEFAULT_MESSAGES[fault.subCode] ?? fault.subCode;
    const list = this.queued.get(method) ?? [];
    list.push({ fault: new GatewayFault(fault.code, fault.subCode, subMsg), left: times });
    this.queued.set(method, list);
  }

  /** The fault for this call of `method`, if one is queued (and counts it). */
  take(method: string): GatewayFault | undefined {
    const list = this.queued.get(method);
    const head = list?.[0];
    if (!list || !head) return undefined;
    if (--head.left === 0) list.shift();
    return head.fault;
  }
}
