import { expect } from 'vitest';
import { ConfigError } from '../../src/index.js';

/**
 * Runs `run`, which must throw a `ConfigError` on `field` (the full option path a user writes, e.g.
 * `providers.alipay.appId`) whose message matches `message`; returns the error for more checks.
 */
export function expectConfigError(run: () => unknown, field: string, message?: RegExp): ConfigError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a ConfigError on ${field}`).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.field).toBe(field);
  expect(configError.message.startsWith(`${field}: `)).toBe(true);
  if (message) expect(configError.message).toMatch(message);
  return configError;
}
