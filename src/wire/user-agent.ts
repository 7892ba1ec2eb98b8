/**
 * Which app's built-in browser a request comes from, by its `User-Agent`. Only ever a choice of
 * flow: a user agent is whatever the client says, so it proves nothing.
 *
 * WeChat's browser writes `MicroMessenger/<version>`; WeCom (企业微信) writes `wxwork/<version>` and
 * `MicroMessenger` too; a mini-program's `<web-view>` adds `miniProgram` (client 7.0.0 and later).
 * WeChat's web-view documentation: https://developers.weixin.qq.com/miniprogram/dev/component/open-ability/web-view
 */

/** WeChat's names for itself, for pages that name the app a buyer is in. */
export const WECHAT_NAME = { 'zh-CN': '微信', en: 'WeChat' } as const;

/**
 * The kind of WeChat browser, tested in the order that tells them apart (WeCom and mini-programs
 * also say `MicroMessenger`), or `undefined` outside WeChat.
 */
export function wechatBrowser(userAgent: string): 'wecom' | 'mini-program' | 'wechat' | undefined {
  if (!/micromessenger/i.test(userAgent)) return /wxwork/i.test(userAgent) ? 'wecom' : undefined;
  if (/wxwork/i.test(userAgent)) return 'wecom';
  if (/miniprogram/i.test(userAgent)) return 'mini-program';
  return 'wechat';
}
