import type { SandboxRequest, SandboxResponse, SimulatorContext } from '../types.js';
import type { WechatAccounts } from './accounts.js';
import type { Platform } from './platform.js';
import type { Merchant, Trade, TradeBook } from './trades.js';

/** A request as the WeChat simulator sees it, from the plain-HTTP sandbox or its own HTTPS listener. */
export interface WxRequest extends SandboxRequest {
  /** Set on the HTTPS listener: the client certificate, if one was presented and chains to the sandbox CA. */
  tls?: { authorized: boolean; fingerprint256?: string };
}

/** A fault queued by `inject(path, fault, times)`. */
export interface Fault {
  status: number;
  code: string;
  message: string;
  remaining: number;
}

/** Everything the handlers share. */
export interface SimState {
  ctx: SimulatorContext;
  merchants: Map<string, Merchant>;
  trades: TradeBook;
  platform: Platform;
  faults: Map<string, Fault>;
  /** Timers of refunds still PROCESSING, cleared on close. */
  timers: Set<NodeJS.Timeout>;
  /** Seen v3 nonces (mchid + nonce → expiry ms), to refuse replayed requests. */
  nonces: Map<string, number>;
  /** Pending `WECHATPAY/SIGNTEST/` probes to put on the next v3 notifies. */
  probes: { remaining: number };
  /** Official accounts, mini-programs and apps, simulated WeChat users, OAuth codes. */
  accounts: WechatAccounts;
  /** The official accounts' OAuth domains (网页授权域名); `undefined` lets any host sign in. */
  oauthDomains?: string[];
  /** JSAPI cashiers shown by the bridge and not answered yet: ticket → order and payer. */
  jsapiTickets: Map<string, { trade: Trade; scene: 'web' | 'mini' }>;
}

/** Takes the next queued fault for `path` (exact, or a registered `prefix*`), if any. */
export function takeFault(state: SimState, path: string): Fault | undefined {
  let key: string | undefined = state.faults.has(path) ? path : undefined;
  if (!key)
    for (const candidate of state.faults.keys())
      if (candidate.endsWith('*') && path.startsWith(candidate.slice(0, -1))) key = candidate;
  const fault = key === undefined ? undefined : state.faults.get(key);
  if (!fault || key === undefined) return undefined;
  fault.remaining -= 1;
  if (fault.remaining <= 0) state.faults.delete(key);
  return fault;
}

export type Handler = (req: WxRequest, state: SimState) => Promise<SandboxResponse>;

/** Plain text/HTML helpers. */
export function text(status: number, body: string, type = 'text/plain; charset=utf-8'): SandboxResponse {
  return { status, headers: { 'content-type': type }, body };
}
