import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { responseMessage } from '../src/providers/wechatpay/v3/sign.js';
import { rsaVerify } from '../src/wire/rsa.js';
import { fixture } from './helpers/fixtures.js';
import { rsaSha256 } from './helpers/signing.js';

/**
 * The text a WeChat Pay v3 signature covers on responses and notifications: `timestamp\nnonce\nbody\n`,
 * each line ending in `\n`, the body as its exact bytes (docs/providers/wechatpay.md#v3-verification).
 * Checked against the platform key's signature over the documented text, not against paymount's signer.
 */
const platformKey = createPrivateKey(fixture('wechatpay/platform_key.pem'));
const platformPublic = createPublicKey(platformKey);
const body = '{"id":"EV-2018022511223320873","summary":"支付成功"}';

describe('WeChat Pay v3 verification message', () => {
  it('is timestamp, nonce and body, each ending in a line feed, from a string or the body bytes', () => {
    const expected = Buffer.from(`1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${body}\n`, 'utf8');
    expect(responseMessage('1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', body)).toEqual(expected);
    expect(responseMessage('1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', Buffer.from(body))).toEqual(expected);
  });

  it('is what the platform signature verifies, and changes with any of its parts', () => {
    const signature = rsaSha256(platformKey, `1554208460\nN1\n${body}\n`);
    expect(rsaVerify(platformPublic, responseMessage('1554208460', 'N1', body), signature)).toBe(true);
    expect(rsaVerify(platformPublic, responseMessage('1554208460', 'N1', Buffer.from(body)), signature)).toBe(true);
    expect(rsaVerify(platformPublic, responseMessage('1554208461', 'N1', body), signature)).toBe(false);
    expect(rsaVerify(platformPublic, responseMessage('1554208460', 'N2', body), signature)).toBe(false);
    expect(rsaVerify(platformPublic, responseMessage('1554208460', 'N1', `${body} `), signature)).toBe(false);
  });
});
