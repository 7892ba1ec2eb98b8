import { RawBodyError, RequestError } from '../errors/index.js';
import { flatStrings, parseForm, type Fields } from './form.js';

/**
 * Where a request's body may be found: the exact bytes when the adapter has them, else what a
 * host body parser left, or why it could not be read. `CoreRequest` has these fields.
 */
export interface BodySource {
  rawBody?: Buffer;
  parsedBody?: unknown;
  bodyError?: { status: number; message: string };
  /** How to keep the raw body in the host's framework, from its adapter (named in errors). */
  bodyHint?: string;
}

const GENERIC_HINT = 'mount paymount before your body parsers, or keep the raw body for its routes';

function bodyProblem(req: BodySource): void {
  if (req.bodyError) {
    const { status, message } = req.bodyError;
    throw new RequestError(
      message,
      status === 413 ? 'BODY_TOO_LARGE' : status === 408 ? 'BODY_TIMEOUT' : 'BODY_UNREADABLE',
    );
  }
}

/**
 * The exact bytes of the body, for providers that sign them (WeChat Pay v3). A body that a host
 * parser already turned into an object cannot be re-serialised into the signed bytes, so this
 * fails with the fix instead of guessing.
 */
export function rawBodyOf(req: BodySource): Buffer {
  bodyProblem(req);
  if (req.rawBody) return req.rawBody;
  if (req.parsedBody !== undefined) {
    throw new RawBodyError(
      `the request body was parsed by a body parser before paymount and its exact bytes are gone: ${req.bodyHint ?? GENERIC_HINT}`,
    );
  }
  return Buffer.alloc(0);
}

/**
 * Form fields of a form-signed message (Alipay, UnionPay): parsed once from the raw bytes, or, as
 * a last resort, taken from what a host urlencoded parser left when it is a flat map of strings
 * (the signature covers decoded values, so those still verify).
 */
export function formFieldsOf(req: BodySource): Fields {
  bodyProblem(req);
  if (req.rawBody) return parseForm(req.rawBody.toString('utf8'));
  if (req.parsedBody === undefined) return Object.create(null) as Fields;
  const flat = flatStrings(req.parsedBody);
  if (!flat) {
    throw new RawBodyError(
      `a body parser turned the form into nested values, so the signed fields are lost: ${req.bodyHint ?? GENERIC_HINT}`,
    );
  }
  if (Object.keys(flat).length === 0) {
    throw new RawBodyError(
      `the request body was consumed before paymount and nothing was left: ${req.bodyHint ?? GENERIC_HINT}`,
    );
  }
  return flat;
}
