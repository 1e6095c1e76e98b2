// Build step after tsc: the Python the compiled modules read goes beside them, byte for byte:
// the runtime Python (src/emit/runtime/*.py, read by dist/emit/runtime/helpers.js) and the
// audit's reader of Python (src/audit/python/*.py, run by dist/audit/python-source.js).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

for (const dir of ['emit/runtime/', 'audit/python/']) {
  const from = new URL(`../src/${dir}`, import.meta.url);
  const to = new URL(`../dist/${dir}`, import.meta.url);
  mkdirSync(to, { recursive: true });
  const files = readdirSync(from).filter((f) => f.endsWith('.py'));
  if (files.length === 0) throw new Error(`no Python in src/${dir}`);
  for (const f of files) copyFileSync(new URL(f, from), new URL(f, to));
}
