import { yuan } from '../wire/money.js';
import { beijingDateTime } from '../wire/time.js';
import type { SandboxResponse } from '../types.js';
import { amountFen, outTradeNo, text, type Biz } from './biz.js';
import { business, type GatewayFault } from './errors.js';
import type { ApiMethod, SimApp } from './gateway.js';
import { apiSuccess } from './response.js';
import type { Trade, TradeBook } from './trades.js';

/** The server-to-server trade APIs: query, close, refund, refund query. */

const fail = (message: string) => business('ACQ.INVALID_PARAMETER', `参数无效 (${message})`);

/** Thrown with the fields Alipay echoes on a missing trade. */
function notExist(biz: Biz): GatewayFault {
  const fault = business(
    'ACQ.TRADE_NOT_EXIST',
    '交易不存在 (no such trade: a WAP/APP trade only exists once the buyer has entered the cashier)',
  );
  const echo: Record<string, string> = {};
  if (typeof biz.out_trade_no === 'string') echo.out_trade_no = biz.out_trade_no;
  if (typeof biz.trade_no === 'string') echo.trade_no = biz.trade_no;
  fault.echo = {
    ...echo,
    buyer_pay_amount: '0.00',
    invoice_amount: '0.00',
    point_amount: '0.00',
    receipt_amount: '0.00',
  };
  return fault;
}

function findTrade(book: TradeBook, app: SimApp, biz: Biz): Trade {
  const tradeNo = text(biz, 'trade_no', fail, { max: 64 });
  const outTrade = outTradeNo(biz, fail, false);
  if (tradeNo === undefined && outTrade === undefined)
    throw fail('out_trade_no 和 trade_no 不能同时为空 (give out_trade_no or trade_no)');
  const trade = book.find(app.appId, { tradeNo, outTradeNo: outTrade });
  if (!trade) throw notExist(biz);
  return trade;
}

function query(trade: Trade, app: SimApp): Record<string, unknown> {
  const paid = trade.paidAt !== undefined;
  const fields: Record<string, unknown> = {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId,
    trade_status: trade.status,
    total_amount: yuan(trade.totalFen),
    buyer_pay_amount: paid ? yuan(trade.totalFen) : '0.00',
    point_amount: '0.00',
    invoice_amount: paid ? yuan(trade.totalFen) : '0.00',
    receipt_amount: paid ? yuan(trade.totalFen) : '0.00',
  };
  if (trade.paidAt) fields.send_pay_date = beijingDateTime(trade.paidAt);
  if (paid) fields.fund_bill_list = [{ fund_channel: 'ALIPAYACCOUNT', amount: yuan(trade.totalFen) }];
  fields.buyer_user_id = trade.buyerId;
  fields.seller_id = app.sellerId;
  fields.subject = trade.subject;
  if (trade.body !== undefined) fields.body = trade.body;
  if (trade.passbackParams !== undefined) fields.passback_params = trade.passbackParams;
  return fields;
}

/** Runs one API method for an authenticated app. */
export async function handleApi(method: ApiMethod, app: SimApp, biz: Biz, book: TradeBook): Promise<SandboxResponse> {
  switch (method) {
    case 'alipay.trade.query': {
      const trade = findTrade(book, app, biz);
      return apiSuccess(method, query(trade, app), app.signer);
    }
    case 'alipay.trade.close': {
      const trade = findTrade(book, app, biz);
      book.close(trade);
      return apiSuccess(method, { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo }, app.signer);
    }
    case 'alipay.trade.refund': {
      const fen = amountFen(biz.refund_amount, 'refund_amount', fail);
      const requestNo = text(biz, 'out_request_no', fail, { max: 64 });
      const reason = text(biz, 'refund_reason', fail, { max: 256 });
      const trade = findTrade(book, app, biz);
      if (requestNo === undefined && fen !== trade.totalFen) {
        throw business(
          'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
          '退款金额与订单金额不一致 (a partial refund needs an out_request_no)',
        );
      }
      // Without out_request_no Alipay uses out_trade_no as the request number (`alipay.trade.refund`).
      const { entry, fundChange } = book.refund(trade, requestNo ?? trade.outTradeNo, fen, reason);
      return apiSuccess(
        method,
        {
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          buyer_logon_id: trade.buyerLogonId,
          fund_change: fundChange ? 'Y' : 'N',
          refund_fee: yuan(trade.refundedFen),
          gmt_refund_pay: beijingDateTime(entry.at),
          send_back_fee: yuan(entry.fen),
          buyer_user_id: trade.buyerId,
        },
        app.signer,
      );
    }
    case 'alipay.trade.fastpay.refund.query': {
      const requestNo = text(biz, 'out_request_no', fail, { required: true, max: 64 })!;
      const trade = findTrade(book, app, biz);
      const entry = trade.refunds.get(requestNo);
      // code 10000 without refund fields means "no such refund was made" (`alipay.trade.fastpay.refund.query`).
      if (!entry) return apiSuccess(method, {}, app.signer);
      const fields: Record<string, unknown> = {
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        out_request_no: entry.outRequestNo,
        total_amount: yuan(trade.totalFen),
        refund_amount: yuan(entry.fen),
        refund_status: 'REFUND_SUCCESS',
        gmt_refund_pay: beijingDateTime(entry.at),
      };
      if (entry.reason !== undefined) fields.refund_reason = entry.reason;
      return apiSuccess(method, fields, app.signer);
    }
  }
}
