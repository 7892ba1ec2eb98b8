import type { PaymentStore } from '../../src/index.js';

/**
 * A store that passes every call to `inner` except the ones given in `overrides`: for tests that
 * stall, fail or watch one operation of a real store. (A spread of `inner` would miss methods that
 * live on a prototype.)
 */
export function storeOver(inner: PaymentStore, overrides: Partial<PaymentStore> = {}): PaymentStore {
  return {
    get: inner.get.bind(inner),
    set: inner.set.bind(inner),
    setIfAbsent: inner.setIfAbsent.bind(inner),
    deleteIfEquals: inner.deleteIfEquals.bind(inner),
    expireIfEquals: inner.expireIfEquals.bind(inner),
    indexAdd: inner.indexAdd.bind(inner),
    indexRemove: inner.indexRemove.bind(inner),
    indexRange: inner.indexRange.bind(inner),
    ...overrides,
  };
}
