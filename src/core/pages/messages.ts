import { en } from './en.js';
import type { Messages } from './texts.js';
import type { PageLocale } from './types.js';
import { zhCN } from './zh-cn.js';

export type { Messages, Said } from './texts.js';

/** What the default pages say, by language. */
const MESSAGES: Record<PageLocale, Messages> = { 'zh-CN': zhCN, en };

export function messagesFor(locale: PageLocale): Messages {
  return MESSAGES[locale];
}
