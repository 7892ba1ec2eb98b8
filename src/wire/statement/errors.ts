import { ProviderError } from '../../errors/index.js';

/**
 * The three ways reading a statement fails. Codes: `STATEMENT_INVALID` (the file is malformed,
 * truncated, fails its digest, or its totals disagree with its rows), `STATEMENT_NOT_READY` (the
 * provider has not generated that day's file yet: retry later), `STATEMENT_EMPTY` (the provider
 * says there was no business that day).
 */
export type StatementErrorCode = 'STATEMENT_INVALID' | 'STATEMENT_NOT_READY' | 'STATEMENT_EMPTY';

/**
 * A malformed statement. `retryable` is true when downloading the file again may help (a
 * truncated or corrupted transfer), false when the provider's file itself is at fault.
 */
export function statementInvalid(
  provider: string,
  message: string,
  init: { retryable?: boolean; raw?: unknown; cause?: unknown } = {},
): ProviderError {
  return new ProviderError({ provider, code: 'STATEMENT_INVALID', message, retryable: false, ...init });
}

/** The provider has not generated the day's statement yet; the same request may succeed later. */
export function statementNotReady(provider: string, message: string, raw?: unknown): ProviderError {
  return new ProviderError({ provider, code: 'STATEMENT_NOT_READY', message, retryable: true, raw });
}

/** The provider answered that there is no statement for the day because nothing happened on it. */
export function statementEmpty(provider: string, message: string, raw?: unknown): ProviderError {
  return new ProviderError({ provider, code: 'STATEMENT_EMPTY', message, retryable: false, raw });
}
