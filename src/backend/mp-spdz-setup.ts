// `ppvc-dsl setup-mp-spdz`: builds MP-SPDZ from a source tree the user gives (a clone of
// theirs), in a writable copy under the cache (mp-spdz-cache.ts), with only the party programs
// of the protocols asked for. The source tree is only read; nothing of MP-SPDZ enters this
// repository. A second call with the same source and options finds the build and returns.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { execa, execaSync } from 'execa';
import { EnvironmentError, UserError } from '../diagnostics.js';
import { PROTOCOLS, PROTOCOL_NAMES, type ProtocolName } from '../target/protocols.js';
import { BUILD_RECORD, buildsDir, changelogVersion, gitDescribe, readBuildRecord, type BuildRecord } from './mp-spdz-cache.js';
import { writeFileAtomic } from '../util/files.js';

/** Debian packages MP-SPDZ's build needs (its README; Boost 1.81 because cryptoTools needs 1.75 or newer). */
export const DEBIAN_PACKAGES = [
  'automake', 'build-essential', 'clang', 'cmake', 'git', 'libgmp-dev', 'libntl-dev', 'libsodium-dev', 'libssl-dev',
  'libtool', 'm4', 'python3', 'yasm', 'openssl',
  ...['', '-system', '-thread', '-filesystem', '-iostreams', '-chrono', '-date-time', '-atomic'].map((p) => `libboost${p}1.81-dev`),
];

/** The protocols built when none are named: the emulator and the honest-majority ones (no OT library needed). */
export const DEFAULT_PROTOCOLS: ProtocolName[] = PROTOCOL_NAMES.filter((p) => p === 'emulate' || PROTOCOLS[p].corruption === 'honest majority');

export const SUPPORTED_RINGS = [32, 64] as const;

export interface SetupOptions {
  source: string;
  protocols: ProtocolName[];
  ring: number;
  jobs?: number;
  /** Progress lines (stderr on the terminal). */
  onProgress?: (line: string) => void;
}

export interface SetupResult {
  root: string;
  record: BuildRecord;
  /** Whether anything was built (false: the cache already had it). */
  built: boolean;
  seconds: number;
}

/** Parses `--protocols`: 'all', 'default' or a comma-separated list. */
export function parseProtocolList(text: string): ProtocolName[] {
  if (text === 'all') return [...PROTOCOL_NAMES];
  if (text === 'default') return [...DEFAULT_PROTOCOLS];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(PROTOCOL_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new UserError(`--protocols ${text}: ${unknown.length ? `unknown protocol ${unknown.map((u) => `'${u}'`).join(', ')}` : 'no protocol named'}; expected 'all', 'default' or a comma-separated list of ${PROTOCOL_NAMES.join(', ')}`);
  }
  return [...new Set(names as ProtocolName[])];
}

export async function setupMpSpdz(opts: SetupOptions): Promise<SetupResult> {
  const started = Date.now();
  const source = checkedSource(opts.source);
  const hash = sourceHash(source);
  const root = join(buildsDir(), `${hash.slice(0, 16)}-r${opts.ring}`);
  const done = readBuildRecord(root);
  const missing = opts.protocols.filter((p) => !existsSync(join(root, PROTOCOLS[p].binary)));
  if (done && done.sourceHash === hash && missing.length === 0) {
    return { root, record: done, built: false, seconds: (Date.now() - started) / 1000 };
  }
  await ensureDebianPackages(opts.onProgress);
  const unlock = lock(root);
  try {
    if (!existsSync(join(root, 'compile.py'))) copyTree(source, root, opts.onProgress);
    writeConfig(root, opts.ring);
    await configureSimplestOt(root);
    const binaries = missing.map((p) => PROTOCOLS[p].binary);
    await runMake(root, binaries, opts.jobs ?? availableParallelism(), opts.onProgress);
    await makeCertificates(root);
    const record: BuildRecord = {
      source,
      sourceHash: hash,
      version: changelogVersion(root) ?? 'unknown',
      ...(gitDescribe(source) ? { commit: gitDescribe(source) } : {}),
      ring: opts.ring,
      protocols: PROTOCOL_NAMES.filter((p) => existsSync(join(root, PROTOCOLS[p].binary))),
      builtAt: new Date().toISOString(),
    };
    writeFileAtomic(join(root, BUILD_RECORD), JSON.stringify(record, null, 2) + '\n');
    return { root, record, built: true, seconds: (Date.now() - started) / 1000 };
  } finally {
    unlock();
  }
}

function checkedSource(dir: string): string {
  const source = resolve(dir);
  if (!existsSync(source)) throw new UserError(`--source ${dir}: no such directory`);
  if (!statSync(source).isDirectory()) throw new UserError(`--source ${dir}: is not a directory, expected an MP-SPDZ source tree`);
  for (const f of ['compile.py', 'Makefile', join('Compiler', 'ml.py'), join('Machines', 'emulate.cpp')]) {
    if (!existsSync(join(source, f))) throw new UserError(`--source ${dir}: not an MP-SPDZ source tree (${f} is missing)`);
  }
  const cache = buildsDir();
  if (cache === source || cache.startsWith(source + sep)) throw new UserError(`--source ${dir}: the build cache ${cache} lies inside it; the source tree is never written to (set PPVC_DSL_CACHE elsewhere)`);
  return source;
}

/** Paths that are build products or run-time files, not sources: left out of the hash. */
const NOT_SOURCE = /(^|\/)(\.git|Player-Data|Programs\/(Bytecode|Schedules|Public-Input)|local|logs|static)(\/|$)|\.(o|d|x|a|so|pyc|map)$|__pycache__/;

/** A hash of the tree's source files (names and contents); the same clone built or not hashes alike. */
export function sourceHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      const rel = relative(root, path).split(sep).join('/');
      if (NOT_SOURCE.test(rel)) continue;
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) h.update(rel).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(root);
  return h.digest('hex');
}


function isInstalled(pkg: string): boolean {
  const r = execaSync('dpkg-query', ['-W', '-f=${Status}', pkg], { reject: false });
  return r.exitCode === 0 && r.stdout.includes('install ok installed');
}

/** Installs the missing Debian packages as root with apt; elsewhere names the command and stops. */
async function ensureDebianPackages(onProgress?: (line: string) => void): Promise<void> {
  if (execaSync('sh', ['-c', 'command -v dpkg-query'], { reject: false }).exitCode !== 0) {
    onProgress?.('not a Debian system: the build dependencies are not checked (MP-SPDZ README, "Requirements")');
    return;
  }
  const missing = DEBIAN_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  const line = `apt-get install -y ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = execaSync('sh', ['-c', 'command -v apt-get'], { reject: false }).exitCode === 0;
  if (!isRoot || !hasApt) {
    throw new EnvironmentError(`MP-SPDZ's build needs Debian packages that are not installed: ${missing.join(' ')}`, [
      `install them, then run setup-mp-spdz again: sudo apt-get update && sudo ${line}`,
    ]);
  }
  onProgress?.(`installing the build dependencies: ${line}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const r = await execa('apt-get', args, { reject: false, all: true, env });
    if (r.exitCode !== 0) {
      throw new EnvironmentError(`apt-get ${args[0]} failed (exit ${r.exitCode}):\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`, [`run it yourself: apt-get update && ${line}`]);
    }
  }
}

/** One setup per tree at a time: a second waits for nothing, it stops and says so. */
function lock(root: string): () => void {
  mkdirSync(buildsDir(), { recursive: true });
  const path = `${root}.lock`;
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new EnvironmentError(`another setup-mp-spdz (process ${pid}) is building ${root}`, ['wait for it to finish, then run this again']);
    }
    rmSync(path, { force: true });
  }
  const fd = openSync(path, 'wx');
  writeFileSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(path, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A copy of the source, made under another name and renamed, so a crash leaves no half tree. */
function copyTree(source: string, root: string, onProgress?: (line: string) => void): void {
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  onProgress?.(`copying ${source} to ${root}`);
  cpSync(source, partial, { recursive: true, verbatimSymlinks: true });
  // a read-only source (a shared mount) gives read-only files, which make cannot replace
  execaSync('chmod', ['-R', 'u+w', partial]);
  rmSync(root, { recursive: true, force: true });
  renameSync(partial, root);
}

/** CONFIG.mine: the ring size for rings MP-SPDZ does not build by default. */
function writeConfig(root: string, ring: number): void {
  const lines = ['# written by ppvc-dsl setup-mp-spdz'];
  if (ring !== 64) lines.push(`MY_CFLAGS += -DRING_SIZE=${ring}`);
  const path = join(root, 'CONFIG.mine');
  const text = lines.join('\n') + '\n';
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

/** A compiler call that makes one object (`clang++ -o X.o X.cpp … -c`), as MP-SPDZ's Makefile writes it. */
const isCompileLine = (line: string) => /\s-c(\s|$)/.test(line) && /-o \S+\.o\b/.test(line);

/**
 * MP-SPDZ's Makefile makes deps/SimplestOT_C/ref10/Makefile with `git submodule update`, then
 * `cmake .`; in a copy that is not a git checkout (submodules filled in by hand, as in a release
 * archive) the git step fails, so the cmake step is run here first.
 */
async function configureSimplestOt(root: string): Promise<void> {
  const dir = join(root, 'deps', 'SimplestOT_C', 'ref10');
  if (!existsSync(join(dir, 'CMakeLists.txt')) || existsSync(join(dir, 'Makefile'))) return;
  const r = await execa('cmake', ['.'], { cwd: dir, reject: false, all: true });
  if (r.exitCode !== 0) throw new EnvironmentError(`cmake failed in ${dir}:\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`, ['is cmake installed? (apt-get install cmake)']);
}

/** Compile commands `make -n` would run: the progress bar's denominator. */
async function plannedObjects(root: string, binaries: string[]): Promise<number> {
  const r = await execa('make', ['-n', ...binaries], { cwd: root, reject: false });
  return r.stdout.split('\n').filter(isCompileLine).length;
}

async function runMake(root: string, binaries: string[], jobs: number, onProgress?: (line: string) => void): Promise<void> {
  if (binaries.length === 0) return;
  const planned = await plannedObjects(root, binaries);
  const logPath = join(root, 'ppvc-dsl-build.log');
  onProgress?.(`building ${binaries.join(' ')} with ${jobs} jobs (about ${planned} objects; log: ${logPath})`);
  const started = Date.now();
  const child = execa('make', [`-j${jobs}`, ...binaries], { cwd: root, reject: false, all: true, buffer: { all: false } });
  let compiled = 0;
  let cmakePercent: number | undefined;
  const log: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (isCompileLine(line)) compiled++;
      const m = /^\[\s*(\d+)%\]/.exec(line);
      if (m) cmakePercent = Number(m[1]);
      log.push(line);
      if (log.length > 4000) log.splice(0, 2000);
    }
  });
  const timer = setInterval(() => onProgress?.(progressLine(started, compiled, planned, cmakePercent)), 30_000);
  const r = await child;
  clearInterval(timer);
  writeFileSync(logPath, log.join('\n'));
  if (r.exitCode !== 0) {
    const tail = log.filter((l) => /error|Error/.test(l)).slice(-8).join('\n') || log.slice(-15).join('\n');
    throw new EnvironmentError(`building MP-SPDZ failed (make exit ${r.exitCode}) in ${root}:\n${tail}`, [
      `the whole log: ${logPath}`,
      "check the build dependencies (MP-SPDZ's README, 'Requirements'); then run setup-mp-spdz again, it resumes where make stopped",
    ]);
  }
  onProgress?.(`built ${binaries.join(' ')} in ${formatDuration((Date.now() - started) / 1000)}`);
}

/** "123/450 objects (27%), 4 min elapsed, about 11 min left"; libOTe's own cmake build reports its percentage. */
export function progressLine(started: number, compiled: number, planned: number, cmakePercent?: number): string {
  const elapsed = (Date.now() - started) / 1000;
  const parts = [`building: ${compiled}/${Math.max(planned, compiled)} objects`];
  if (cmakePercent !== undefined && cmakePercent < 100) parts.push(`the OT library at ${cmakePercent}%`);
  parts.push(`${formatDuration(elapsed)} elapsed`);
  const fraction = planned > 0 ? compiled / planned : 0;
  if (fraction > 0.05 && fraction < 1 && (cmakePercent === undefined || cmakePercent >= 100)) {
    parts.push(`about ${formatDuration((elapsed * (1 - fraction)) / fraction)} left`);
  }
  return parts.join(', ');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** Certificates for up to four parties (rep4-ring's count), as MP-SPDZ's own script makes them. */
async function makeCertificates(root: string): Promise<void> {
  if ([0, 1, 2, 3].every((i) => existsSync(join(root, 'Player-Data', `P${i}.pem`)))) return;
  const r = await execa('Scripts/setup-ssl.sh', ['4'], { cwd: root, reject: false, all: true });
  if (r.exitCode !== 0) throw new EnvironmentError(`Scripts/setup-ssl.sh failed in ${root}:\n${r.all}`, ['is openssl installed? (apt-get install openssl)']);
}
