// Atomic file output: a file is written to a temporary name and renamed into place, so an
// interrupted or failed command never leaves a half-written artifact behind.
import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes a set of files into `dir` atomically each; nothing is written if any content is missing. */
export function writeFilesAtomic(dir: string, files: Record<string, string>): string[] {
  const written: string[] = [];
  for (const name of Object.keys(files).sort()) {
    const path = join(dir, name);
    writeFileAtomic(path, files[name]!);
    written.push(path);
  }
  return written;
}
