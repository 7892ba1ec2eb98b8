// An untyped peer package, typed only as far as the bench uses it.
declare module 'tenpay' {
  export default class Payment {
    constructor(config: { appid: string; mchid: string; partnerKey: string });
    _parse(xml: string, type: string, signType?: string): Promise<Record<string, unknown>>;
  }
}
