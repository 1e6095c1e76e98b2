// Atomic file output: a file is written to a temporary name and renamed into place, so an
// interrupted or failed command never leaves a half-written artifact behind.
import {
  accessSync, closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync,
  writeFileSync, writeSync, type Stats,
} from 'node:fs';
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

/**
 * Refuses, before a long computation whose record goes to `path`, a path that cannot be appended
 * to: an existing file must be writable, a new one's directory must exist and be writable
 * (access() also says EROFS for a read-only mount, where root passes every permission check).
 */
export function checkAppendable(path: string): void {
  const exists = existsSync(path);
  if (exists && statSync(path).isDirectory()) throw cannotWrite(path, Object.assign(new Error(''), { code: 'EISDIR' }));
  try {
    accessSync(exists ? path : dirname(resolve(path)), constants.W_OK);
  } catch (e) {
    throw cannotWrite(path, e);
  }
}

/**
 * Appends one line to `path` whole or not at all: a write cut short (a full disk) is undone by
 * truncating the file back to its length before, so that a JSON-lines file never ends in half
 * a record. Not undone if another writer appended meanwhile (its line is not ours to cut).
 */
export function appendLine(path: string, line: string): void {
  const data = Buffer.from(line.endsWith('\n') ? line : `${line}\n`);
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    throw cannotWrite(path, e);
  }
  let before = -1; // the length to restore: regular files only (not /dev/full, a pipe)
  let written = 0;
  try {
    const st = fstatSync(fd);
    if (st.isFile()) before = st.size;
    while (written < data.length) written += writeSync(fd, data, written);
    // a full disk may only show when the data reaches it (NFS, delayed allocation)
    if (before >= 0) fsyncSync(fd);
  } catch (e) {
    undoAppend(fd, before, written);
    closeSync(fd);
    throw cannotWrite(path, e);
  }
  try {
    closeSync(fd);
  } catch (e) {
    throw cannotWrite(path, e);
  }
}

function undoAppend(fd: number, before: number, written: number): void {
  if (before < 0 || written === 0) return;
  try {
    if (fstatSync(fd).size === before + written) ftruncateSync(fd, before);
  } catch {
    // the write's own error is the one to report
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
