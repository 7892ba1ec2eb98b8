/** The functions with the most self time in a V8 CPU profile (`.cpuprofile`). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
}

/**
 * The `top` functions by self time: share of all samples, and, given the operation's cost in µs,
 * that share as µs per operation.
 */
export function topSelfTime(profile: CpuProfile, top = 25, usPerOp?: number): string {
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byFrame = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\/.*?\/(node_modules|src|bench|adapters)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFrame.set(key, (byFrame.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => {
      const share = hits / total;
      const us = usPerOp === undefined ? '' : `${(share * usPerOp).toFixed(2).padStart(7)} µs  `;
      return `${(share * 100).toFixed(1).padStart(5)} %  ${us}${key}`;
    })
    .join('\n');
}

// `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]` (e.g. for a `node --cpu-prof` file).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  process.stdout.write(`${topSelfTime(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top))}\n`);
}
