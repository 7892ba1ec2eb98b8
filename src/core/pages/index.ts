/**
 * The buyer pages: the form that forwards to a cashier, the result page and error pages, in zh-CN
 * and en, brandable or replaced by the host's template (`pages` option). See docs/pages.md.
 */
export { errorResponse } from './error.js';
export { escapeHtml } from './escape.js';
export { hintOf, orderOutcome, type OutcomeHint } from './outcome.js';
export { resolvePages } from './options.js';
export { inAppResponse } from './in-app.js';
export { invokeResponse } from './invoke.js';
export { redirectResponse } from './redirect.js';
export { checksOf, resultPath, resultResponse } from './result.js';
export type * from './types.js';
