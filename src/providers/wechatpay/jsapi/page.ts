import type { CheckoutInput, InvokeScript } from '../../../spi/provider.js';
import type { JsapiParams } from '../../../spi/types.js';

/**
 * The JSAPI page's script. WeChat's browser injects `WeixinJSBridge`, possibly after the page's
 * scripts ran, announcing it with the `WeixinJSBridgeReady` event; the page then calls
 * `getBrandWCPayRequest` with the six signed parameters. `err_msg` says `…:ok`, `…:cancel` or
 * `…:fail`; `ok` is not proof of payment (the return route asks WeChat Pay), and cancel and fail
 * go to the result page. WeChat Pay "JSAPI调起支付": https://pay.weixin.qq.com/doc/v3/merchant/4012791857
 */
const SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('invoke-data').textContent);
  var busy = false;
  function done(res) {
    var message = (res && res.err_msg) || '';
    if (message === 'get_brand_wcpay_request:ok') location.replace(data.ok);
    else if (message === 'get_brand_wcpay_request:cancel') location.replace(data.cancel);
    else location.replace(data.fail);
  }
  function pay() {
    if (busy || typeof WeixinJSBridge === 'undefined') return;
    busy = true;
    WeixinJSBridge.invoke('getBrandWCPayRequest', data.params, done);
  }
  if (typeof WeixinJSBridge === 'undefined') document.addEventListener('WeixinJSBridgeReady', pay, false);
  else pay();
  document.getElementById('invoke').addEventListener('click', pay);
})();`;

/**
 * What the core's invoke page runs for a JSAPI checkout: the parameters, and where each outcome
 * goes: `ok` to the return route (which queries before it says paid), cancel to the result page,
 * fail to it saying failed.
 */
export function jsapiInvoke(input: CheckoutInput, params: JsapiParams, bridgeScript: string | undefined): InvokeScript {
  const failed = new URL(input.resultUrl);
  failed.searchParams.set('outcome', 'failed');
  return {
    script: SCRIPT,
    data: {
      params,
      ok: `${input.returnUrl}?orderId=${encodeURIComponent(input.tradeNo)}`,
      cancel: input.resultUrl,
      fail: failed.href,
    },
    ...(bridgeScript ? { sources: [bridgeScript] } : {}),
  };
}
