import type { KeyObject } from 'node:crypto';
import { freshIdentities } from '../state-dir.js';
import type { SandboxRequest, SandboxResponse, Simulator, SimulatorContext } from '../types.js';
import { appControl } from './app-control.js';
import { cashierAction } from './buyer.js';
import { Faults } from './faults.js';
import { fileTransfer, platformRefund, type UnionpayPlatformRefund } from './file-transfer.js';
import { appTransReq, backTransReq, frontTransReq, queryTrans, type GatewayState } from './gateway.js';
import { newUnionpayIdentity, readUnionpayIdentity, unionpayPki, type SigningCertInput } from './pki.js';
import { Ledger, type DuplicateRule } from './transactions.js';
import type { MerchantCert } from './validate.js';

export { UNIONPAY_SIGNING_CN, type SigningCertInput } from './pki.js';
export type { DuplicateRule } from './transactions.js';
export type { UnionpayPlatformRefund } from './file-transfer.js';

/**
 * Options that point paymount's `unionpay(...)` at the simulator. Structurally the client's
 * `UnionpayOptions` (the sandbox does not import the client).
 */
export interface UnionpaySandboxOptions {
  /** The simulated merchant number (15 digits). */
  merId: string;
  /** The merchant's PKCS#12 (key + certificate + chain) and its passphrase (`000000`, like UnionPay's test pfx). */
  signCert: { pfx: Buffer; passphrase: string };
  /** The sandbox middle CA, PEM. */
  middleCert: string;
  /** The sandbox root CA, PEM. */
  rootCert: string;
  /** The simulator's origin + prefix; the client appends `/gateway/api/…`. */
  gateway: string;
}

/** The sandbox PKI, so tests can build bad cases (a foreign CA, an expired leaf, a leaf without UnionPay's CN). */
export interface UnionpaySandboxPki {
  rootPem: string;
  middlePem: string;
  /** UnionPay's signing leaf as sent in `signPubKeyCert` (CRLF line breaks). */
  signingCertPem: string;
  signingKey: KeyObject;
  /** The merchant certificate inside the pfx, and its key (to sign requests in tests without the client). */
  merchantCertPem: string;
  merchantKey: KeyObject;
  /** The merchant certificate's decimal serial: the `certId` requests must carry. */
  certId: string;
  /** Issues another "UnionPay" signing certificate: other CN, other dates, or under a foreign CA. */
  issueSigningCert(input?: SigningCertInput): Promise<{ certPem: string; key: KeyObject }>;
}

/** A read-only view of one consumption and what was refunded or cancelled of it, for assertions. */
export interface UnionpaySandboxPayment {
  orderId: string;
  txnAmt: number;
  status: 'pending' | 'processing' | 'success' | 'failed';
  queryId?: string;
  /** Fen refunded (04) so far; a cancel (31) sets `cancelled` instead. */
  refunded: number;
  cancelled: boolean;
  /** The refunds (04) and cancels (31) made against it. */
  backs: { txnType: '04' | '31'; orderId: string; txnAmt: number; status: string }[];
}

/** The UnionPay simulator (ACP 5.1.0, signMethod 01) mounted at `${sandbox.url}/unionpay`. */
export interface UnionpaySimulator extends Simulator<UnionpaySandboxOptions> {
  /** The same merchant with its pfx in the legacy layout (3DES + RC2-40, SHA-1 MAC) that OpenSSL 3 refuses. */
  legacyPfxOptions: UnionpaySandboxOptions;
  pki: UnionpaySandboxPki;
  /** Test control: the next call(s) of `txnType` (`01`, `04`, `31`, `00`, `76`) answer with this respCode. */
  inject(txnType: string, respCode: string, respMsg?: string, times?: number): void;
  /**
   * Test control: a refund made in the merchant service platform, not through the gateway: in the
   * day's reconciliation file, notified only when `backUrl` is given.
   */
  platformRefund(input: UnionpayPlatformRefund): void;
  /** Test view: the latest consumption made under `orderId`, if any. */
  payment(orderId: string): UnionpaySandboxPayment | undefined;
  close(): Promise<void>;
}

/** Tuning beyond the sandbox context; the defaults suit tests and the demo. */
export interface UnionpaySimulatorSettings {
  /** Default `777290058110048` (UnionPay's demo test merchant). */
  merId?: string;
  /** How far a request's `txnTime` may be from the sandbox's Beijing time. Default 15 minutes. */
  txnTimeSkewMs?: number;
  /** When a reused orderId is refused with 12 重复交易. Default `same-day`. */
  duplicateOrderId?: DuplicateRule;
  /** Provider time from accepting a refund/cancel to its result notify (scaled by `timeScale`). Default 5 s. */
  backResultDelayMs?: number;
}

/**
 * Starts the UnionPay simulator: generates its PKI and the merchant pfx files (or reads them from
 * the sandbox's state dir), then serves the gateway.
 */
export async function createUnionpaySimulator(
  ctx: SimulatorContext,
  settings: UnionpaySimulatorSettings = {},
): Promise<UnionpaySimulator> {
  const merId = settings.merId ?? '777290058110048';
  const identity = await (ctx.identities ?? freshIdentities).keep(
    'unionpay',
    () => newUnionpayIdentity(ctx.clock(), merId),
    (saved) => {
      const read = readUnionpayIdentity(saved);
      if (read.merId !== merId) throw new Error(`it holds merchant ${read.merId}, not ${merId}`);
      return read;
    },
  );
  const pki = unionpayPki(identity);
  const certs = new Map<string, MerchantCert>([
    [pki.merchantCertId, { merId, certId: pki.merchantCertId, publicKey: pki.merchant.x509.publicKey }],
  ]);
  const faults = new Faults();
  const state: GatewayState = {
    ctx,
    ledger: new Ledger(settings.duplicateOrderId),
    certs,
    signer: { key: pki.signing.key, certPem: pki.signing.pem },
    faults,
    txnTimeSkewMs: settings.txnTimeSkewMs ?? 15 * 60_000,
    backResultDelayMs: settings.backResultDelayMs ?? 5_000,
    timers: new Set(),
  };
  const routes: Record<string, (state: GatewayState, req: SandboxRequest) => Promise<SandboxResponse>> = {
    '/gateway/api/frontTransReq.do': frontTransReq,
    '/gateway/api/appTransReq.do': appTransReq,
    '/gateway/api/backTransReq.do': backTransReq,
    '/gateway/api/queryTrans.do': queryTrans,
    '/cashier': cashierAction,
    '/app/pay': appControl,
    // The file host (file transfer, txnType 76) answers at its root.
    '/': fileTransfer,
  };
  const options = (pfx: Buffer): UnionpaySandboxOptions => ({
    merId,
    signCert: { pfx, passphrase: pki.passphrase },
    middleCert: pki.middle.x509.toString(),
    rootCert: pki.root.x509.toString(),
    gateway: ctx.baseUrl,
  });

  return {
    options: options(pki.pfx),
    legacyPfxOptions: options(pki.legacyPfx),
    pki: {
      rootPem: pki.root.x509.toString(),
      middlePem: pki.middle.x509.toString(),
      signingCertPem: pki.signing.pem,
      signingKey: pki.signing.key,
      merchantCertPem: pki.merchant.x509.toString(),
      merchantKey: pki.merchant.key,
      certId: pki.merchantCertId,
      issueSigningCert: (input) => pki.issueSigningCert(input),
    },
    inject: (txnType, respCode, respMsg, times) => faults.inject(txnType, respCode, respMsg, times),
    platformRefund: (input) => platformRefund(state, merId, input),
    payment(orderId) {
      const all = [...state.ledger.all()];
      const txn = all.filter((t) => t.txnType === '01' && t.orderId === orderId).at(-1);
      if (!txn) return undefined;
      const backs = all
        .filter((t) => t.txnType !== '01' && t.origQryId !== undefined && t.origQryId === txn.queryId)
        .map((t) => ({ txnType: t.txnType as '04' | '31', orderId: t.orderId, txnAmt: t.txnAmt, status: t.status }));
      const { txnAmt, status, queryId, refunded, cancelled } = txn;
      return { orderId, txnAmt, status, queryId, refunded, cancelled, backs };
    },
    async handle(req) {
      const route = routes[req.path];
      if (!route) {
        return {
          status: 404,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: `no UnionPay endpoint at ${req.path} (have: ${Object.keys(routes).join(', ')})`,
        };
      }
      if (req.method !== 'POST')
        return {
          status: 405,
          headers: { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' },
          body: `${req.path} takes POST`,
        };
      return route(state, req);
    },
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
    },
  };
}
