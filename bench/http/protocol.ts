/** The HTTP variants, and the messages between bench/http/run.ts and bench/http/server.ts. */

export const VARIANTS = [
  'express-plain',
  'express-verify',
  'express-paymount',
  'express-paymount-distinct',
  'express-alipay-sdk',
  'koa-plain',
  'koa-verify',
  'koa-paymount',
  'koa-paymount-distinct',
] as const;

export type Variant = (typeof VARIANTS)[number];

/** Handed to the server process in its environment (throwaway keys made at bench start). */
export interface ServerConfig {
  variants: Variant[];
  appPrivatePem: string;
  alipayPublicPem: string;
  /** The order every "same notify" request pays. */
  orderId: string;
  /** How many distinct notifies were pre-signed: orders `poolOrderId(0 … poolSize-1)`. */
  poolSize: number;
}

/** The order id of the i-th pre-signed distinct notify (a valid Alipay out_trade_no). */
export const poolOrderId = (i: number): string => `P${String(i).padStart(7, '0')}`;

export type ServerRequest = { cmd: 'reset' } | { cmd: 'begin' } | { cmd: 'end' } | { cmd: 'exit' };

export type ServerReply =
  | { cmd: 'ready'; ports: Partial<Record<Variant, number>> }
  | { cmd: 'reset' }
  | { cmd: 'begin' }
  | { cmd: 'end'; cpuUs: number; requests: number; paid: number };
