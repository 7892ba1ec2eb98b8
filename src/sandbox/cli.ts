#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox, type Sandbox } from './index.js';

/**
 * `npx paymount sandbox`: the provider simulators alone, for a shop running elsewhere (another
 * process, a container, a phone on the Wi-Fi). Prints the provider options to paste; Ctrl-C or
 * SIGTERM stops it. See docs/sandbox.md.
 */

const USAGE = `Usage: paymount sandbox [options]

Runs the Alipay, WeChat Pay and UnionPay simulators and prints the provider options to paste.

  --host <address>      address to listen on (default 127.0.0.1; 0.0.0.0 for a phone on the LAN)
  --port <n>            port (default 4010; 0 for any free port); WeChat Pay's HTTPS gateway takes the next one
  --https-port <n>      port of WeChat Pay's HTTPS gateway (default: --port + 1)
  --public-url <url>    origin the phone and the shop reach the sandbox at, e.g. http://192.168.1.20:4010
  --time-scale <f>      factor on notify retry and refund delays (default 1, the providers' own pace;
                        0.01 makes Alipay's 4-minute retry wait 2.4 s)
  --state-dir <dir>     where keys and ids are kept across restarts (default .paymount-sandbox)
  --no-state-dir        new keys and ids at every start
  --help                this text
`;

/** What the command line asked for. */
interface CliArguments {
  host?: string;
  port: number;
  httpsPort?: number;
  publicUrl?: string;
  stateDir?: string;
  timeScale: number;
}

function portArgument(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${flag} must be a port number, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Reads `sandbox [options]`; throws with the mistake on anything it does not know. */
function parseCliArguments(argv: readonly string[]): CliArguments | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'https-port': { type: 'string' },
      'public-url': { type: 'string' },
      'state-dir': { type: 'string' },
      'time-scale': { type: 'string' },
      'no-state-dir': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] !== 'sandbox')
    throw new Error(`unknown command ${JSON.stringify(positionals.join(' '))}: the one command is "sandbox"`);
  if (values['no-state-dir'] && values['state-dir'] !== undefined)
    throw new Error('--state-dir and --no-state-dir contradict each other');
  const timeScale = Number(values['time-scale'] ?? '1');
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a number above 0, not ${values['time-scale']}`);
  return {
    timeScale,
    host: values.host,
    port: portArgument(values.port, '--port') ?? 4010,
    httpsPort: portArgument(values['https-port'], '--https-port'),
    publicUrl: values['public-url'],
    stateDir: values['no-state-dir'] ? undefined : resolve(values['state-dir'] ?? '.paymount-sandbox'),
  };
}

/** The options to paste, as JSON: .pfx and .p12 files as base64 (UnionPay's `signCert.pfx` takes it as is). */
function optionsJson(sandbox: Sandbox): string {
  const options = {
    alipay: sandbox.alipay,
    alipayCertificates: sandbox.alipayCertificates,
    wechatpay: sandbox.wechatpay,
    wechatpayV3Certificates: sandbox.wechatpayV3Certificates,
    wechatpayV2: sandbox.wechatpayV2,
    wechatpayV2Hmac: sandbox.wechatpayV2Hmac,
    unionpay: sandbox.unionpay,
  };
  return JSON.stringify(
    options,
    (_key, value: unknown) =>
      value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer'
        ? Buffer.from((value as { data: number[] }).data).toString('base64')
        : value,
    2,
  );
}

/** Writes the options and the certificate files next to the kept keys; answers the options file's path. */
async function writeOptionFiles(sandbox: Sandbox, dir: string, json: string): Promise<string> {
  const files = join(dir, 'options');
  await mkdir(files, { recursive: true, mode: 0o700 });
  const write = (name: string, data: string | Buffer) => writeFile(join(files, name), data, { mode: 0o600 });
  await write('alipay-app-private-key.pem', sandbox.alipay.privateKey);
  await write('alipay-public-key.pem', sandbox.alipay.alipayPublicKey);
  await write('alipay-cert-app-private-key.pem', sandbox.alipayCertificates.privateKey);
  await write('appCertPublicKey.crt', sandbox.alipayCertificates.certificates.appCert);
  await write('alipayCertPublicKey_RSA2.crt', sandbox.alipayCertificates.certificates.alipayCert);
  await write('alipayRootCert.crt', sandbox.alipayCertificates.certificates.alipayRootCert);
  await write('wechatpay-apiclient_key.pem', sandbox.wechatpay.v3?.privateKey ?? '');
  await write('wechatpay-public-key.pem', sandbox.wechatpay.v3?.platformPublicKey ?? '');
  await write('wechatpay-v2-apiclient_cert.p12', sandbox.wechatpayV2.v2?.clientCertificate?.pfx ?? Buffer.alloc(0));
  await write('wechatpay-sandbox-ca.pem', sandbox.wechatpayV2.ca ?? '');
  await write('unionpay-sign.pfx', sandbox.unionpay.signCert.pfx);
  await write('unionpay-middle.cer', sandbox.unionpay.middleCert);
  await write('unionpay-root.cer', sandbox.unionpay.rootCert);
  const optionsFile = join(files, 'options.json');
  await write('options.json', `${json}\n`);
  return optionsFile;
}

/** What the command prints once the sandbox runs. */
function banner(sandbox: Sandbox, args: CliArguments, optionsFile: string | undefined, json: string): string {
  const listening = `${args.host ?? '127.0.0.1'}:${sandbox.port}`;
  const kept = args.stateDir
    ? `Keys and ids are kept in ${args.stateDir}: a restart hands out the same options.`
    : 'Keys and ids are new at every start (--no-state-dir).';
  return [
    `paymount sandbox at ${sandbox.url} (listening on ${listening})`,
    kept,
    '',
    `Alipay      gateway ${sandbox.alipay.gateway}  appId ${sandbox.alipay.appId}`,
    `WeChat Pay  gateway ${String(sandbox.wechatpay.gateway)}  mchId ${sandbox.wechatpay.mchId}`,
    `            v2 over HTTPS ${String(sandbox.wechatpayV2.gateway)}  mchId ${sandbox.wechatpayV2.mchId}`,
    `UnionPay    gateway ${sandbox.unionpay.gateway}  merId ${sandbox.unionpay.merId}`,
    '',
    optionsFile
      ? `Provider options (also in ${optionsFile}, keys and certificates as files beside it):`
      : 'Provider options:',
    json,
    '',
    'As environment lines:',
    `PAYMOUNT_SANDBOX_URL=${sandbox.url}`,
    ...(optionsFile ? [`PAYMOUNT_SANDBOX_OPTIONS=${optionsFile}`] : []),
    '',
    'Ctrl-C stops the sandbox.',
    '',
  ].join('\n');
}

/** Runs the command; resolves once the sandbox has stopped on SIGINT or SIGTERM. */
async function main(argv: readonly string[]): Promise<number> {
  let args: CliArguments | 'help';
  try {
    args = parseCliArguments(argv);
  } catch (error) {
    process.stderr.write(`paymount: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const sandbox = await startSandbox({
    host: args.host,
    port: args.port,
    httpsPort: args.httpsPort,
    publicUrl: args.publicUrl,
    stateDir: args.stateDir,
    timeScale: args.timeScale,
  });
  const json = optionsJson(sandbox);
  const optionsFile = args.stateDir ? await writeOptionFiles(sandbox, args.stateDir, json) : undefined;
  process.stdout.write(banner(sandbox, args, optionsFile, json));
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sandbox.close();
  process.stdout.write('paymount sandbox stopped\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`paymount sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
