// Atomic file output: a file is written to a temporary name and renamed into place, so an
// interrupted or failed command never leaves a half-written artifact behind.
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../diagnostics.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'the location does not exist or cannot hold files',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on the device',
  EEXIST: 'a file of that name is in the way',
};

/** A failed write of `path` as the user's error: the path, the reason, never a stack trace. */
export function cannotWrite(path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new UserError(`cannot write ${path}: ${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`);
}

/**
 * mkdir -p without fs.mkdirSync's `recursive`, which loops forever on Node 20 where mkdir says
 * ENOENT although the parent exists (/proc/x): creates each missing level, fails on the first error.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.unshift(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (existsSync(d) && !statSync(d).isDirectory()) throw cannotWrite(dir, Object.assign(new Error(''), { code: 'ENOTDIR' }));
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(m).isDirectory()) throw cannotWrite(dir, e);
    }
  }
}

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`cannot write ${path}: it is a directory`);
  ensureDir(dirname(path));
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw cannotWrite(path, e);
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

/**
 * Why a path the user named cannot be opened, as a message: "no such file", or, where the name
 * itself exists, a symbolic link that loops or points at nothing (existsSync says false for both).
 */
export function missingPathMessage(path: string, what = 'file'): string {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      try {
        statSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ELOOP') return `${path}: is a symbolic link that loops (through itself or other links)`;
        return `${path}: is a symbolic link to ${readlinkSync(path)}, which does not exist`;
      }
    }
  } catch {
    // the name itself does not exist
  }
  return `${path}: no such ${what}`;
}

/** A failed open or stat of a file the user named, as a user's error that says why. */
export function unreadable(path: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new UserError(code === 'ENOENT' || code === 'ELOOP' ? missingPathMessage(path) : `${path}: cannot read (${code ?? String(e)})`);
}

/** stat() for a file the user named, failing as a user's error: "no such file" or why it cannot be read. */
export function statInput(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

/**
 * Refuses to write an output over one of the command's own inputs (`random-weights x.ppvc -o
 * x.ppvc` would destroy the pipeline). `outputs` are the paths that would be written (for a
 * directory option, the files in it); `out` is the option's value as given. Paths are compared
 * as the files they resolve to (device and inode: symlinks, `./x`, hard links).
 */
export function refuseInputAsOutput(outputs: string | string[], out: string, inputs: (string | undefined)[], option = '--out'): void {
  const id = (p: string): string | undefined => {
    try {
      const s = statSync(p);
      return s.isFile() ? `${s.dev}:${s.ino}` : undefined;
    } catch {
      return undefined; // an output that does not exist yet is no input
    }
  };
  const ins = inputs.filter((i): i is string => i !== undefined).map((i) => [i, id(i)] as const);
  for (const o of [outputs].flat()) {
    const oid = id(o);
    const hit = oid && ins.find(([, iid]) => iid === oid);
    if (!hit) continue;
    // a directory option: name the file in it that would be overwritten
    if (o !== out) throw new UserError(`${option} ${out}: writing ${o} would overwrite the input file ${hit[0]}; choose another path`);
    throw new UserError(`${option} ${out} is the input file ${hit[0]}; choose another path`);
  }
}

/**
 * Reads a file the user named. Only a regular file: a device (/dev/zero) never ends and a FIFO
 * blocks, so they fail as "PATH: not a regular file". A directory fails as fs does (EISDIR);
 * other fs errors pass through for the caller's own message.
 */
export function readRegularFile(path: string): Buffer {
  // O_NONBLOCK: opening a FIFO without a writer would wait forever before fstat could tell
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR' });
    if (!st.isFile()) throw new UserError(`${path}: not a regular file`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The text of a file the user named, decoded as UTF-8 without a leading byte order mark (editors on Windows write one). */
export function readTextFile(path: string): string {
  return withoutBom(readRegularFile(path).toString('utf8'));
}

export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
