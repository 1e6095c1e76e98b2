// Where `ppvc-dsl setup-mp-spdz` keeps the MP-SPDZ trees it builds, and how the other commands
// find one: `<cache>/mp-spdz/<hash of source and ring>/`, each with a record of what it holds.
// Kept outside any repository (MP-SPDZ is never part of ppvc-dsl) and per machine, because
// MP-SPDZ's default `-march=native` ties its binaries to the processor that built them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execaSync } from 'execa';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROTOCOLS, type ProtocolName } from '../target/protocols.js';

/** The record a finished build leaves in its tree. */
export interface BuildRecord {
  /** The source tree it was copied from. */
  source: string;
  /** A hash of that tree's sources (not of build products). */
  sourceHash: string;
  /** From the source's CHANGELOG.md. */
  version: string;
  /** `git describe` of the source, where it is a git checkout. */
  commit?: string;
  /** The ring size the arithmetic party programs were built for (MP-SPDZ's RING_SIZE). */
  ring: number;
  /** Protocols whose party program is built. */
  protocols: ProtocolName[];
  /** When the last build step finished (ISO 8601). */
  builtAt: string;
}

export const BUILD_RECORD = 'ppvc-dsl-build.json';

/** `$PPVC_DSL_CACHE`, else `$XDG_CACHE_HOME/ppvc-dsl`, else `~/.cache/ppvc-dsl`. */
export function cacheRoot(): string {
  const own = process.env['PPVC_DSL_CACHE'];
  if (own) return resolve(own);
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'ppvc-dsl');
}

export function buildsDir(): string {
  return join(cacheRoot(), 'mp-spdz');
}

export function readBuildRecord(root: string): BuildRecord | undefined {
  const path = join(root, BUILD_RECORD);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BuildRecord;
  } catch {
    return undefined; // a record cut short by a crash is no build
  }
}

/** Every finished build in the cache, newest first. */
export function cachedBuilds(): { root: string; record: BuildRecord }[] {
  const dir = buildsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.includes('.'))
    .map((e) => ({ root: join(dir, e.name), record: readBuildRecord(join(dir, e.name)) }))
    .filter((b): b is { root: string; record: BuildRecord } => b.record !== undefined)
    .sort((a, b) => b.record.builtAt.localeCompare(a.record.builtAt));
}

/**
 * The cached build that suits a program: one built for its ring with its protocol's party
 * program, newest first; a build for another ring or without that program only if none
 * does (the caller's checks then name what is missing).
 */
export function findCachedBuild(want: { ring?: number; protocol?: ProtocolName } = {}): string | undefined {
  const builds = cachedBuilds();
  const hasBinary = (root: string) => !want.protocol || existsSync(join(root, PROTOCOLS[want.protocol].binary));
  const ranked = [
    builds.filter((b) => b.record.ring === (want.ring ?? 64) && hasBinary(b.root)),
    builds.filter((b) => b.record.ring === 64 && hasBinary(b.root)),
    builds.filter((b) => hasBinary(b.root)),
    builds,
  ];
  return ranked.find((list) => list.length > 0)?.[0]?.root;
}

/** The MP-SPDZ version a tree's CHANGELOG.md names first (`## 0.4.2 (…)`). */
export function changelogVersion(dir: string): string | undefined {
  const changelog = join(dir, 'CHANGELOG.md');
  if (!existsSync(changelog)) return undefined;
  return /^## (?:Version )?(\d+\.\d+\.\d+)/m.exec(readFileSync(changelog, 'utf8'))?.[1];
}

/** `git describe` of a tree that is a git checkout. */
export function gitDescribe(dir: string): string | undefined {
  if (!existsSync(join(dir, '.git'))) return undefined;
  const r = execaSync('git', ['-C', dir, 'describe', '--tags', '--always', '--dirty'], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
