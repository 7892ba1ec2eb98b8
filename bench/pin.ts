import { spawnSync } from 'node:child_process';

/**
 * CPU pinning with util-linux `taskset`, when the machine has it. Everything here fails silently:
 * without taskset the bench still runs, only noisier.
 */

let available: boolean | undefined;

export function hasTaskset(): boolean {
  available ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** Moves every thread of this process (main, libuv pool, V8 helpers) onto `cpus`, e.g. `"1"`. */
export function pinSelf(cpus: string): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** The command that starts `args` pinned to `cpus` (or unpinned without taskset). */
export function pinnedCommand(cpus: string, args: string[]): { command: string; args: string[] } {
  return hasTaskset()
    ? { command: 'taskset', args: ['-c', cpus, ...args] }
    : { command: args[0]!, args: args.slice(1) };
}
