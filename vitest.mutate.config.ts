import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests `npm run mutate` runs against each mutant (docs/mutation.md): the in-process files that
 * exercise the verify paths without a sandbox or an app (`verify-alipay-refund` starts one small HTTP
 * server on 127.0.0.1 for Alipay's refund query). Each mutant runs the files of the tests that
 * cover it, so the end-to-end files (a sandbox and real apps per file) would make one run take hours
 * on two cores; no browser, multi-process, Redis or property (random seed) tests either, and not
 * `unionpay-verify.test.ts`, whose `vi.mock` of the RSA module needs isolated files
 * (`verify-unionpay.test.ts` covers the same checks). (`mergeConfig` would append this list to the
 * base one, so the test options are spread instead.)
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/verify-*.test.ts',
      'test/alipay-vectors.test.ts',
      'test/core.test.ts',
      'test/required-fields.test.ts',
      'test/wechatpay-crypto.test.ts',
      'test/wechatpay-notify.test.ts',
      // Fulfilment's once-only guarantees: the lock, the order of records, the order's claim, double payments
      // and the retry of their refund.
      'test/lock-held.test.ts',
      'test/fulfil-*.test.ts',
      'test/double-payments.test.ts',
      'test/one-outcome.test.ts',
    ],
    // Modules stay loaded between the runs of one mutant after another (Stryker switches mutants at run time).
    isolate: false,
    reporters: ['default'],
    outputFile: {},
  },
});
