import { createPrivateKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors/index.js';
import { alipayClient, type AlipayCall } from '../src/providers/alipay/client.js';
import { resolveAlipayConfig } from '../src/providers/alipay/config.js';
import { parseNotify } from '../src/providers/alipay/notify.js';
import type { CoreRequest } from '../src/spi/types.js';
import { fixture } from './helpers/fixtures.js';
import { alipayOptions, alipayPaid, formBody, signAlipay, type Pairs } from './helpers/provider-messages.js';
import { expectAsyncRefusal } from './helpers/refusal.js';
import { rsaSha256 } from './helpers/signing.js';

/**
 * A refund notify carries `refund_fee`, the trade's running total of refunds, so paymount asks the
 * refund query (`alipay.trade.fastpay.refund.query`) for this refund's own amount
 * (docs/providers/alipay.md#refund-notify). The query goes over real HTTP to a gateway on 127.0.0.1
 * that answers as Alipay does, signed with the fixture "Alipay" key.
 */
const NOW = new Date('2026-11-30T02:00:00Z');
const clock = () => NOW;
const TRADE = 'T20261129001';
const alipayKey = createPrivateKey(fixture('alipay/alipay-private.pem'));
const NODE = 'alipay_trade_fastpay_refund_query_response';

interface Asked {
  method: string;
  biz: Record<string, unknown>;
}

let server: Server;
let call: AlipayCall;
let config: ReturnType<typeof resolveAlipayConfig>;
/** Every call the gateway received, and the business answer it gives to the next ones. */
let asked: Asked[] = [];
let answer: Record<string, unknown> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const query = new URL(req.url!, 'http://gateway').searchParams;
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      asked.push({
        method: query.get('method') ?? '',
        biz: JSON.parse(body.get('biz_content') ?? '{}') as Record<string, unknown>,
      });
      // Alipay signs the exact text of the response node (docs/providers/alipay.md#response-verification).
      const node = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      res.end(`{"${NODE}":${node},"sign":"${rsaSha256(alipayKey, node)}"}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`;
  config = resolveAlipayConfig({ ...alipayOptions(), gateway });
  call = alipayClient(config, clock);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  asked = [];
  answer = {};
});

/** The refund notify of refund `refundId`, the trade's refunds totalling `total` yuan, with `changes`. */
function refundNotify(refundId: string, total: string, changes: Record<string, string> = {}): CoreRequest {
  let pairs: Pairs = [
    ...alipayPaid(TRADE, '2026112922001400001', '88.88'),
    ['out_biz_no', refundId],
    ['refund_fee', total],
    ['gmt_refund', '2026-11-30 10:00:00.000'],
  ];
  for (const [key, value] of Object.entries(changes)) pairs = [...pairs.filter(([k]) => k !== key), [key, value]];
  return {
    method: 'POST',
    path: '/notify/alipay',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    rawBody: Buffer.from(formBody(signAlipay(pairs))),
  };
}

const succeeded = (refundId: string, yuan: string) => ({
  code: '10000',
  msg: 'Success',
  out_trade_no: TRADE,
  trade_no: '2026112922001400001',
  out_request_no: refundId,
  refund_amount: yuan,
  total_amount: '88.88',
  refund_status: 'REFUND_SUCCESS',
});

describe('Alipay refund notify: the refund query', () => {
  it("reports the refund's own amount from the query, not the running total the notify carries", async () => {
    answer = succeeded('R2', '3.00');
    expect(await parseNotify(config, call, refundNotify('R2', '10.00'), clock)).toEqual({
      type: 'refunded',
      tradeNo: TRADE,
      orderId: TRADE,
      refundId: 'R2',
      amount: 300,
      status: 'success',
      raw: expect.objectContaining({ out_biz_no: 'R2', refund_fee: '10.00' }) as unknown,
      mismatch: undefined,
    });
    expect(asked).toEqual([
      { method: 'alipay.trade.fastpay.refund.query', biz: { out_trade_no: TRADE, out_request_no: 'R2' } },
    ]);
  });

  it('answers a refund the query does not show yet with PROVIDER_UNAVAILABLE, so that Alipay retries', async () => {
    // A refund not (yet) made: the query succeeds with no refund fields (docs/providers/alipay.md#refund-query).
    answer = { code: '10000', msg: 'Success', out_trade_no: TRADE, out_request_no: 'R3' };
    const refused = await expectAsyncRefusal(
      () => parseNotify(config, call, refundNotify('R3', '10.00'), clock),
      'PROVIDER_UNAVAILABLE',
      /^alipay: refund R3 is not visible to the refund query yet$/,
    );
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ provider: 'alipay', raw: { out_request_no: 'R3', code: '10000' } });
    // A refund the query reports as still processing is not reported either.
    answer = { ...succeeded('R3', '3.00'), refund_status: 'REFUND_PROCESSING' };
    await expectAsyncRefusal(
      () => parseNotify(config, call, refundNotify('R3', '10.00'), clock),
      'PROVIDER_UNAVAILABLE',
    );
  });

  it('asks nothing for a payment notify, nor for a refund notify addressed to another seller', async () => {
    const payment = {
      ...refundNotify('R4', '1.00'),
      rawBody: Buffer.from(formBody(signAlipay(alipayPaid(TRADE, '1', '88.88')))),
    };
    expect(await parseNotify(config, call, payment, clock)).toMatchObject({ type: 'paid', amount: 8888 });
    const foreign = await parseNotify(
      config,
      call,
      refundNotify('R4', '1.00', { seller_id: '2088000000000000' }),
      clock,
    );
    expect(foreign).toMatchObject({
      type: 'refunded',
      amount: 100,
      mismatch: { reason: 'merchant', field: 'seller_id' },
    });
    expect(asked).toEqual([]);
  });
});
