/** The shape of what the default pages say, in one language (one file per language fills it). */
import type { PaymentOutcome } from '../hooks.js';
import type { PageErrorKind } from './types.js';

/** A heading and the paragraph under it. */
export interface Said {
  heading: string;
  message: string;
}

/** Everything the default pages say, in one language. */
export interface Messages {
  order: string;
  reference: string;
  shop: string;
  /** Trying again through the order's checkout link. */
  retry: string;
  /** Trying again when the only way is through the shop. */
  retryInShop: string;
  /** Trying an error page's request again. */
  again: string;
  redirect: Said & { title: string; submit: string };
  result: Record<PaymentOutcome, Said>;
  /** A pending order after the last automatic check. */
  unpaid: Said;
  /** The status line while a pending order is being checked. */
  checking(seconds: number, attempt: number, attempts: number): string;
  errors: Record<PageErrorKind, Said>;
}
