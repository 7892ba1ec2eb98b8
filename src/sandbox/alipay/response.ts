import type { KeyObject } from 'node:crypto';
import { signRsa } from '../wire/rsa.js';
import type { SandboxResponse } from '../types.js';
import { GATEWAY_MESSAGES, type GatewayFault } from './errors.js';

/** Whose key signs an answer, and the SN of the Alipay certificate in certificate mode. */
export interface Signer {
  key: KeyObject;
  alipayCertSn?: string;
}

/**
 * JSON the way Alipay writes it: `/` escaped as `\/`, Chinese as raw UTF-8. A client that
 * re-serialises the parsed response instead of slicing the raw text will not reproduce the
 * signed bytes.
 */
export function alipayJson(value: unknown): string {
  // JSON.stringify only emits "/" inside strings, and never after an escaping backslash.
  return JSON.stringify(value).replace(/\//g, '\\/');
}

/** `alipay.trade.query` → `alipay_trade_query_response`; no method → `error_response`. */
export function responseNode(method: string | undefined): string {
  return method ? `${method.replace(/\./g, '_')}_response` : 'error_response';
}

/**
 * `{"<node>":{…},"alipay_cert_sn":"…","sign":"…"}`: the signature covers the exact bytes of the
 * node's value. Without a signer (unknown app) the answer carries no `sign`.
 */
export async function signedJson(
  node: string,
  fields: Readonly<Record<string, unknown>>,
  signer: Signer | undefined,
): Promise<string> {
  const inner = alipayJson(fields);
  if (!signer) return `{"${node}":${inner}}`;
  const sign = await signRsa(signer.key, inner, 'sha256');
  const certSn = signer.alipayCertSn ? `,"alipay_cert_sn":"${signer.alipayCertSn}"` : '';
  return `{"${node}":${inner}${certSn},"sign":"${sign}"}`;
}

/** The gateway answers API calls as text/html, like the real one: clients must read text. */
export function jsonResponse(body: string): SandboxResponse {
  return { status: 200, headers: { 'content-type': 'text/html;charset=utf-8' }, body };
}

/** A successful API answer. */
export async function apiSuccess(
  method: string,
  fields: Readonly<Record<string, unknown>>,
  signer: Signer,
): Promise<SandboxResponse> {
  return jsonResponse(
    await signedJson(responseNode(method), { code: '10000', msg: GATEWAY_MESSAGES['10000'], ...fields }, signer),
  );
}

/** A refusal, with business fields echoed where Alipay echoes them. */
export async function apiFault(
  method: string | undefined,
  fault: GatewayFault,
  signer: Signer | undefined,
  echo: Readonly<Record<string, unknown>> = {},
): Promise<SandboxResponse> {
  const fields = {
    code: fault.code,
    msg: GATEWAY_MESSAGES[fault.code],
    sub_code: fault.subCode,
    sub_msg: fault.subMsg,
    ...fault.echo,
    ...echo,
  };
  return jsonResponse(await signedJson(responseNode(method), fields, fault.signed ? signer : undefined));
}
