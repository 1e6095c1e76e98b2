// The work of `check`, `build` and `run` apart from the command line (its options and what it
// prints): cli.ts and the typed API (src/api.ts) both call these, so a script gets what the
// command gets, refused with the same errors.
import { join, resolve } from 'node:path';
import { EnvironmentError, UserError } from '../diagnostics.js';
import { buildPipeline, type BuildArtifacts } from '../compile.js';
import { parameterCount, selectedFrames, type Pipeline } from '../ir/pipeline.js';
import { refuseInputAsOutput, writeFilesAtomic } from '../util/files.js';
import type { ResultRecord } from '../backend/run-pipeline.js';
import type { InputPlan } from '../passes/plan-inputs.js';
import { MAX_DIMENSION } from '../check/check.js';
import { checkAndSuggestBounds } from '../simulate/declared-bounds.js';
import { pipelineFiles } from './common.js';

/** What `check --json` reports of a checked pipeline. */
export function pipelineSummary(p: Pipeline) {
  return {
    name: p.name,
    parties: p.parties,
    video: [p.video.frames, p.video.height, p.video.width, p.video.channels],
    selection: p.selection.kind === 'oblivious' ? { kind: 'oblivious', count: p.selection.count, chooser: p.selection.chooser.name } : p.selection,
    selected: selectedFrames(p),
    layers: p.model.layers.map((l) => ({ name: l.name, op: l.op, in: l.inShape, out: l.outShape })),
    parameters: parameterCount(p.model),
    classes: p.classes,
    frameOutput: p.frameOutput,
    aggregation: p.aggregation,
    reveals: p.reveals.map((r) => ({ value: r.name, to: r.to.map((t) => t.name) })),
    target: p.target,
  };
}

/**
 * The build's artifacts after the audit of the generated program text and helper code (not the
 * IR: a generator bug cannot hide a reveal). An opening the pipeline does not declare is an
 * EnvironmentError (a bug in ppvc-dsl) unless `allowUndeclaredReveals`, which marks the program as leaking.
 */
export async function auditedArtifacts(pipeline: Pipeline, allowUndeclaredReveals: boolean): Promise<BuildArtifacts> {
  const artifacts = buildPipeline(pipeline);
  const { auditWithHelpers } = await import('../audit/audit.js');
  const { verdict } = auditWithHelpers({
    program: { file: `${pipeline.name}.mpc`, text: artifacts.program },
    helpers: artifacts.mlPatch ? { file: 'ml.py.patch', text: artifacts.mlPatch } : undefined,
    declared: { outputs: pipeline.reveals.map((x) => ({ name: x.name, to: x.to.map((t) => t.id) })), by: "the pipeline's reveal statements" },
  });
  if (verdict.ok) return artifacts;
  if (!allowUndeclaredReveals) {
    throw new EnvironmentError(`the generated program opens more than the pipeline declares; nothing was written:\n${verdict.problems.map((x) => `  ${x}`).join('\n')}`, [
      'this is a bug in ppvc-dsl: please report it; --allow-undeclared-reveals writes the program anyway, marked as leaking',
    ]);
  }
  const mark = `# WARNING: THIS PROGRAM LEAKS: it opens values the pipeline does not declare (built with --allow-undeclared-reveals):\n${verdict.problems.map((x) => `#   ${x}`).join('\n')}\n`;
  artifacts.files[`${pipeline.name}.mpc`] = mark + artifacts.program;
  artifacts.program = mark + artifacts.program;
  return artifacts;
}

/** --timeout's largest value: the parties' timer is a setTimeout, whole milliseconds up to 2^31 - 1. */
export const MAX_TIMEOUT_SECONDS = 2_147_483;

/** --timeout: a positive number of seconds the parties' timer can hold. */
export function checkedTimeout(t: number): number {
  if (!(t > 0 && t <= MAX_TIMEOUT_SECONDS)) throw new UserError(`--timeout ${t}: expected a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS} (24 days)`);
  return t;
}

/**
 * The MP-SPDZ directory a run uses (for `p`'s ring and protocol where given), or an
 * EnvironmentError when none is configured at all; `run` asks before it reads the pipeline.
 */
export async function requireMpSpdz(option: string | undefined, p?: Pipeline): Promise<string> {
  const { mpSpdzDirFrom, NO_MP_SPDZ_HINTS } = await import('../backend/mp-spdz.js');
  const dir = mpSpdzDirFrom(option, p);
  if (!dir) throw new EnvironmentError('run needs MP-SPDZ: none configured', NO_MP_SPDZ_HINTS);
  return dir;
}

/** Each party's input file by id: the video owner's, the model owner's, then `PARTY=FILE` specs (`--input`). */
export function partyInputFiles(p: Pipeline, given: { video?: string; model?: string; specs?: string[] }): Map<number, string> {
  const files = new Map<number, string>();
  if (given.video) files.set(p.video.owner.id, given.video);
  if (given.model) files.set(p.model.owner.id, given.model);
  for (const spec of given.specs ?? []) {
    const m = /^(\w+)=(.+)$/.exec(spec);
    const party = m ? p.parties.find((x) => x.name === m[1] || String(x.id) === m[1]) : undefined;
    if (!m || !party) throw new UserError(`--input ${spec}: expected PARTY=FILE with a party name or id (${p.parties.map((x) => x.name).join(', ')})`);
    files.set(party.id, m[2]!);
  }
  return files;
}

/** How `run --local` runs: where MP-SPDZ and the build directory are, and what it may change. */
export interface LocalRunOptions {
  /** The MP-SPDZ tree (`--mp-spdz`); default MP_SPDZ_HOME, else the setup-mp-spdz build for the pipeline. */
  mpSpdz?: string;
  /** The build directory (`-o`); default out/<pipeline name>. */
  out?: string;
  /** Add the program's helpers to the tree's Compiler/ml.py if missing (`--patch-mp-spdz`). */
  patchMpSpdz?: boolean;
  timeoutSeconds: number;
  /** Append the result record here (`--results`). */
  resultsFile?: string;
  onProgress?: (msg: string) => void;
  /** Run even when the check in the clear refuses (`--ignore-precheck`); its finding becomes a warning. */
  ignorePrecheck?: boolean;
  onWarning?: (msg: string) => void;
}

/**
 * `run --local` on a checked pipeline: the MP-SPDZ tree, its party binary and every input file
 * checked first (at once), then the pipeline simulated in the clear on those inputs
 * (precheck.ts: seconds), then the build's files, the compile if out of date, and every party
 * on this machine. Nothing is written before the check in the clear has passed.
 */
export async function runLocally(p: Pipeline, files: Map<number, string>, o: LocalRunOptions): Promise<ResultRecord> {
  const artifacts = buildPipeline(p);
  const { locateMpSpdz, applyPatch, missingHelpersIn } = await import('../backend/mp-spdz.js');
  const mp = locateMpSpdz(await requireMpSpdz(o.mpSpdz, p));
  const outDir = resolve(o.out ?? join('out', p.name));
  const { runPipeline, preflight } = await import('../backend/run-pipeline.js');
  const inputs = preflight(mp, artifacts, files); // the party binary and every input file, before anything is written
  const { precheckRun } = await import('./precheck.js');
  const precheck = await precheckRun(artifacts, files, { ignore: o.ignorePrecheck, onProgress: o.onProgress, onWarning: o.onWarning });
  const read = [...pipelineFiles(p), ...files.values()];
  refuseInputAsOutput(Object.keys(artifacts.files).map((f) => join(outDir, f)), o.out ?? outDir, read);
  if (o.resultsFile) refuseInputAsOutput(o.resultsFile, o.resultsFile, read, '--results');
  writeFilesAtomic(outDir, artifacts.files);
  if (o.patchMpSpdz && artifacts.helpers.length > 0 && missingHelpersIn(mp, artifacts.helpers).length > 0) await applyPatch(mp, artifacts.helpers);
  return runPipeline(mp, artifacts, files, {
    inputs,
    patchPath: join(outDir, 'ml.py.patch'),
    timeoutSeconds: o.timeoutSeconds,
    resultsFile: o.resultsFile,
    onProgress: o.onProgress,
    precheck,
  });
}

/** `import`'s defaults: the paper's video length and frame count. */
export const IMPORT_DEFAULTS = { frames: 97, select: 7 };

/** `import`: a model file as a complete pipeline's text, with --frames, --select and --range checked first. */
export async function importModelText(path: string, o: { frames: number; select: number; range?: string }) {
  for (const k of ['frames', 'select'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] >= 1 && o[k] <= MAX_DIMENSION)) {
      throw new UserError(`--${k} ${o[k]}: expected a whole number of frames from 1 to ${MAX_DIMENSION} (2^20, the largest video dimension)`);
    }
  }
  const { importPipelineText, parseRange } = await import('./model-import.js');
  const range = o.range !== undefined ? parseRange(o.range) : undefined;
  return importPipelineText(path, { frames: o.frames, select: o.select, range });
}

/**
 * `random-weights`: the model owner's input file with He-uniform weights from `seed` and the
 * selection of `frames` ('even', 'every:K' or a list), and the bounds those weights prove.
 */
export async function randomModelOwnerValues(p: Pipeline, plan: InputPlan, seed: number, frameSpec: string) {
  const { partyValues } = await import('../inputs/random-inputs.js');
  const { inputParty } = await import('../passes/plan-inputs.js');
  const { frameList } = await import('./model-import.js');
  const n = p.selection.kind === 'oblivious' ? p.selection.count : 0;
  const frames = n > 0 ? frameList(frameSpec, p.video.frames, n) : [];
  const party = inputParty(p, p.model.owner.id);
  const values = partyValues(plan, p, party, { seed, frames });
  const bounds = checkAndSuggestBounds(p, plan, new Map([[party, values]]), `random weights (seed ${seed})`);
  return { party, values, frames, bounds };
}
