import { RawBodyError, RequestError } from '../errors/index.js';
import { flatStrings, parseForm, type Fields } from './form.js';
import type { CoreRequest } from '../spi/types.js';

const PARSER_FIRST =
  'mount paymount before express.json()/express.urlencoded() (or koa bodyparser), or keep the raw body ' +
  '(express: express.raw({ type: () => true }) on this path; koa bodyparser sets ctx.request.rawBody)';

function bodyProblem(req: CoreRequest): void {
  if (req.bodyError) throw new RequestError(req.bodyError.message, req.bodyError.status, 'BODY_UNREADABLE');
}

/**
 * The exact bytes of the body, for providers that sign them (WeChat Pay v3). A body that a host
 * parser already turned into an object cannot be re-serialised into the signed bytes, so this
 * fails with the fix instead of guessing.
 */
export function rawBodyOf(req: CoreRequest): Buffer {
  bodyProblem(req);
  if (req.rawBody) return req.rawBody;
  if (req.parsedBody !== undefined) {
    throw new RawBodyError(
      `the request body was parsed by a body parser before paymount and its exact bytes are gone: ${PARSER_FIRST}`,
    );
  }
  return Buffer.alloc(0);
}

/**
 * Form fields of a form-signed message (Alipay, UnionPay): parsed once from the raw bytes, or, as
 * a last resort, taken from what a host urlencoded parser left when it is a flat map of strings
 * (the signature covers decoded values, so those still verify).
 */
export function formFieldsOf(req: CoreRequest): Fields {
  bodyProblem(req);
  if (req.rawBody) return parseForm(req.rawBody.toString('utf8'));
  if (req.parsedBody === undefined) return Object.create(null) as Fields;
  const flat = flatStrings(req.parsedBody);
  if (!flat) {
    throw new RawBodyError(
      `a body parser turned the form into nested values, so the signed fields are lost: ${PARSER_FIRST}`,
    );
  }
  if (Object.keys(flat).length === 0) {
    throw new RawBodyError(`the request body was consumed before paymount and nothing was left: ${PARSER_FIRST}`);
  }
  return flat;
}
