// Mutation testing of the verify paths (docs/mutation.md): `npm run mutate`. Not part of `npm test`
// or CI: a full run takes tens of minutes on two cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  coverageAnalysis: 'perTest',
  // Mutants of module-level constants would each run every test file (~40 % of the run time for
  // ~9 % of the mutants): they are left out and counted in docs/mutation.md.
  ignoreStatic: true,
  mutate: [
    // The sorted k=v string, RSA verify, constant-time compare and key parsing (src/wire).
    'src/wire/canonical.ts',
    'src/wire/rsa.ts',
    'src/wire/compare.ts',
    'src/wire/keys.ts',
    // Alipay: notify and return verification, the fields read from them, the V1 verify rule.
    'src/providers/alipay/notify.ts',
    'src/providers/alipay/return.ts',
    'src/providers/alipay/fields.ts',
    'src/providers/alipay/sign.ts:40-43',
    // WeChat Pay: version dispatch, v2 XML + sign, v3 headers + AES-GCM, ids, the unsigned return.
    'src/providers/wechatpay/notify.ts',
    'src/providers/wechatpay/return.ts',
    'src/providers/wechatpay/fields.ts',
    'src/providers/wechatpay/v2/notify.ts',
    'src/providers/wechatpay/v2/sign.ts',
    'src/providers/wechatpay/v2/xml.ts',
    'src/providers/wechatpay/v3/notify.ts',
    'src/providers/wechatpay/v3/verify.ts',
    'src/providers/wechatpay/v3/aes.ts',
    'src/providers/wechatpay/v3/sign.ts:66-76',
    // UnionPay: certificate chain and signature, notify and return, reqReserved, the payment time.
    'src/providers/unionpay/notify.ts',
    'src/providers/unionpay/return.ts',
    'src/providers/unionpay/verify.ts',
    'src/providers/unionpay/reserved.ts',
    'src/providers/unionpay/sign.ts:8-20',
    'src/providers/unionpay/fields.ts:33-50',
    // Once-only fulfilment.
    'src/core/fulfil.ts',
  ],
  concurrency: 2,
  timeoutMS: 60_000,
  timeoutFactor: 4,
  dryRunTimeoutMinutes: 20,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
