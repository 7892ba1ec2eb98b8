import { createHmac, randomBytes } from 'node:crypto';

/**
 * WeChat's side of the sandbox's apps and users: official accounts, mini-programs and mobile apps
 * with their AppSecrets, simulated WeChat users, the openid of each user under each app, and web
 * OAuth codes. Written from WeChat's official-account documentation (网页授权, "code换取网页授权
 * access_token"): a code is single-use and expires 5 minutes after it is issued; an openid is per
 * app — the same person has another openid under every app.
 */

/** How an app id is registered at WeChat; only official accounts may use web OAuth. */
export type AppKind = 'official' | 'mini' | 'mobile';

export interface WechatApp {
  appId: string;
  secret: string;
  kind: AppKind;
}

interface Code {
  appId: string;
  user: string;
  scope: string;
  issuedAt: number;
  used: boolean;
}

/** A code lives 5 minutes if unused. */
export const CODE_LIFETIME_MS = 5 * 60_000;

/** The answer of `sns/oauth2/access_token`: always HTTP 200, an error as `{errcode, errmsg}`. */
export type TokenAnswer =
  | { access_token: string; expires_in: 7200; refresh_token: string; openid: string; scope: string }
  | { errcode: number; errmsg: string };

/** WeChat appends a trace id to errmsg (`invalid code, rid: 6391a66c-60723589-7d1e462f`). */
function rid(): string {
  return [4, 4, 4].map((n) => randomBytes(n).toString('hex')).join('-');
}

const error = (errcode: number, message: string): TokenAnswer => ({ errcode, errmsg: `${message}, rid: ${rid()}` });

const alphanumeric = (bytes: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'A');

export class WechatAccounts {
  readonly apps = new Map<string, WechatApp>();
  /** openid → whose it is. Openids are derived, and remembered when first handed out. */
  private readonly owners = new Map<string, { appId: string; user: string }>();
  private readonly codes = new Map<string, Code>();
  private readonly key = randomBytes(32);

  constructor(private readonly clock: () => Date) {}

  /** Registers an app with its AppSecret (32 hex characters; a fresh one when none is given). */
  register(appId: string, kind: AppKind, secret = randomBytes(16).toString('hex')): WechatApp {
    const app = { appId, kind, secret };
    this.apps.set(appId, app);
    return app;
  }

  /**
   * The openid of simulated user `user` under `appId`: `o` and 27 characters of a keyed hash of
   * both (real openids are 28 characters of `[A-Za-z0-9_-]` starting with `o`).
   */
  openid(appId: string, user: string): string {
    const digest = createHmac('sha256', this.key).update(`${appId}\n${user}`).digest('base64url');
    const openid = `o${digest.slice(0, 27)}`;
    this.owners.set(openid, { appId, user });
    return openid;
  }

  /** Whose openid this is, if the simulator ever handed it out. */
  ownerOf(openid: string): { appId: string; user: string } | undefined {
    return this.owners.get(openid);
  }

  /** A fresh authorization code for `user` at `appId` (32 characters, as observed). */
  issueCode(appId: string, user: string, scope: string): string {
    const code = alphanumeric(24).slice(0, 32);
    this.codes.set(code, { appId, user, scope, issuedAt: this.clock().getTime(), used: false });
    return code;
  }

  /**
   * `sns/oauth2/access_token`, checked in this order: the app (40013), its secret (40125), the
   * grant type (40002), a code at all (41008); a code unknown, another app's or expired (40029);
   * a code exchanged before (40163). A refused call does not use the code up.
   */
  exchange(query: URLSearchParams): TokenAnswer {
    const app = this.apps.get(query.get('appid') ?? '');
    if (!app) return error(40013, 'invalid appid');
    if (query.get('secret') !== app.secret) return error(40125, 'invalid appsecret');
    if (query.get('grant_type') !== 'authorization_code') return error(40002, 'invalid grant_type');
    const given = query.get('code');
    if (!given) return error(41008, 'missing code');
    const code = this.codes.get(given);
    if (code?.appId !== app.appId || this.clock().getTime() - code.issuedAt >= CODE_LIFETIME_MS)
      return error(40029, 'invalid code');
    if (code.used) return error(40163, 'code been used');
    code.used = true;
    return {
      access_token: alphanumeric(60),
      expires_in: 7200,
      refresh_token: alphanumeric(60),
      openid: this.openid(app.appId, code.user),
      scope: code.scope,
    };
  }
}
