import { expect } from 'vitest';
import { PaymountError } from '../../src/errors/index.js';

/** Asserts that `error` is a PaymountError with `code` (and a message matching `message`); returns it. */
function refusedWith(error: unknown, code: string, message?: RegExp): PaymountError {
  expect(error).toBeInstanceOf(PaymountError);
  const refused = error as PaymountError;
  expect(refused.code).toBe(code);
  if (message) expect(refused.message).toMatch(message);
  return refused;
}

/** Runs `run`, which must throw a PaymountError with `code`; returns the error for more checks. */
export function expectRefusal(run: () => unknown, code: string, message?: RegExp): PaymountError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  return refusedWith(error, code, message);
}

/** The same for `run` that rejects (or throws) instead. */
export async function expectAsyncRefusal(run: () => unknown, code: string, message?: RegExp): Promise<PaymountError> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  return refusedWith(error, code, message);
}
