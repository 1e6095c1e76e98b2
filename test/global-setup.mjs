// Before any test file: dist/ as the sources say (the CLI tests spawn dist/cli.js, so a stale
// build would test old code), and an empty cost log for this run (test/costs.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The newest modification time under dir of files ending in ext. */
function newest(dir, ext) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export default function globalSetup() {
  const dist = join(ROOT, 'dist');
  const stale = !existsSync(join(dist, 'cli.js')) || newest(join(ROOT, 'src'), '.ts') > newest(dist, '.js');
  if (stale) {
    process.stdout.write('\nbuilding dist/ (older than src/) ...\n');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  rmSync(join(ROOT, 'out', 'test-costs.jsonl'), { force: true });
}
