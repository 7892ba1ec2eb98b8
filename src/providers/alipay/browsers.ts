import type { InAppBrowser } from '../../spi/types.js';
import { WECHAT_NAME } from '../../wire/user-agent.js';

/**
 * WeChat blocks Alipay's pages and the hand-off to the Alipay app inside its browser (WeChat's
 * rule; shops show an "open in your browser" page there instead). WeCom and mini-program
 * web-views say `MicroMessenger` too, and are WeChat's as well.
 */
export const BLOCKED_IN: readonly InAppBrowser[] = [
  { name: WECHAT_NAME, test: (userAgent) => /micromessenger/i.test(userAgent) },
];
