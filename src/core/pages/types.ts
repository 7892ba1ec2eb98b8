import type { PaymentOutcome } from '../hooks.js';

/** A language the buyer pages speak. */
export type PageLocale = 'zh-CN' | 'en';

/**
 * What an error page tells the buyer, by kind of error: the order is unknown (`not_found`), can no
 * longer be paid (`expired`: expired or closed), is paid already (`paid`), was checked out a moment
 * ago (`busy`), the payment provider could not be reached or refused the call (`provider`), the
 * way back from the provider's sign-in is spent or altered (`link`), or anything else (`other`).
 * The precise message goes to the log, never to the page.
 */
export type PageErrorKind = 'not_found' | 'expired' | 'paid' | 'busy' | 'provider' | 'link' | 'other';

/** The words of a page, in its locale, as plain text (a template must escape them). */
export interface PageTexts {
  /** The document title. */
  title: string;
  heading: string;
  message: string;
  /** A short status line: "checking again in 3 s (1 of 5)". */
  note?: string;
  /** Label of the order id ("订单号", "Order"). */
  order: string;
  /** Label of the reference ("参考编号", "Reference"). */
  reference: string;
  /** Label of `links.shop`. */
  shop: string;
  /** Label of `links.retry`, when there is one. */
  retry?: string;
  /** Label of the submit button of a `redirect` page, and of the pay button of an `invoke` page. */
  submit?: string;
  /** What an `in-app` page says before the link to copy. */
  link?: string;
}

/** Where a page's buttons go. */
export interface PageLinks {
  /** The shop (`pages.shopUrl`, default the origin of `publicUrl`). */
  shop: string;
  /**
   * Trying again: the checkout link of the order when a buyer may follow it (the host gives
   * `authorizeCheckout` or `publicCheckout`), else the shop; the same URL for a retryable error.
   */
  retry?: string;
}

/** The shop's branding, as configured in `pages`. */
export interface PageBrand {
  name?: string;
  /** A CSS hex colour. */
  color: string;
  logoUrl?: string;
}

/** What every page model carries. */
export interface PageBase {
  locale: PageLocale;
  /** The HTTP status the page is served with. */
  status: number;
  texts: PageTexts;
  links: PageLinks;
  brand: PageBrand;
  /**
   * The id of this request (`X-Request-Id`): what the log lines of the request carry, and what a
   * buyer quotes to the shop.
   */
  reference: string;
  /**
   * The nonce the page's `Content-Security-Policy` allows for `<style>` and `<script>` elements:
   * a template that inlines either must put `nonce="…"` on it.
   */
  nonce: string;
  orderId?: string;
  provider?: string;
}

/** The page that forwards the buyer to a cashier by posting a form (UnionPay, Alipay in POST mode). */
export interface RedirectPage extends PageBase {
  kind: 'redirect';
  /** The form to post; the page submits it at once and shows a button for browsers without JavaScript. */
  form: { action: string; fields: Readonly<Record<string, string>> };
}

/** The page after a payment (or a cashier left): the order's outcome as paymount knows it. */
export interface ResultPage extends PageBase {
  kind: 'result';
  orderId: string;
  /**
   * `paid`, `refunded` and `closed` come from the store and `getOrder`; `failed` and `cancelled`
   * from what the cashier reported when nothing better is known; otherwise `pending`.
   */
  outcome: PaymentOutcome;
  /**
   * While a pending order is being checked: reload `url` after `seconds` (the default page uses a
   * meta refresh). Absent once `attempts` checks found nothing: the page then says "not paid yet".
   */
  refresh?: { seconds: number; url: string; attempt: number; attempts: number };
}

/**
 * The page that hands a checkout to the provider's payment call inside its app (WeChat Pay's
 * JSAPI): the provider's script pays at once, and again when the `#invoke` button is pressed.
 */
export interface InvokePage extends PageBase {
  kind: 'invoke';
  orderId: string;
  provider: string;
  /**
   * What the page runs, in this order: `data` serialised as JSON into
   * `<script type="application/json" id="invoke-data">`, each of `sources` as
   * `<script src nonce>`, then `script` inline under the nonce. A template must keep the three
   * and a `#invoke` button; the page may connect to the origins of `sources`.
   */
  invoke: { script: string; data: unknown; sources: readonly string[] };
}

/**
 * The page a checkout link answers inside an app's browser that blocks this provider's cashier:
 * it asks the buyer to open the link in the phone's own browser, and shows the link.
 */
export interface InAppPage extends PageBase {
  kind: 'in-app';
  orderId: string;
  provider: string;
  /** The app whose browser this is, in the page's language. */
  app: string;
  /** The absolute URL of the checkout link, to open elsewhere. */
  link: string;
}

/** A request that could not be answered: a short message by kind, and the reference. */
export interface ErrorPage extends PageBase {
  kind: 'error';
  error: PageErrorKind;
}

/** The model of a buyer page, handed to `pages.render`. */
export type BuyerPage = RedirectPage | ResultPage | ErrorPage | InvokePage | InAppPage;

/**
 * The `pages` option of `createPayments`: how paymount's own buyer pages (the form that forwards
 * to a cashier, the page that opens an in-app payment, the "open in your browser" page, the result
 * page, error pages) look, or a template that replaces them.
 *
 * @example
 * pages: { shopName: '茶叶小店', color: '#b45309', logoUrl: 'https://shop.example.com/logo.png' }
 */
export interface PagesOptions {
  /** Always this language. Default: from the request's `Accept-Language`, else `zh-CN`. */
  locale?: PageLocale;
  /** Shown at the top of every page and in the title. */
  shopName?: string;
  /** The shop's colour, a CSS hex colour (`#b45309`): the top bar and the main button. */
  color?: string;
  /** An http(s) URL of the shop's logo, shown next to its name. */
  logoUrl?: string;
  /** Where "back to the shop" goes: an http(s) URL or a path. Default: the origin of `publicUrl`. */
  shopUrl?: string;
  /**
   * Renders a page with the shop's own template: gets the page model, returns the whole HTML
   * document. Texts in the model are plain text (escape them). If it throws, the default page is
   * served and the error logged. The page keeps a `Content-Security-Policy`: styles and scripts
   * need `nonce="${page.nonce}"` or to come from the shop's own origin; images may come from
   * anywhere over https.
   */
  render?(page: BuyerPage): string | Promise<string>;
}

/** `pages` after validation. */
export interface ResolvedPages {
  locale?: PageLocale;
  shopName?: string;
  color: string;
  logoUrl?: string;
  shopUrl: string;
  render?: (page: BuyerPage) => string | Promise<string>;
}
