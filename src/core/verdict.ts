/**
 * How one verified provider message ended. Notify routes turn it into the provider's
 * acknowledgement, `/return` and `settle` into an outcome for the buyer or the host.
 */
export type Verdict =
  | { kind: 'fulfilled' | 'duplicate' | 'closed' | 'refunded' | 'ignored' }
  | { kind: 'mismatch'; status: number; message: string }
  | { kind: 'busy'; message: string }
  | { kind: 'hook_failed'; message: string };
