import Koa2 from 'koa2'; // in your app: import Koa from 'koa' (2.x)
import type { ExampleOptions } from '../common.js';
import { startWith } from '../koa/app.js';

/** The Koa example on Koa 2: the adapter and the app code are the same for both majors. */
export const start = (options?: ExampleOptions) => startWith(Koa2, options);
