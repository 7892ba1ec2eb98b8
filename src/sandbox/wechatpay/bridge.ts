import type { SandboxResponse } from '../types.js';

/**
 * `GET /jsapi/bridge.js`: a stand-in for the `WeixinJSBridge` WeChat's browser injects into every
 * page. It defines `WeixinJSBridge.invoke`, fires `WeixinJSBridgeReady`, and for
 * `getBrandWCPayRequest` asks the simulator to check the call as WeChat would (`jsapi.ts`), then
 * shows WeChat's cashier as a sheet over the page (or the message WeChat would show) and answers
 * the page's callback with `err_msg`. It styles through the DOM only, so a page's strict
 * Content-Security-Policy lets it draw. Buttons carry ids for tests: `wx-sandbox-pay`, `-cancel`,
 * `-fail` and, on a refusal, `wx-sandbox-ok`.
 */
const SCRIPT = String.raw`(function () {
  if (window.WeixinJSBridge) return;
  var script = document.currentScript;
  var base = script.src.replace(/\/jsapi\/bridge\.js(\?.*)?$/, '');

  function post(path, body) {
    return fetch(base + path, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(body)
    }).then(function (res) { return res.json(); });
  }

  function el(tag, css, text) {
    var node = document.createElement(tag);
    node.style.cssText = css;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function sheet() {
    var shade = el('div', 'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.55);display:flex;' +
      'align-items:flex-end;justify-content:center;font:16px/1.5 -apple-system,"PingFang SC",sans-serif');
    var box = el('div', 'width:100%;max-width:480px;background:#fff;border-radius:14px 14px 0 0;' +
      'padding:20px 20px 28px;text-align:center;color:#191919;box-sizing:border-box');
    box.id = 'wx-sandbox-sheet';
    shade.appendChild(box);
    document.body.appendChild(shade);
    return { box: box, close: function () { shade.remove(); } };
  }

  function button(id, label, color, background) {
    var b = el('button', 'display:block;width:100%;margin:10px 0 0;padding:13px;border:0;border-radius:8px;' +
      'font-size:17px;cursor:pointer;color:' + color + ';background:' + background, label);
    b.id = id;
    b.type = 'button';
    return b;
  }

  function refusal(message, done) {
    var s = sheet();
    s.box.appendChild(el('div', 'font-size:17px;margin:8px 0 16px', message));
    var ok = button('wx-sandbox-ok', '确定', '#576b95', '#f2f2f2');
    ok.onclick = function () { s.close(); done(); };
    s.box.appendChild(ok);
  }

  function cashier(info, choose) {
    var s = sheet();
    s.box.appendChild(el('div', 'color:#07c160;font-weight:600;letter-spacing:.05em', '微信支付 · paymount sandbox'));
    var amount = '¥' + (info.total / 100).toFixed(2);
    s.box.appendChild(el('div', 'font-size:36px;font-weight:600;margin:10px 0 2px', amount));
    s.box.appendChild(el('div', 'color:#555;margin-bottom:12px;word-break:break-all', info.description));
    var choices = [
      ['pay', '确认支付 · Pay', '#fff', '#07c160'],
      ['cancel', '取消 · Cancel', '#191919', '#f2f2f2'],
      ['fail', '模拟支付失败 · Simulate a failed payment', '#fa5151', '#f2f2f2']
    ];
    choices.forEach(function (b) {
      var node = button('wx-sandbox-' + b[0], b[1], b[2], b[3]);
      node.onclick = function () {
        s.box.querySelectorAll('button').forEach(function (x) { x.disabled = true; });
        choose(b[0], s.close);
      };
      s.box.appendChild(node);
    });
    s.box.appendChild(el('div', 'color:#888;font-size:13px;margin-top:14px', '商户号 ' + info.mchId));
  }

  function fail(name, callback, detail) {
    callback({ err_msg: name + ':fail', err_desc: detail });
  }

  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      callback = callback || function () {};
      if (name !== 'getBrandWCPayRequest') {
        setTimeout(function () { fail(name, callback, 'not simulated by the sandbox'); }, 0);
        return;
      }
      post('/jsapi/invoke', { params: params, url: location.href }).then(function (answer) {
        if (!answer.ok) {
          refusal(answer.message || answer.error, function () {
            callback({ err_msg: answer.err_msg || name + ':fail', err_desc: answer.message });
          });
          return;
        }
        cashier(answer, function (action, close) {
          post('/jsapi/confirm', { ticket: answer.ticket, action: action }).then(function (result) {
            close();
            callback({ err_msg: result.err_msg });
          }, function (error) { close(); fail(name, callback, String(error)); });
        });
      }, function (error) { fail(name, callback, String(error)); });
    },
    on: function () {},
    call: function () {}
  };
  setTimeout(function () { document.dispatchEvent(new Event('WeixinJSBridgeReady')); }, 0);
})();
`;

export function bridgeScript(): SandboxResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
    body: SCRIPT,
  };
}
