import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlipayOptions, UnionpayOptions, WechatpayOptions } from '../../src/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';

/**
 * A transparent HTTP proxy in front of the sandbox that writes down every gateway call it passes:
 * which provider, which operation, about which trade number. Providers configured with its options
 * reach the sandbox through it, so a test counts exactly the calls the sandbox received (queries
 * per attempt, refunds), with no counter inside paymount or the simulators. It can also hold calls
 * of one operation for a while, so that a test sees what runs concurrently.
 */

export type GatewayProvider = 'alipay' | 'wechatpay' | 'unionpay';
export type GatewayOp = 'checkout' | 'query' | 'close' | 'refund' | 'refundQuery' | 'other';

export interface GatewayCall {
  provider: GatewayProvider;
  op: GatewayOp;
  /**
   * The trade number the call is about: Alipay `out_trade_no`, WeChat Pay's path, UnionPay
   * `orderId` (for a UnionPay refund, the payment's orderId from `reqReserved`).
   */
  tradeNo?: string;
  /**
   * The provider's transaction id, when the call names the payment by it: Alipay `trade_no`,
   * WeChat Pay `transaction_id`, UnionPay `origQryId`.
   */
  transactionId?: string;
}

export interface GatewayTap {
  url: string;
  calls: GatewayCall[];
  /** Calls matching all the given fields. */
  count(filter: Partial<GatewayCall>): number;
  /** The most calls matching `filter` that were ever in flight at once. */
  maxInFlight(filter: Partial<GatewayCall>): number;
  /** Calls matching `filter` now in flight. */
  inFlight(filter: Partial<GatewayCall>): number;
  /** Holds each call of `op` this long before passing it on (0: no more holding). */
  hold(op: GatewayOp, ms: number): void;
  /**
   * Takes a provider's gateway down (every call to it has its connection reset, as for an outage
   * or a network cut) or brings it back up.
   */
  down(provider: GatewayProvider, isDown?: boolean): void;
  /** Provider options whose gateway is this tap. */
  alipay: AlipayOptions;
  wechatpay: WechatpayOptions;
  unionpay: UnionpayOptions;
  close(): Promise<void>;
}

const read = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const ALIPAY_OPS: Record<string, GatewayOp> = {
  'alipay.trade.wap.pay': 'checkout',
  'alipay.trade.query': 'query',
  'alipay.trade.close': 'close',
  'alipay.trade.refund': 'refund',
  'alipay.trade.fastpay.refund.query': 'refundQuery',
};

/** What one request to the sandbox is, read from its path and body the way each provider's docs put it. */
export function classify(method: string, url: URL, body: Buffer): GatewayCall | undefined {
  const [, provider, ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  if (provider === 'alipay' && path === '/gateway.do') {
    const form = new URLSearchParams(body.toString('utf8'));
    const name = url.searchParams.get('method') ?? form.get('method') ?? '';
    let tradeNo: string | undefined;
    let transactionId: string | undefined;
    try {
      const biz = JSON.parse(url.searchParams.get('biz_content') ?? form.get('biz_content') ?? '{}') as {
        out_trade_no?: string;
        trade_no?: string;
      };
      tradeNo = biz.out_trade_no;
      transactionId = biz.trade_no;
    } catch {
      // not JSON: no trade number to note
    }
    return { provider, op: ALIPAY_OPS[name] ?? 'other', tradeNo, transactionId };
  }
  if (provider === 'wechatpay' && path.startsWith('/v3/')) {
    const order = /^\/v3\/pay\/transactions\/out-trade-no\/([^/?]+)(\/close)?$/.exec(path);
    if (order) {
      const tradeNo = decodeURIComponent(order[1]!);
      return { provider, op: order[2] ? 'close' : method === 'GET' ? 'query' : 'other', tradeNo };
    }
    if (/^\/v3\/pay\/transactions\/(h5|app)$/.test(path)) {
      const tradeNo = (JSON.parse(body.toString('utf8') || '{}') as { out_trade_no?: string }).out_trade_no;
      return { provider, op: 'checkout', tradeNo };
    }
    if (path === '/v3/refund/domestic/refunds') {
      // paymount names the payment by transaction_id when it knows it, else by out_trade_no.
      const refund = JSON.parse(body.toString('utf8') || '{}') as { out_trade_no?: string; transaction_id?: string };
      return { provider, op: 'refund', tradeNo: refund.out_trade_no, transactionId: refund.transaction_id };
    }
    if (path.startsWith('/v3/refund/domestic/refunds/')) return { provider, op: 'refundQuery' };
    return { provider, op: 'other' };
  }
  if (provider === 'unionpay' && path.startsWith('/gateway/api/')) {
    const form = new URLSearchParams(body.toString('utf8'));
    const tradeNo = form.get('orderId') ?? undefined;
    if (path === '/gateway/api/queryTrans.do') return { provider, op: 'query', tradeNo };
    // A refund has an orderId of its own; paymount names the payment's in reqReserved ("<orderId>|<refundId>").
    const paid = form.get('reqReserved')?.split('|')[0];
    if (path === '/gateway/api/backTransReq.do') {
      return { provider, op: 'refund', tradeNo: paid ?? tradeNo, transactionId: form.get('origQryId') ?? undefined };
    }
    return { provider, op: 'checkout', tradeNo };
  }
  return undefined;
}

const matches = (call: GatewayCall, filter: Partial<GatewayCall>) =>
  Object.entries(filter).every(([key, value]) => call[key as keyof GatewayCall] === value);

export async function startGatewayTap(sandbox: Sandbox): Promise<GatewayTap> {
  const target = new URL(sandbox.url);
  const calls: GatewayCall[] = [];
  const flying: GatewayCall[] = [];
  // Starts and ends in the order they happened, to replay how many calls overlapped.
  const events: { call: GatewayCall; start: boolean }[] = [];
  const holds = new Map<GatewayOp, number>();
  const outages = new Set<GatewayProvider>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const url = new URL(req.url ?? '/', sandbox.url);
      const call = classify(req.method ?? 'GET', url, body);
      if (call) {
        calls.push(call);
        flying.push(call);
        events.push({ call, start: true });
      }
      if (call && outages.has(call.provider)) {
        flying.splice(flying.indexOf(call), 1);
        events.push({ call, start: false });
        req.socket.destroy();
        return;
      }
      try {
        const wait = call ? (holds.get(call.op) ?? 0) : 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const answer = await new Promise<IncomingMessage>((resolve, reject) => {
          const out = request(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: req.url,
              headers: { ...req.headers, host: target.host },
            },
            resolve,
          );
          out.on('error', reject);
          out.end(body);
        });
        const payload = await read(answer);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(payload);
      } finally {
        if (call) {
          flying.splice(flying.indexOf(call), 1);
          events.push({ call, start: false });
        }
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`gateway tap: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    calls,
    count: (filter) => calls.filter((c) => matches(c, filter)).length,
    maxInFlight(filter) {
      let now = 0;
      let peak = 0;
      for (const { call, start } of events) {
        if (!matches(call, filter)) continue;
        now += start ? 1 : -1;
        peak = Math.max(peak, now);
      }
      return peak;
    },
    inFlight: (filter) => flying.filter((c) => matches(c, filter)).length,
    hold(op, ms) {
      holds.set(op, ms);
    },
    down(provider, isDown = true) {
      if (isDown) outages.add(provider);
      else outages.delete(provider);
    },
    alipay: { ...sandbox.alipay, gateway: `${url}/alipay/gateway.do` },
    wechatpay: { ...(sandbox.wechatpay as WechatpayOptions), gateway: `${url}/wechatpay` },
    unionpay: { ...sandbox.unionpay, gateway: `${url}/unionpay` },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
