/**
 * `npm run bench:statements`: peak memory and rows per second reading a 100k-row statement day,
 * per provider, in the format each provider serves it (docs/reconcile.md).
 *
 * The files are written by the sandbox's generators into a temporary directory; each is then read
 * in a fresh process, as a download arrives (64 KiB chunks from a file stream), by the reader
 * `payments.statement` uses for that provider, so that the figures are the reader's alone. Peak RSS
 * is the kernel's (`resourceUsage().maxRSS`); peak heap is sampled every 1,000 rows.
 *
 *   npm run bench:statements               100,000 rows a day
 *   npm run bench:statements -- --rows 20000 --repeat 1
 */
import { fork } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAlipayStatement } from '../src/providers/alipay/statement/index.js';
import { unionpayStatement } from '../src/providers/unionpay/statement/index.js';
import { parseWechatpayStatement } from '../src/providers/wechatpay/statement/index.js';
import { alipayStatement } from '../src/sandbox/alipay/statement.js';
import type { StatementRecord } from '../src/sandbox/statement-records.js';
import { unionpayStatementFile } from '../src/sandbox/unionpay/statement.js';
import { wechatpayBillDownload, wechatpayTradeBill } from '../src/sandbox/wechatpay/statement.js';
import type { StatementRow } from '../src/spi/statement.js';

const PROVIDERS = ['alipay', 'wechatpay', 'unionpay'] as const;
type ProviderId = (typeof PROVIDERS)[number];

const DAY = '2024-03-10';
/** One refund for every nine payments. */
const REFUND_EVERY = 10;

/** What a reading process reports. */
interface Reading {
  provider: ProviderId;
  rows: number;
  fileBytes: number;
  ms: number;
  baseRss: number;
  peakRss: number;
  baseHeap: number;
  peakHeap: number;
}

/** `rows` payments and refunds over the day, 00:00 to 22:50 Beijing time (UnionPay's day ends at 23:00). */
function records(rows: number): StatementRecord[] {
  const start = new Date(`${DAY}T00:00:01+08:00`).getTime();
  const step = Math.floor((22.8 * 3600_000) / rows);
  const out: StatementRecord[] = [];
  let payments = 0;
  for (let i = 0; i < rows; i++) {
    const time = new Date(start + i * step);
    if (i % REFUND_EVERY === REFUND_EVERY - 1 && payments > 0) {
      const paid = out[out.length - 1]!;
      out.push({
        kind: 'refund',
        tradeNo: paid.tradeNo,
        transactionId: paid.transactionId,
        refundId: `R${paid.tradeNo}`,
        providerRefundId: `50${String(i).padStart(27, '0')}`,
        amount: Math.max(1, Math.floor(paid.amount / 3)),
        time,
        paidAt: paid.time,
        subject: paid.subject,
      });
      continue;
    }
    payments++;
    const n = String(i).padStart(8, '0');
    out.push({
      kind: 'payment',
      tradeNo: `ORD${DAY.replace(/-/g, '')}${n}`,
      transactionId: `${DAY.replace(/-/g, '')}220014000000${n}`,
      amount: 100 + ((i * 7919) % 99_900),
      time,
      subject: i % 2 ? '龙井茶 250g' : 'Deluxe wash',
    });
  }
  return out;
}

/** The file each provider serves for the day, as its download body. */
function files(dir: string, rows: number): Record<ProviderId, { path: string; hashValue?: string }> {
  const day = records(rows);
  const alipay = alipayStatement(day, { day: DAY, pid: '2088102000000001' });
  const bill = wechatpayTradeBill(day, { day: DAY, appId: 'wx0000000000000001', mchId: '1900000001' });
  const wechat = wechatpayBillDownload(bill, { gzip: true });
  const unionpay = unionpayStatementFile(
    // UnionPay's queryId is 21 digits.
    day.map((r) => ({ ...r, transactionId: r.transactionId.slice(-21) })),
    { settleDate: DAY, merId: '777290058110097' },
  );
  const out = {
    alipay: { path: join(dir, 'alipay.csv.zip') },
    wechatpay: { path: join(dir, 'wechatpay.csv.gz'), hashValue: wechat.hashValue },
    unionpay: { path: join(dir, 'unionpay.fileContent') },
  };
  writeFileSync(out.alipay.path, alipay.bytes);
  writeFileSync(out.wechatpay.path, wechat.body);
  writeFileSync(out.unionpay.path, unionpay.fileContent);
  return out;
}

/** The reader `payments.statement` uses, fed the file as a download. */
function reader(provider: ProviderId, path: string, hashValue?: string): AsyncIterable<StatementRow> {
  const download = () => createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
  switch (provider) {
    case 'alipay':
      return parseAlipayStatement(download(), { billType: 'trade' });
    case 'wechatpay':
      return parseWechatpayStatement(download(), { hashValue });
    case 'unionpay':
      // The file transfer's answer is read whole (its signature covers fileContent), then opened.
      return unionpayStatement({ respCode: '00', fileContent: readFileSync(path, 'latin1') }, { settleDate: DAY });
  }
}

/** In a fresh process: reads one file and reports its figures. */
async function read(provider: ProviderId, path: string, hashValue?: string): Promise<Reading> {
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let rows = 0;
  const started = performance.now();
  for await (const _row of reader(provider, path, hashValue)) {
    if (++rows % 1000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const ms = performance.now() - started;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  return {
    provider,
    rows,
    fileBytes: readFileSync(path).length,
    ms,
    baseRss: base.rss,
    peakRss: process.resourceUsage().maxRSS * 1024,
    baseHeap: base.heapUsed,
    peakHeap,
  };
}

function inChild(provider: ProviderId, path: string, hashValue?: string): Promise<Reading> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--read', provider, path, hashValue ?? ''], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => resolve(message as Reading));
    child.once('exit', (code) => code && reject(new Error(`reading the ${provider} file exited with ${code}`)));
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--read') {
    const reading = await read(args[1] as ProviderId, args[2]!, args[3] === '' ? undefined : args[3]);
    if (process.send) process.send(reading);
    else console.log(reading);
    return;
  }
  const at = args.indexOf('--rows');
  const rows = at >= 0 ? Number(args[at + 1]) : 100_000;
  const again = args.indexOf('--repeat');
  const repeat = again >= 0 ? Number(args[again + 1]) : 3;
  const dir = mkdtempSync(join(tmpdir(), 'paymount-statements-'));
  try {
    const made = files(dir, rows);
    console.log(
      `A ${rows.toLocaleString('en')}-row day (${rows / REFUND_EVERY} refunds), read as downloaded, ` +
        `${repeat} fresh processes per provider (median, and the range); base: the process before reading:\n`,
    );
    console.log('| provider  | file    | rows/s  | peak RSS − base      | peak heap − base  | base RSS |');
    console.log('| --------- | ------- | ------- | -------------------- | ----------------- | -------- |');
    for (const provider of PROVIDERS) {
      const runs: Reading[] = [];
      for (let i = 0; i < repeat; i++) {
        const r = await inChild(provider, made[provider].path, made[provider].hashValue);
        if (r.rows !== rows) throw new Error(`${provider}: read ${r.rows} rows, the file has ${rows}`);
        runs.push(r);
      }
      const perSecond = Math.round(median(runs.map((r) => r.rows / (r.ms / 1000)))).toLocaleString('en');
      const rss = runs.map((r) => r.peakRss - r.baseRss);
      const heap = runs.map((r) => r.peakHeap - r.baseHeap);
      const range = (v: number[]) => `${mb(median(v))} (${mb(Math.min(...v))}–${mb(Math.max(...v))})`;
      console.log(
        `| ${provider.padEnd(9)} | ${mb(runs[0]!.fileBytes).padStart(7)} | ${perSecond.padStart(7)} | ` +
          `${range(rss).padEnd(20)} | ${mb(median(heap)).padEnd(17)} | ${mb(median(runs.map((r) => r.baseRss)))} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
