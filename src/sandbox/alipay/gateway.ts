import type { KeyObject } from 'node:crypto';
import { parseForm } from '../wire/form.js';
import { beijingDateTime, parseBeijing } from '../wire/time.js';
import type { SandboxRequest } from '../types.js';
import { GatewayFault, invalid, missing } from './errors.js';
import type { Signer } from './response.js';
import { requestCheckString, verifyRequest } from './sign.js';

/**
 * Request checks of `gateway.do`: merge query and body, find the app, check
 * the public parameters, the certificate SNs in certificate mode, and the signature.
 */

/** An app registered with the simulated gateway. */
export interface SimApp {
  appId: string;
  sellerId: string;
  /** The merchant's public key (from the app certificate in certificate mode). */
  appKey: KeyObject;
  /** How the gateway signs answers to this app. */
  signer: Signer;
  /** Certificate mode: the SNs requests must carry. */
  cert?: { appCertSn: string; rootCertSn: string };
}

export const WAP_PAY = 'alipay.trade.wap.pay';
export const APP_PAY = 'alipay.trade.app.pay';
export const API_METHODS = [
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
] as const;
export type ApiMethod = (typeof API_METHODS)[number];

/**
 * How far the request `timestamp` may be from the gateway's clock. The real window is not
 * documented; an hour still catches the usual mistake, a server-local or UTC time 8 hours off.
 */
const TIMESTAMP_WINDOW_MS = 60 * 60 * 1000;

export type Params = Record<string, string>;

/** Query and form body merged; a key sent twice (in either or both) is refused. */
export function gatewayParams(req: SandboxRequest): Params {
  const params: Params = Object.create(null);
  const add = (key: string, value: string) => {
    if (Object.prototype.hasOwnProperty.call(params, key)) {
      throw invalid(
        'isv.invalid-parameter',
        `参数 ${key} 重复 (parameter "${key}" is sent more than once; query and body are merged, so send each parameter once)`,
      );
    }
    params[key] = value;
  };
  for (const [key, value] of req.query) add(key, value);
  if (req.body.length > 0) {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type && !type.startsWith('application/x-www-form-urlencoded')) {
      throw invalid(
        'isv.invalid-parameter',
        `不支持的 Content-Type: ${type} (send the body as application/x-www-form-urlencoded)`,
      );
    }
    let body: Params;
    try {
      body = parseForm(req.body.toString('utf8'));
    } catch (error) {
      throw invalid('isv.invalid-parameter', `请求体无法解析 (${(error as Error).message})`);
    }
    for (const [key, value] of Object.entries(body)) add(key, value);
  }
  return params;
}

/** Steps 1–3. Returns the app; throws a {@link GatewayFault} in Alipay's words. */
export function authenticate(
  params: Params,
  apps: ReadonlyMap<string, SimApp>,
  now: Date,
  methods: readonly string[],
): SimApp {
  if (!params.method) throw missing('method', 'isv.missing-method');
  if (!params.app_id)
    throw new GatewayFault(
      '40001',
      'isv.missing-app-id',
      '缺少必选参数 app_id (missing required parameter "app_id")',
      false,
    );
  const app = apps.get(params.app_id);
  if (!app) {
    throw new GatewayFault(
      '40002',
      'isv.invalid-app-id',
      `无效的AppID参数 (app_id ${params.app_id} is not registered with this gateway: is it a production app id used against the sandbox?)`,
      false,
    );
  }
  if (!params.charset) throw missing('charset', 'isv.missing-charset');
  if (params.charset.toLowerCase() !== 'utf-8')
    throw invalid('isv.invalid-charset', `字符集错误 (charset "${params.charset}": this gateway speaks utf-8 only)`);
  if (!params.sign_type) throw missing('sign_type', 'isv.missing-signature-type');
  if (params.sign_type !== 'RSA2')
    throw invalid(
      'isv.invalid-signature-type',
      `无效的签名类型 (sign_type "${params.sign_type}": this app is registered for RSA2)`,
    );
  if (!params.sign) throw missing('sign', 'isv.missing-signature');
  if (!params.timestamp) throw missing('timestamp', 'isv.missing-timestamp');
  checkTimestamp(params.timestamp, now);
  if (!params.version) throw missing('version', 'isv.missing-version');
  if (params.version !== '1.0') throw invalid('isv.invalid-parameter', `version 必须是 1.0 (got "${params.version}")`);
  if (params.format !== undefined && params.format.toUpperCase() !== 'JSON')
    throw invalid('isv.invalid-format', `无效的数据格式 (format "${params.format}": only JSON)`);
  if (!methods.includes(params.method))
    throw invalid(
      'isv.invalid-method',
      `不存在的方法名 (method "${params.method}" is not offered here; known: ${methods.join(', ')})`,
    );
  if (app.cert) checkCertSns(params, app.cert);
  if (!verifyRequest(params, app.appKey)) {
    // Like the real gateway, show the string it checked: the usual mismatch is visible in it.
    throw invalid(
      'isv.invalid-signature',
      `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${requestCheckString(params)}`,
    );
  }
  return app;
}

function checkTimestamp(timestamp: string, now: Date): void {
  const sent = parseBeijing(timestamp);
  if (!sent || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(timestamp)) {
    throw invalid('isv.invalid-timestamp', `非法的时间戳参数 (timestamp "${timestamp}" is not yyyy-MM-dd HH:mm:ss)`);
  }
  if (Math.abs(sent.getTime() - now.getTime()) > TIMESTAMP_WINDOW_MS) {
    throw invalid(
      'isv.invalid-timestamp',
      `非法的时间戳参数 (timestamp ${timestamp} is more than an hour from the gateway's Beijing time ${beijingDateTime(now)}: ` +
        'send Beijing time (UTC+8) whatever the server time zone; with a fake clock, give the same clock to the sandbox)',
    );
  }
}

function checkCertSns(params: Params, cert: { appCertSn: string; rootCertSn: string }): void {
  if (!params.app_cert_sn) throw missing('app_cert_sn', 'isv.missing-app-cert-sn');
  if (params.app_cert_sn !== cert.appCertSn) {
    throw invalid(
      'isv.app-cert-not-exist',
      `应用公钥证书不存在 (app_cert_sn ${params.app_cert_sn} matches no certificate of this app: MD5 of the issuer DN + decimal serial of appCertPublicKey)`,
    );
  }
  if (!params.alipay_root_cert_sn) throw missing('alipay_root_cert_sn', 'isv.missing-alipay-root-cert-sn');
  if (params.alipay_root_cert_sn !== cert.rootCertSn) {
    throw invalid(
      'isv.invalid-alipay-root-cert-sn',
      `支付宝根证书SN错误 (alipay_root_cert_sn ${params.alipay_root_cert_sn}: expected the SNs of the RSA-signed certificates of alipayRootCert, in file order, joined with "_")`,
    );
  }
}
