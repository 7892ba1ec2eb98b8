import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests `npm run mutate` runs against each mutant (docs/mutation.md): the fast, in-process files
 * that exercise the verify paths. No browser, multi-process, Redis or property (random seed) tests:
 * a mutant must be killed or not the same way every run. (`mergeConfig` would append this list to
 * the base one, so the test options are spread instead.)
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/alipay-notify.test.ts',
      'test/alipay-vectors.test.ts',
      'test/core.test.ts',
      'test/e2e-alipay.test.ts',
      'test/e2e-unionpay.test.ts',
      'test/e2e-wechatpay.test.ts',
      'test/go-live-config.test.ts',
      'test/required-fields.test.ts',
      'test/unionpay-notify.test.ts',
      'test/unionpay-unit.test.ts',
      'test/unionpay-verify.test.ts',
      'test/verify-*.test.ts',
      'test/wechatpay-config.test.ts',
      'test/wechatpay-crypto.test.ts',
      'test/wechatpay-notify.test.ts',
    ],
    reporters: ['default'],
    outputFile: {},
  },
});
