import { alipay, createPayments, unionpay, wechatpay, type Payments } from '../../src/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createShop, type TestShop } from '../helpers/shop.js';
import { startHost, type Framework, type Host, type HostOptions } from './hosts.js';

/** The host apps a check can ask for; each is started once per framework, on first use. */
export type SiteKind = 'plain' | 'json' | 'urlencoded' | 'both' | 'rawKept' | 'discard' | 'nested' | 'root';

const layouts: Record<SiteKind, HostOptions> = {
  // `/v2/pay` is a second router in the same app: a WeChat Pay API v2 merchant (XML notifies).
  plain: { mounts: ['/pay', '/v2/pay'] },
  json: { parsers: 'json', mounts: ['/pay'] },
  urlencoded: { parsers: 'urlencoded', mounts: ['/pay'] },
  both: { parsers: 'both', mounts: ['/pay'] },
  rawKept: { parsers: 'both', keepRawBody: true, mounts: ['/pay'] },
  discard: { parsers: 'discard', mounts: ['/pay'] },
  nested: { mounts: ['/api/pay'] },
  root: { mounts: [''] },
};

/** One payments router in a host app, with the shop whose hooks it calls. */
export interface Router {
  mount: string;
  /** `origin + mount`, the router's `publicUrl`. */
  publicUrl: string;
  shop: TestShop;
  payments: Payments;
}

/** A running host app of one framework, built as `kind` says. */
export interface Site {
  framework: Framework;
  kind: SiteKind;
  origin: string;
  /** The main router (Alipay, WeChat Pay v3 in public-key mode, UnionPay). */
  main: Router;
  /** `plain` only: the WeChat Pay API v2 router at `/v2/pay`. */
  v2?: Router;
}

function router(host: Host, mount: string, providers: Parameters<typeof createPayments>[0]['providers']): Router {
  const shop = createShop();
  const publicUrl = `${host.origin}${mount}`;
  const payments = createPayments({ publicUrl, providers, ...shop.hooks, logger: false });
  host.attach(mount, payments);
  return { mount, publicUrl, shop, payments };
}

/** The sites of one framework against one shared sandbox. */
export class World {
  private readonly hosts = new Map<SiteKind, Promise<{ host: Host; site: Site }>>();

  constructor(
    readonly framework: Framework,
    readonly sandbox: Sandbox,
  ) {}

  site(kind: SiteKind): Promise<Site> {
    let entry = this.hosts.get(kind);
    if (!entry) {
      entry = this.build(kind);
      this.hosts.set(kind, entry);
    }
    return entry.then((e) => e.site);
  }

  private async build(kind: SiteKind): Promise<{ host: Host; site: Site }> {
    const layout = layouts[kind];
    const host = await startHost(this.framework, layout);
    const [mount, second] = layout.mounts as [string, string | undefined];
    const main = router(host, mount, {
      alipay: alipay(this.sandbox.alipay),
      wechatpay: wechatpay(this.sandbox.wechatpay),
      unionpay: unionpay(this.sandbox.unionpay),
    });
    const v2 = second ? router(host, second, { wechatpay: wechatpay(this.sandbox.wechatpayV2) }) : undefined;
    return { host, site: { framework: this.framework, kind, origin: host.origin, main, v2 } };
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.hosts.values());
    await Promise.all(all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.host.close()] : [])));
  }
}
