// Build step after tsc: the runtime Python (src/emit/runtime/*.py) goes beside the compiled
// module that reads it (dist/emit/runtime/helpers.js), byte for byte.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const from = new URL('../src/emit/runtime/', import.meta.url);
const to = new URL('../dist/emit/runtime/', import.meta.url);
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith('.py'));
if (files.length === 0) throw new Error('no runtime Python in src/emit/runtime');
for (const f of files) copyFileSync(new URL(f, from), new URL(f, to));
