import type { Commands } from './redis-commands.js';
import { replyCode } from './redis-errors.js';

/**
 * Reads the server's `maxmemory-policy` once and warns unless it is `noeviction`. Any other policy
 * lets Redis delete keys when it reaches `maxmemory` (https://redis.io/docs/latest/develop/reference/eviction/);
 * the `volatile-*` ones too, since every paymount key has a time to live. A deleted payment record
 * lets a retried notify run `onPaid` a second time.
 *
 * Servers that refuse `CONFIG` (many managed services) are not checked: docs/state.md asks their
 * operators to check by hand. A check that could not reach the server is tried again on a later call.
 */
export function evictionCheck(commands: Commands, warn: (message: string) => void): () => void {
  let state: 'unchecked' | 'checking' | 'done' = 'unchecked';
  return () => {
    if (state !== 'unchecked') return;
    state = 'checking';
    commands.run(['CONFIG', 'GET', 'maxmemory-policy']).then(
      (reply) => {
        state = 'done';
        const policy = policyOf(reply);
        if (policy !== undefined && policy !== 'noeviction') warn(message(policy));
      },
      (error: unknown) => {
        // A refusal (an error reply: CONFIG disabled or not permitted) is final; an outage is not.
        const refused = error instanceof Error && replyCode(error.cause) !== undefined;
        state = refused ? 'done' : 'unchecked';
      },
    );
  };
}

/** The policy out of a `CONFIG GET` reply: a flat array (RESP2), a Map or an object (RESP3). */
function policyOf(reply: unknown): string | undefined {
  let value: unknown;
  if (Array.isArray(reply)) value = reply[1];
  else if (reply instanceof Map) value = reply.get('maxmemory-policy');
  else if (typeof reply === 'object' && reply !== null) value = (reply as Record<string, unknown>)['maxmemory-policy'];
  // A reply is a string, a Buffer or a number: String() reads each as its text.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return value === undefined || value === null ? undefined : String(value);
}

function message(policy: string): string {
  return (
    `Redis runs maxmemory-policy ${policy}: when it reaches maxmemory it deletes keys, payment records ` +
    'included, and a retried notify can then call onPaid a second time. Set maxmemory-policy noeviction ' +
    '(redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf).'
  );
}
