import { afterAll, beforeAll, describe, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { checks } from './conformance/checks.js';
import { frameworks } from './conformance/hosts.js';
import { Matrix } from './conformance/matrix.js';
import { World } from './conformance/world.js';

/**
 * The adapter conformance suite: the same checks, run against Express 4, Express 5, Koa 2, Koa 3
 * and the fetch adapter, each a real app on 127.0.0.1 paying against one shared sandbox. The
 * matrix of checks × frameworks is written to test-output/conformance-matrix.md.
 */
let sandbox: Sandbox;
const matrix = new Matrix(checks, frameworks);

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  matrix.write('test-output/conformance-matrix.md');
  await sandbox?.close();
});

describe.each(frameworks)('$label', ({ id }) => {
  let world: World;
  beforeAll(() => {
    world = new World(id, sandbox);
  });
  afterAll(async () => {
    await world?.close();
  });

  for (const check of checks) {
    const applies = !check.only || check.only.includes(id);
    if (!applies) matrix.set(check.title, id, '–');
    it.skipIf(!applies)(`[${check.group}] ${check.title}`, async () => {
      try {
        await check.run(await world.site(check.site), sandbox);
        matrix.set(check.title, id, '✓');
      } catch (error) {
        matrix.set(check.title, id, '✗');
        throw error;
      }
    });
  }
});
