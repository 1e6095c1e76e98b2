// `ppvc-dsl run --local`: from a checked pipeline and the parties' input files to the revealed
// output and one result record (the same shape for every protocol).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError, UserError } from '../diagnostics.js';
import type { BuildArtifacts } from '../emit/artifacts.js';
import { compileCommand } from '../emit/commands.js';
import { LAYER_TIMER_BASE, STAGE_TIMERS } from '../emit/mpc-program.js';
import { readValues, formatValues } from '../inputs/text-format.js';
import { refuseFileWithoutInput, validatePartyInput } from '../inputs/validate.js';
import { PROTOCOLS } from '../target/protocols.js';
import type { PartyInputs } from '../passes/plan-inputs.js';
import type { Pipeline } from '../ir/pipeline.js';
import { assertBoundsHold } from '../simulate/declared-bounds.js';
import { type MpSpdz, checkPatchApplied, placeProgram, runCompile, type CompileReport } from './mp-spdz.js';
import { basePortFromEnvironment, runLocal, type RunResult } from './local-run.js';
import { appendLine, checkAppendable, writeFileAtomic } from '../util/files.js';
import { describeOptimizations } from '../target/optimizations.js';
import type { Precheck } from '../simulate/precheck-record.js';

export interface ResultRecord {
  pipeline: string;
  protocol: string;
  style?: 'optimized' | 'seed';
  /** The optimisations in effect, e.g. `batch-frames, vector-layers, fold-batchnorm, no-winograd`. */
  optimizations?: string;
  outputs: Record<string, string>;
  label?: string;
  wallSeconds: number;
  parties: RunResult['parties'];
  timers: { timer: number; name: string; seconds: number; mb: number; rounds: number }[];
  compile: { seconds: number; cached: boolean; vmRounds?: number; expectedOnlineMB?: number; expectedOfflineMB?: number; command: string; unexpectedWarnings?: string[] };
  mpSpdz: { root: string; version: string; commit?: string };
  /** The check in the clear before the parties started (commands/precheck.ts). */
  precheck?: Precheck;
  date: string;
}

/** Compiles unless the same program was already compiled with the same command. */
export async function compileIfStale(mp: MpSpdz, a: BuildArtifacts): Promise<{ report?: CompileReport; cached: boolean; stampPath: string }> {
  const command = compileCommand(a.pipeline).join(' ');
  const stamp = createHash('sha256').update(a.program).update(a.mlPatch).update(command).digest('hex');
  const stampPath = join(mp.root, 'Programs', 'Source', `${a.pipeline.name}.ppvc-stamp`);
  const schedule = join(mp.root, 'Programs', 'Schedules', `${a.pipeline.name}.sch`);
  if (existsSync(stampPath) && existsSync(schedule) && readFileSync(stampPath, 'utf8').split('\n')[0] === stamp) {
    const previous = JSON.parse(readFileSync(stampPath, 'utf8').split('\n')[1] ?? '{}') as CompileReport;
    // (a stamp from before compile warnings were recorded compiles again)
    if (previous.unexpectedWarnings !== undefined) return { report: previous, cached: true, stampPath };
  }
  placeProgram(mp, a.pipeline.name, a.program);
  const report = await runCompile(mp, a.pipeline);
  const { output: _output, ...summary } = report;
  writeFileAtomic(stampPath, `${stamp}\n${JSON.stringify(summary)}\n`);
  return { report, cached: false, stampPath };
}

/**
 * Validates the inputs and places them under Player-Data/ppvc/<pipeline>/ (the run points the
 * parties there with -IF, so a user's own Player-Data/Input-* files are never touched).
 */
export function placeInputs(mp: MpSpdz, a: BuildArtifacts, inputs: Map<number, Float32Array>): string {
  const dir = join(mp.root, 'Player-Data', 'ppvc', a.pipeline.name);
  mkdirSync(dir, { recursive: true });
  for (const [party, values] of inputs) writeFileAtomic(join(dir, `Input-P${party}-0`), formatValues(values));
  return join(dir, 'Input');
}

/**
 * Reads and validates every party's input file against inputs.json: party -> its values.
 * emulate.x reads everything from party 0: the parties' files are concatenated in plan order.
 */
export function readInputs(a: BuildArtifacts, files: Map<number, string>): Map<number, Float32Array> {
  const single = PROTOCOLS[a.pipeline.target.protocol].processes === 1;
  // emulate's one process reads the video owner's and the model owner's files as one
  if (!single) for (const [id, path] of files) refuseFileWithoutInput(a.pipeline, a.inputs, id, path);
  const out = new Map<number, Float32Array>();
  for (const party of a.inputs.parties) {
    if (party.tensors.length === 0) continue;
    let values: Float32Array;
    if (single) {
      const parts = [...files.entries()].sort(([x], [y]) => x - y).map(([id, path]) => ({ id, path, v: readValues(path) }));
      values = new Float32Array(parts.reduce((s, x) => s + x.v.length, 0));
      let o = 0;
      for (const x of parts) {
        values.set(x.v, o);
        o += x.v.length;
      }
      validatePartyInput(parts.map((x) => x.path).join(' + '), party, values, a.pipeline.target);
    } else {
      const path = files.get(party.party);
      if (!path) throw new UserError(`no input file for party ${party.party} (${party.name}), which provides ${party.tensors.map((t) => t.name).join(', ')}`);
      values = readPartyFile(path, party, a.pipeline.target);
    }
    out.set(party.party, values);
  }
  // comparisons narrowed to a declared bound need weights that keep it
  assertBoundsHold(a.pipeline, a.inputs, out, [...files.values()].join(' + '));
  return out;
}

/** One party's input file, read and checked; an error names the party and, by line, what is wrong. */
function readPartyFile(path: string, party: PartyInputs, target: Pipeline['target']): Float32Array {
  try {
    const values = readValues(path);
    validatePartyInput(path, party, values, target);
    return values;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const hint = whereInFile(path, party, e.message);
    throw new UserError(e.diagnostics.map((d) => ({ ...d, hints: [...(d.hints ?? []), hint] })));
  }
}

/** The hint for an input error: whose file it is, and where its values go wrong or run out. */
function whereInFile(path: string, party: PartyInputs, message: string): string {
  const whose = `${path} is the input of party ${party.party} (${party.name})`;
  const bad = /element (\d+) \(line \d+\) is not a number/.exec(message);
  if (bad) return `${whose}, ${party.elements} numbers (inputs.json); element ${bad[1]} should be ${tensorElement(party, Number(bad[1]))}`;
  const count = /: (\d+) values, but party \d+ .* must provide/.exec(message);
  if (!count) return `${whose}: ${party.elements} numbers, ${party.tensors.map((t) => t.name).join(', ')} (inputs.json)`;
  const n = Number(count[1]);
  const extra = n - party.elements;
  if (extra > 0) return `${whose}; the ${extra} extra value${extra === 1 ? ' is' : 's begin'} at line ${lineOfElement(path, party.elements) ?? '?'}`;
  const end = n === 0 ? 'the file holds no number' : `the file ends at line ${lineOfElement(path, n - 1) ?? '?'}`;
  return `${whose}; ${end}: the first missing value is ${tensorElement(party, n)}`;
}

/** `conv2d_1.kernel[5]`: the tensor element a party's flat input index holds. */
function tensorElement(party: PartyInputs, index: number): string {
  const t = party.tensors.find((x) => index >= x.offset && index < x.offset + x.elements);
  return t ? `${t.name}[${index - t.offset}]` : `element ${index}`;
}

/** The 1-based line of a file's `index`-th number (white-space separated, as MP-SPDZ reads them). */
function lineOfElement(path: string, index: number): number | undefined {
  let seen = 0;
  const lines = readFileSync(path, 'latin1').split('\n');
  for (let l = 0; l < lines.length; l++) {
    seen += lines[l]!.split(/\s+/).filter((x) => x !== '').length;
    if (seen > index) return l + 1;
  }
  return undefined;
}

/** What `run` can check before it writes anything: the party binary and every input file (read once, returned). */
export function preflight(mp: MpSpdz, a: BuildArtifacts, files: Map<number, string>): Map<number, Float32Array> {
  checkPartyBinary(mp, a);
  return readInputs(a, files);
}

function checkPartyBinary(mp: MpSpdz, a: BuildArtifacts): void {
  const profile = PROTOCOLS[a.pipeline.target.protocol];
  if (!existsSync(join(mp.root, profile.binary))) {
    throw new EnvironmentError(`${profile.binary} is missing in ${mp.root}: the ${profile.name} protocol cannot run`, [
      `build it following MP-SPDZ's README (make ${profile.binary})`,
    ]);
  }
}

export function timerName(a: BuildArtifacts, timer: number): string {
  const stages = Object.entries(STAGE_TIMERS).find(([, n]) => n === timer);
  if (stages) return stages[0];
  if (timer >= LAYER_TIMER_BASE) return a.layerNames[timer - LAYER_TIMER_BASE] ?? `layer ${timer - LAYER_TIMER_BASE}`;
  return `timer ${timer}`;
}

export async function runPipeline(
  mp: MpSpdz,
  a: BuildArtifacts,
  files: Map<number, string>,
  opts: {
    timeoutSeconds?: number;
    resultsFile?: string;
    onProgress?: (msg: string) => void;
    hostsFiles?: string[];
    patchPath?: string;
    /** The inputs as preflight() read and checked them (else `files` are read here). */
    inputs?: Map<number, Float32Array>;
    precheck?: Precheck;
  },
): Promise<ResultRecord> {
  const profile = PROTOCOLS[a.pipeline.target.protocol];
  checkPartyBinary(mp, a);
  // a results file that cannot take the record fails now, not after the parties' work
  if (opts.resultsFile) checkAppendable(opts.resultsFile);
  if (profile.processes > 1) basePortFromEnvironment(profile.parties); // a bad PPVC_DSL_PORT before the compile
  if (a.helpers.length > 0) checkPatchApplied(mp, a.helpers, opts.patchPath ?? 'ml.py.patch');
  // every input checked before any is placed
  const prefix = placeInputs(mp, a, opts.inputs ?? readInputs(a, files));
  opts.onProgress?.(`compiling ${a.pipeline.name} for ${profile.name} (${compileCommand(a.pipeline).join(' ')})`);
  const compiled = await compileIfStale(mp, a);
  for (const w of compiled.report?.unexpectedWarnings ?? []) opts.onProgress?.(`note: compile.py warns: ${w} (not a warning this program expects: please report it)`);
  opts.onProgress?.(`running ${profile.processes} ${profile.processes === 1 ? 'process' : 'parties'} of ${profile.binary}`);
  const run = await runLocal(mp, a.pipeline, { inputPrefix: prefix, timeoutSeconds: opts.timeoutSeconds, hostsFiles: opts.hostsFiles, onNote: opts.onProgress });
  const record: ResultRecord = {
    pipeline: a.pipeline.name,
    protocol: profile.name,
    style: a.style,
    optimizations: describeOptimizations(a.optimizations),
    outputs: run.outputs,
    label: run.outputs[a.pipeline.aggregation.labelName],
    wallSeconds: run.wallSeconds,
    parties: run.parties,
    timers: run.timers.map((t) => ({ ...t, name: timerName(a, t.timer) })),
    compile: {
      seconds: compiled.report?.seconds ?? 0,
      cached: compiled.cached,
      vmRounds: compiled.report?.rounds,
      expectedOnlineMB: compiled.report?.expectedOnlineMB,
      expectedOfflineMB: compiled.report?.expectedOfflineMB,
      command: compileCommand(a.pipeline).join(' '),
      ...(compiled.report?.unexpectedWarnings?.length ? { unexpectedWarnings: compiled.report.unexpectedWarnings } : {}),
    },
    mpSpdz: { root: mp.root, version: mp.version, ...(mp.commit ? { commit: mp.commit } : {}) },
    ...(opts.precheck ? { precheck: opts.precheck } : {}),
    date: new Date().toISOString(),
  };
  if (opts.resultsFile) appendRecord(opts.resultsFile, record, opts.onProgress);
  return record;
}

/**
 * Appends the record as one JSON line, whole or not at all. If that fails (a full disk) the
 * computation's result is not lost: the report is shown first (with progress messages) and the
 * error repeats what was revealed.
 */
function appendRecord(path: string, record: ResultRecord, onProgress?: (msg: string) => void): void {
  try {
    appendLine(path, JSON.stringify(record));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    onProgress?.(formatRecord(record));
    const revealed = Object.entries(record.outputs).map(([k, v]) => `${k}: ${v}`).join(', ') || 'nothing revealed to party 0';
    throw new UserError(`${e.message}; the run completed (${revealed}) but its record was not appended to ${path}, which is as it was`);
  }
}

export function formatRecord(r: ResultRecord): string {
  const out: string[] = [];
  out.push(`${r.pipeline} under ${r.protocol}: ${Object.entries(r.outputs).map(([k, v]) => `${k}: ${v}`).join(', ') || '(nothing revealed to party 0)'}`);
  out.push(`wall time ${r.wallSeconds.toFixed(2)} s; compile ${r.compile.cached ? 'cached' : `${r.compile.seconds.toFixed(1)} s`}, ${r.compile.vmRounds ?? '?'} VM rounds, expected ${r.compile.expectedOnlineMB ?? '?'} MB online + ${r.compile.expectedOfflineMB ?? '?'} MB offline`);
  out.push('party  time (s)  data sent (MB)  rounds');
  const num = (x: number | undefined, d: number) => (x === undefined ? '–' : x.toFixed(d));
  for (const p of r.parties) out.push(`${String(p.party).padStart(5)}  ${num(p.seconds, 3).padStart(8)}  ${num(p.dataSentMB, 3).padStart(14)}  ${String(p.rounds ?? '–').padStart(6)}`);
  // as wide as the longest timer name (a fused layer's is 'relu_1 + avgpool_1')
  const label = (t: (typeof r.timers)[number]) => `${t.timer} ${t.name}`;
  const w = Math.max(18, ...r.timers.map((t) => label(t).length));
  out.push(`${'timer'.padEnd(w)}  ${'time (s)'.padStart(8)}  ${'MB'.padStart(8)}  ${'rounds'.padStart(6)}`);
  for (const t of r.timers) out.push(`${label(t).padEnd(w)}  ${t.seconds.toFixed(4).padStart(8)}  ${t.mb.toFixed(3).padStart(8)}  ${String(t.rounds).padStart(6)}`);
  return out.join('\n');
}
