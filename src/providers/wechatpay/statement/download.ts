import { ConfigError, ProviderError } from '../../../errors/index.js';
import type { ProviderEnv } from '../../../spi/provider.js';
import type { StatementDownloadOptions, StatementKind, StatementRow } from '../../../spi/statement.js';
import { download } from '../../../wire/download.js';
import type { GatewayFailure } from '../../../wire/gateway.js';
import { httpClient, type HttpTransport } from '../../../wire/http.js';
import { DEFAULT_MAX_BYTES } from '../../../wire/statement/bytes.js';
import type { V2Config, V3Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../sign.js';
import { v2Stages } from '../v2/client.js';
import { v3Send, type V3Signer } from '../v3/client.js';
import type { KeyLookup } from '../v3/verify.js';
import { signRequest } from '../v3/sign.js';
import { parseWechatpayStatement } from './index.js';
import { wechatpayStatementUnavailable } from './unavailable.js';

/**
 * Daily bills (WeChat Pay merchant documentation, "下载账单"):
 * - v3: `GET /v3/bill/tradebill` or `/v3/bill/fundflowbill`, a signed call whose verified answer
 *   names `download_url` and the SHA-1 of the bill (`hash_value`); then a GET of `download_url`,
 *   signed like any v3 request but answered without a signature: the digest vouches for the file.
 * - v2: `POST /pay/downloadbill` (`bill_type=ALL`), signed XML in, the bill itself out, unsigned
 *   (a failure is an XML answer, read by the bill reader). v2 has no fund-flow bill here: its
 *   `downloadfundflow` needs mutual TLS and HMAC-SHA256 only.
 * With `tar_type=GZIP` the file comes gzipped; the reader recognises and inflates it as it streams.
 */

/** The statements a configuration offers: both bills with v3, the trade bill with v2 alone. */
export function wechatpayStatementKinds(config: WechatpayConfig): readonly StatementKind[] {
  return config.v3 ? ['trades', 'funds'] : ['trades'];
}

/** `Provider.statement` of one WeChat Pay configuration; `keys` verify v3 answers. */
export function wechatpayStatements(config: WechatpayConfig, env: ProviderEnv, keys: KeyLookup | undefined) {
  let http: HttpTransport | undefined;
  const transport = () => (http ??= httpClient({ provider: 'wechatpay', timeoutMs: config.timeoutMs, ca: config.ca }));
  const v3 = config.v3 && keys ? v3Bills(config, config.v3, env, keys, transport) : undefined;
  const v2 = !v3 && config.v2 ? v2Bills(config, config.v2, transport) : undefined;
  return async function* statement(
    day: string,
    kind: StatementKind,
    options: StatementDownloadOptions,
  ): AsyncGenerator<StatementRow> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const gzip = options.compressed ?? true;
    if (v3) yield* v3(day, kind, gzip, maxBytes);
    else if (v2) yield* v2(day, gzip, maxBytes);
    else throw new ConfigError('providers.wechatpay', 'needs v3 or v2 keys to download bills');
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function v3Bills(
  config: WechatpayConfig,
  v3: V3Config,
  env: ProviderEnv,
  keys: KeyLookup,
  transport: () => HttpTransport,
) {
  const signer: V3Signer = {
    mchId: config.mchId,
    serial: v3.serial,
    privateKey: v3.privateKey,
    gateway: config.gateway,
    clock: env.clock,
  };
  const origin = new URL(config.gateway).origin;
  let send: ReturnType<typeof v3Send> | undefined;
  let fetchFile: ReturnType<typeof download<string>> | undefined;

  return async function* bill(day: string, kind: StatementKind, gzip: boolean, maxBytes: number) {
    send ??= v3Send(signer, transport(), keys);
    const query = new URLSearchParams({ bill_date: day });
    if (kind === 'funds') query.set('account_type', 'BASIC');
    else query.set('bill_type', 'ALL');
    if (gzip) query.set('tar_type', 'GZIP');
    const path = kind === 'funds' ? '/v3/bill/fundflowbill' : '/v3/bill/tradebill';
    let answer: Record<string, unknown>;
    try {
      answer = await send({
        method: 'GET',
        path: `${path}?${query}`,
        what: kind === 'funds' ? 'fund-flow bill' : 'trade bill',
        check: (a) => {
          if (typeof a.download_url !== 'string' || !/^[0-9a-f]{40}$/i.test(String(a.hash_value)))
            throw new Error('the answer has no download_url or no SHA-1 hash_value');
        },
      });
    } catch (error) {
      const unavailable =
        error instanceof ProviderError &&
        error.code === 'PROVIDER_REJECTED' &&
        wechatpayStatementUnavailable(error.providerCode, error.raw);
      throw unavailable ?? error;
    }
    const url = new URL(answer.download_url as string);
    // The request for the file carries the merchant's signature: it goes to the gateway only.
    if (url.origin !== origin) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'RESPONSE_MISMATCH',
        message: `the bill's download_url is on ${url.origin}, not on the gateway ${origin}`,
        raw: answer,
      });
    }
    fetchFile ??= download<string>(
      {
        provider: 'wechatpay',
        describe: () => 'bill download',
        request: async (href) => {
          const target = new URL(href);
          const authorization = await signRequest(signer.privateKey, {
            mchId: signer.mchId,
            serialNo: signer.serial,
            method: 'GET',
            canonicalUrl: `${target.pathname}${target.search}`,
            body: '',
            timestamp: unixSeconds(signer.clock),
            nonceStr: nonce(),
          });
          return { url: href, method: 'GET', headers: { authorization, 'user-agent': 'paymount' } };
        },
        failure: v3DownloadFailure,
      },
      transport().stream,
    );
    const file = await fetchFile(url.href, { maxBytes });
    yield* parseWechatpayStatement(file.body, {
      hashValue: answer.hash_value as string,
      hashType: typeof answer.hash_type === 'string' ? answer.hash_type : undefined,
    });
  };
}

/** An error of the download step: JSON `{code, message}` with a 4xx (a stale link, another merchant). */
function v3DownloadFailure(status: number, body: Buffer): GatewayFailure | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value.code !== 'string') return undefined;
  return {
    providerCode: value.code,
    message: `${typeof value.message === 'string' ? value.message : value.code} (HTTP ${status})`,
    retryable: status >= 500,
  };
}

function v2Bills(config: WechatpayConfig, v2: V2Config, transport: () => HttpTransport) {
  const stages = v2Stages(config, v2);
  let fetchBill: ReturnType<typeof download<{ day: string; gzip: boolean }>> | undefined;
  return async function* bill(day: string, gzip: boolean, maxBytes: number) {
    fetchBill ??= download<{ day: string; gzip: boolean }>(
      {
        provider: 'wechatpay',
        describe: () => 'downloadbill',
        request: (call) =>
          stages.request({
            path: '/pay/downloadbill',
            appId: config.appIds.wap,
            fields: {
              bill_date: call.day.replace(/-/g, ''),
              bill_type: 'ALL',
              ...(call.gzip ? { tar_type: 'GZIP' } : {}),
            },
            what: 'downloadbill',
          }),
      },
      transport().stream,
    );
    const file = await fetchBill({ day, gzip }, { maxBytes });
    yield* parseWechatpayStatement(file.body);
  };
}
