import express4 from 'express4'; // in your app: import express from 'express' (4.x)
import type { ExampleOptions } from '../common.js';
import { startWith } from '../express/app.js';

/** The Express example on Express 4: the adapter and the app code are the same for both majors. */
export const start = (options?: ExampleOptions) => startWith(express4, options);
