// Drives a user's MP-SPDZ installation (never part of this repository): finds it, checks
// its version and the ml.py helpers, places the program and runs compile.py.
import { existsSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { EnvironmentError } from '../diagnostics.js';
import type { Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS } from '../target/protocols.js';
import { changelogVersion, findCachedBuild, gitDescribe, readBuildRecord } from './mp-spdz-cache.js';
import { compileCommand, expectedCompileWarnings } from '../emit/commands.js';
import { missingHelpers } from '../emit/ml-patch.js';
import { withHelperBlocks } from '../emit/helper-blocks.js';
import type { HelperName } from '../emit/runtime/helpers.js';
import { writeFileAtomic } from '../util/files.js';

export const MIN_VERSION = [0, 4, 2];
const INSTALL_HINT = "build MP-SPDZ 0.4.2 or newer with `ppvc-dsl setup-mp-spdz --source DIR` (DIR: a clone of MP-SPDZ), or by its own instructions and pass --mp-spdz DIR or set MP_SPDZ_HOME";

/** What to do when no MP-SPDZ is configured. */
export const NO_MP_SPDZ_HINTS = [INSTALL_HINT];

export interface MpSpdz {
  root: string;
  version: string;
  /** Which commit: `git describe` of the tree or of the source setup-mp-spdz built it from, else that source's hash. */
  commit?: string;
}

/**
 * The MP-SPDZ directory from --mp-spdz, else MP_SPDZ_HOME, else the build `setup-mp-spdz` made
 * that suits the pipeline (its ring and protocol); undefined if there is none.
 */
export function mpSpdzDirFrom(option: string | undefined, p?: Pipeline): string | undefined {
  const dir = option ?? process.env['MP_SPDZ_HOME'];
  if (dir) return resolve(dir);
  return findCachedBuild(p ? { ring: p.target.ringBits, protocol: p.target.protocol } : {});
}

export function locateMpSpdz(dir: string): MpSpdz {
  if (!existsSync(dir)) throw new EnvironmentError(`MP-SPDZ directory not found: ${dir}`, [INSTALL_HINT]);
  if (!existsSync(join(dir, 'compile.py')) || !existsSync(join(dir, 'Compiler', 'ml.py'))) {
    throw new EnvironmentError(`${dir} is not an MP-SPDZ tree: compile.py or Compiler/ml.py is missing`, [INSTALL_HINT]);
  }
  const version = changelogVersion(dir);
  if (version && compareVersions(version, MIN_VERSION) < 0) {
    throw new EnvironmentError(`MP-SPDZ ${version} in ${dir} is too old: ppvc-dsl needs ${MIN_VERSION.join('.')} or newer`, [INSTALL_HINT]);
  }
  return { root: dir, version: version ?? 'unknown', ...commitOf(dir) };
}

function commitOf(dir: string): { commit?: string } {
  const record = readBuildRecord(dir);
  if (record) return { commit: record.commit ?? `source sha256 ${record.sourceHash.slice(0, 16)}` };
  const commit = gitDescribe(dir);
  return commit ? { commit } : {};
}

function compareVersions(v: string, min: number[]): number {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const d = (parts[i] ?? 0) - min[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function missingHelpersIn(mp: MpSpdz, helpers: HelperName[]) {
  return missingHelpers(readFileSync(join(mp.root, 'Compiler', 'ml.py'), 'utf8'), helpers);
}

/** Fails unless Compiler/ml.py carries the helpers this program needs. */
export function checkPatchApplied(mp: MpSpdz, helpers: HelperName[], patchPath: string): void {
  const missing = missingHelpersIn(mp, helpers);
  if (missing.length > 0) {
    throw new EnvironmentError(
      `MP-SPDZ's Compiler/ml.py lacks the helpers this program needs: ${missing.map((b) => b.name).join(', ')}`,
      [
        `apply the generated patch: (cd ${mp.root} && patch -p1 < ${resolve(patchPath)})`,
        'or rerun build with --patch-mp-spdz to let ppvc-dsl apply it (it changes Compiler/ml.py in that tree)',
      ],
    );
  }
}

/**
 * Adds this program's helpers to Compiler/ml.py. Helpers already there from other ppvc-dsl
 * builds are kept (one tree serves several pipelines), in this version: blocks with another
 * hash are replaced where they are, not duplicated. Everything else in ml.py, upstream's code
 * and any text after the blocks, is kept as it was. The file is written only if it changes.
 */
export async function applyPatch(mp: MpSpdz, helpers: HelperName[]): Promise<void> {
  const mlPath = join(mp.root, 'Compiler', 'ml.py');
  const ml = readFileSync(mlPath, 'utf8');
  let patched: string;
  try {
    patched = withHelperBlocks(ml, helpers);
  } catch (e) {
    throw new EnvironmentError(`cannot add the helpers to ${mlPath}: ${(e as Error).message}`, [
      'restore upstream Compiler/ml.py (git checkout Compiler/ml.py) and try again',
    ]);
  }
  if (patched !== ml) writeFileAtomic(mlPath, patched);
}

export interface CompileReport {
  command: string[];
  seconds: number;
  /** Virtual machine rounds as compile.py estimates them. */
  rounds?: number;
  expectedOnlineMB?: number;
  expectedOfflineMB?: number;
  requirements: string[];
  /** compile.py's warnings ("WARNING: …" lines, without the prefix). */
  warnings: string[];
  /** Those the program does not expect (its header lists the expected ones and why they are harmless). */
  unexpectedWarnings: string[];
  output: string;
}

export function placeProgram(mp: MpSpdz, name: string, code: string): string {
  const dir = join(mp.root, 'Programs', 'Source');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.mpc`);
  writeFileAtomic(path, code);
  return path;
}

export async function runCompile(mp: MpSpdz, p: Pipeline): Promise<CompileReport> {
  const command = compileCommand(p);
  const started = Date.now();
  const r = await execa('python3', command, { cwd: mp.root, reject: false, all: true, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  const seconds = (Date.now() - started) / 1000;
  const output = r.all ?? '';
  if (r.exitCode !== 0) {
    const tail = output.split('\n').slice(-15).join('\n');
    throw new EnvironmentError(`MP-SPDZ's compile.py failed for ${p.name} (exit ${r.exitCode}):\n${tail}`, [
      'this is a bug in ppvc-dsl or an MP-SPDZ version it does not support; please report it with the .ppvc file',
    ]);
  }
  const parsed = parseCompileOutput(output);
  const expected = expectedCompileWarnings(p);
  const unexpectedWarnings = parsed.warnings.filter((w) => !expected.some((e) => w.startsWith(e.text)));
  return { command, seconds, ...parsed, unexpectedWarnings, output };
}

export function parseCompileOutput(output: string): Omit<CompileReport, 'command' | 'seconds' | 'output' | 'unexpectedWarnings'> {
  const comm = /Expected communication is ([\d.e+]+) MB online and ([\d.e+]+) MB offline/.exec(output);
  const rounds = /^\s*(\d+) virtual machine rounds/m.exec(output);
  const req: string[] = [];
  const start = output.indexOf('Program requires at most:');
  if (start >= 0) {
    for (const l of output.slice(start).split('\n').slice(1)) {
      if (!/^\s+\S/.test(l)) break;
      req.push(l.trim());
    }
  }
  return {
    rounds: rounds ? Number(rounds[1]) : undefined,
    expectedOnlineMB: comm ? Number(comm[1]) : undefined,
    expectedOfflineMB: comm ? Number(comm[2]) : undefined,
    requirements: req,
    warnings: [...output.matchAll(/^WARNING: (.*)$/gim)].map((m) => m[1]!.trim()),
  };
}

export function partyBinaryPath(mp: MpSpdz, p: Pipeline): string {
  return join(mp.root, PROTOCOLS[p.target.protocol].binary);
}

export function copyInto(mp: MpSpdz, from: string, relative: string): void {
  const to = join(mp.root, relative);
  mkdirSync(join(to, '..'), { recursive: true });
  copyFileSync(from, to);
}
