import { statementInvalid } from '../../../wire/statement/errors.js';
import type { ZipEntry } from '../../../wire/statement/zip.js';

/**
 * Which entries of the downloaded `<account>_<date>.csv.zip` hold what. Alipay names them
 * `<account>_<date>_业务明细.csv` and `…_业务明细(汇总).csv` for `bill_type=trade`,
 * `…_账务明细.csv` and `…_账务明细(汇总).csv` for `signcustomer`. The order of the entries is not
 * fixed, so they are picked by name.
 */

/** The `bill_type` asked of `alipay.data.dataservice.bill.downloadurl.query`. */
export type AlipayBillType = 'trade' | 'signcustomer';

/** The entries of one bill: its detail file and, when present, its summary file. */
export interface AlipayBillEntries {
  billType: AlipayBillType;
  detail: ZipEntry;
  summary?: ZipEntry;
}

const STEMS: Record<AlipayBillType, string> = { trade: '业务明细', signcustomer: '账务明细' };

const isSummary = (name: string, stem: string) => /[(（]汇总[)）]\.csv$/i.test(name) && name.includes(stem);
const isDetail = (name: string, stem: string) => name.toLowerCase().endsWith(`${stem}.csv`);

/** Picks the bill's entries; `billType` unset takes whichever bill the archive holds (trade first). */
export function pickEntries(entries: ZipEntry[], billType?: AlipayBillType): AlipayBillEntries {
  const types: AlipayBillType[] = billType ? [billType] : ['trade', 'signcustomer'];
  for (const type of types) {
    const stem = STEMS[type];
    const details = entries.filter((e) => isDetail(e.name, stem));
    if (details.length > 1)
      throw statementInvalid('alipay', `the statement archive holds ${details.length} "${stem}" files; expected one`);
    const [detail] = details;
    if (!detail) continue;
    const summary = entries.find((e) => isSummary(e.name, stem));
    return { billType: type, detail, ...(summary ? { summary } : {}) };
  }
  const names = entries.map((e) => `"${e.name}"`).join(', ') || 'no files';
  const wanted = types.map((t) => `…_${STEMS[t]}.csv`).join(' or ');
  throw statementInvalid('alipay', `the statement archive holds ${names}, none of them ${wanted}`);
}
