// @ts-check
// The API reports: one per public entry of package.json's "exports", written by API Extractor from the built
// declarations (run `npm run build` first; `npm run api` does). Without arguments, a report that differs from the
// committed etc/<name>.api.md fails the run and its diff is printed; with --update the reports are rewritten.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const configPath = join(root, 'api-extractor.json');
const packagePath = join(root, 'package.json');

/** @type {{ name: string, exports: Record<string, string | { import?: { types?: string } }> }} */
const pkg = JSON.parse(readFileSync(packagePath, 'utf8'));

// Each subpath that publishes types is an entry: "." → paymount.api.md, "./express" → paymount-express.api.md.
// A new entry in "exports" gets its report without a change here.
const entries = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
  const types = typeof target === 'object' ? target.import?.types : undefined;
  if (types === undefined) return [];
  const name = subpath === '.' ? pkg.name : `${pkg.name}-${subpath.slice(2).replaceAll('/', '-')}`;
  return [{ subpath, name, types: join(root, types) }];
});

const base = ExtractorConfig.loadFile(configPath);
let failed = 0;
for (const entry of entries) {
  const config = ExtractorConfig.prepare({
    configObject: {
      ...base,
      mainEntryPointFilePath: entry.types,
      apiReport: { ...base.apiReport, enabled: true, reportFileName: entry.name },
    },
    configObjectFullPath: configPath,
    packageJsonFullPath: packagePath,
  });
  const result = Extractor.invoke(config, { localBuild: update, printApiReportDiff: !update });
  const label = entry.subpath === '.' ? pkg.name : `${pkg.name}/${entry.subpath.slice(2)}`;
  const verdict = result.succeeded ? (result.apiReportChanged ? 'updated' : 'unchanged') : 'FAILED';
  console.log(`api: ${label} → etc/${entry.name}.api.md ${verdict}`);
  if (!result.succeeded) failed++;
}

// A report whose entry is gone would otherwise linger as if it were still reviewed.
const expected = new Set(entries.map((entry) => `${entry.name}.api.md`));
const reports = existsSync(join(root, 'etc')) ? readdirSync(join(root, 'etc')) : [];
for (const file of reports.filter((f) => f.endsWith('.api.md') && !expected.has(f))) {
  console.log(`api: etc/${file} belongs to no entry of package.json "exports": delete it`);
  process.exitCode = 1;
}

if (failed > 0) {
  console.log(update ? 'api: fix the errors above' : 'api: if the change is intended, run `npm run api:update`');
  process.exitCode = 1;
}
