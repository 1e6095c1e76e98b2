/**
 * ppvc-dsl's typed API: the stages of the command line (check, build, simulate, run, import)
 * as functions a research script calls, e.g. to sweep precisions, protocols or architectures
 * without shelling out and parsing text.
 *
 * Every function returns a promise of a {@link Result}: `{ ok: true, ... }`, or
 * `{ ok: false, errors, warnings, exitStatus }` with the diagnostics the command would print
 * (file, line, column, message, expected/found, hints, and the printed text). A user's error or
 * a problem with the environment (no MP-SPDZ, a party failing) is such a value, never an
 * exception; an exception is a bug in ppvc-dsl.
 *
 * The functions wrap what the commands call (src/commands/stages.ts, src/compile.ts,
 * src/simulate), so a result is what the command computes for the same settings.
 *
 * @example
 * ```js
 * import { check, randomInputs, simulate } from 'ppvc-dsl';
 * const inputs = await randomInputs('examples/emotion.ppvc', { seed: 1 });
 * for (const [f, k] of [[16, 31], [12, 22]]) {
 *   const r = await simulate('examples/emotion.ppvc', { precision: { f, k }, video: inputs.video, weights: inputs.weights });
 *   console.log(f, k, r.ok ? r.maxDifference : r.errors[0].text);
 * }
 * ```
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvironmentError, UserError, diagnosticToJson, formatDiagnostic, printable, type Diagnostic as CompilerDiagnostic, type SourceFile } from './diagnostics.js';
import { buildPipeline, checkSource, commandsSummary } from './compile.js';
import type { Pipeline } from './ir/pipeline.js';
import { describeOptimizations } from './target/optimizations.js';
import { checkedSeed, pipelineFiles, readText } from './commands/common.js';
import { buildOptionsFrom, type TargetOverrides } from './commands/target-overrides.js';
import {
  IMPORT_DEFAULTS, auditedArtifacts, checkedTimeout, importModelText, partyInputFiles, pipelineSummary, randomModelOwnerValues, requireMpSpdz, runLocally,
} from './commands/stages.js';
import { refuseInputAsOutput, writeFileAtomic, writeFilesAtomic } from './util/files.js';
import { randomVideo } from './inputs/random-inputs.js';
import type { ResultRecord } from './backend/run-pipeline.js';
import type { SimulateResult, Rounding } from './simulate/simulate.js';
import type { ImportSummary } from './commands/model-import.js';
import type { BoundSuggestion } from './simulate/declared-bounds.js';
import type { VideoPreparation } from './simulate/inputs.js';

export type { TargetOverrides } from './commands/target-overrides.js';
export type { ResultRecord } from './backend/run-pipeline.js';
export type { SimulateResult, Rounding, LayerRange, PrecisionSuggestion, FixedResult } from './simulate/simulate.js';
export type { ReferenceResult } from './reference/evaluate.js';
export type { ImportSummary } from './commands/model-import.js';
export type { BoundSuggestion } from './simulate/declared-bounds.js';
export type { ProtocolName } from './target/protocols.js';
export type { OptimizationName, OptimizationSet } from './target/optimizations.js';
/** The MPC protocols a pipeline can target (`protocol` option), and `emulate` (MP-SPDZ's emulate.x, in the clear). */
export { PROTOCOL_NAMES } from './target/protocols.js';
/** The optimisations `opt` switches on or off (`--opt`). */
export { OPTIMIZATION_NAMES } from './target/optimizations.js';

/** One problem, as the command line reports it. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'note';
  /** `user`: the input (the command exits 1); `environment`: MP-SPDZ, a party, the machine (exits 2). */
  kind: 'user' | 'environment';
  message: string;
  /** Where, when the problem is in a file: its path as given, 1-based line and column. */
  file?: string;
  line?: number;
  col?: number;
  /** What the compiler expected and what it found. */
  expected?: string;
  found?: string;
  /** What to do about it. */
  hints: string[];
  /** The whole message as the command prints it: `file:line:col: error: …`, the source line and a caret, expected/found, help lines. */
  text: string;
}

/** A stage that failed: its errors (and any warnings before them), and the command's exit status. */
export interface Failure {
  ok: false;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** 1 for the user's input, 2 for the environment: what the command would exit with. */
  exitStatus: 1 | 2;
}

/** A stage's outcome: `T` with `ok: true` and the pipeline's warnings, or a {@link Failure}. */
export type Result<T> = ({ ok: true; warnings: Diagnostic[] } & T) | Failure;

/**
 * A pipeline: the path of a `.ppvc` file (read as the commands read it), or its text with the
 * path that messages name and that a `model … from "FILE"` is resolved against.
 */
export type PipelineSource = string | { path: string; text: string };

/** Settings that replace the pipeline's `target` statement's, without editing its text (see {@link TargetOverrides}). */
export type PipelineOptions = TargetOverrides;

/** A party's input: the path of an MP-SPDZ input file (one number per line), or its values. */
export type InputValues = string | ArrayLike<number>;

function fromCompiler(d: CompilerDiagnostic): Diagnostic {
  const j = diagnosticToJson(d) as Omit<Diagnostic, 'kind' | 'text' | 'hints'>;
  return { ...j, severity: d.severity, kind: 'user', hints: d.hints ?? [], text: formatDiagnostic(d) };
}

/** A thrown user or environment error as the failure value; anything else is a bug and is rethrown. */
function failure(e: unknown, warnings: Diagnostic[] = []): Failure {
  if (e instanceof UserError) {
    const all = e.diagnostics.map(fromCompiler);
    return { ok: false, errors: all.filter((d) => d.severity === 'error'), warnings: [...warnings, ...all.filter((d) => d.severity !== 'error')], exitStatus: 1 };
  }
  if (e instanceof EnvironmentError) {
    const text = printable([`error: ${e.message}`, ...e.hints.map((h) => `  help: ${h}`)].join('\n'));
    return { ok: false, errors: [{ severity: 'error', kind: 'environment', message: e.message, hints: e.hints, text }], warnings, exitStatus: 2 };
  }
  throw e;
}

/** Runs a stage; its user and environment errors become the failure value. */
async function attempt<T extends object>(stage: (warnings: Diagnostic[]) => Promise<T>): Promise<Result<T>> {
  const warnings: Diagnostic[] = [];
  try {
    return { ok: true, warnings, ...(await stage(warnings)) };
  } catch (e) {
    return failure(e, warnings);
  }
}

function sourceFile(source: PipelineSource): SourceFile {
  return typeof source === 'string' ? readText(source) : { path: source.path, text: source.text };
}

/** The pipeline checked with the overrides; its warnings go to `warnings`, its errors are thrown (with the warnings among them). */
function checkedPipeline(source: PipelineSource, options: PipelineOptions, warnings: Diagnostic[]): Pipeline {
  const outcome = checkSource(sourceFile(source), buildOptionsFrom(options));
  if (!outcome.pipeline || outcome.diagnostics.some((d) => d.severity === 'error')) throw new UserError(outcome.diagnostics);
  warnings.push(...outcome.diagnostics.map(fromCompiler));
  return outcome.pipeline;
}

/** What {@link check} reports of a pipeline: `check --json`'s `pipeline`. */
export type PipelineSummary = ReturnType<typeof pipelineSummary>;

/**
 * Parses and checks a pipeline (`ppvc-dsl check`), with the options over its target.
 * @returns its summary (parties, shapes of every layer, parameters, classes, the target in effect), or every error with its location.
 */
export async function check(source: PipelineSource, options: PipelineOptions = {}): Promise<Result<{ pipeline: PipelineSummary }>> {
  return attempt(async (warnings) => ({ pipeline: pipelineSummary(checkedPipeline(source, options, warnings)) }));
}

/** Options of {@link build}: the target overrides, and where to write the files. */
export interface BuildApiOptions extends PipelineOptions {
  /** Write the files here as `ppvc-dsl build -o DIR` does (default: write nothing). */
  outDir?: string;
  /** Write a program whose audit finds openings the pipeline does not declare, marked as leaking (`--allow-undeclared-reveals`). */
  allowUndeclaredReveals?: boolean;
}

/** What {@link build} produces. */
export interface BuildOutput {
  /** The MP-SPDZ program (`<pipeline>.mpc`), as `build` writes it. */
  program: string;
  /** The patch for MP-SPDZ's Compiler/ml.py ('' when the program needs no helper). */
  mlPatch: string;
  /** File name -> content: the program, ml.py.patch, inputs.json, commands.json. */
  files: Record<string, string>;
  /** commands.json: the setup steps, the compile command, each party's run command. */
  commands: ReturnType<typeof commandsSummary>;
  /** The optimisations in effect, e.g. `batch-frames, …, no-relu-avgpool`. */
  optimizations: string;
  /** With `outDir`: its absolute path and the files written there. */
  outDir?: string;
  written?: string[];
}

/**
 * Compiles a pipeline to its MP-SPDZ program (`ppvc-dsl build`): the same program text, audited
 * the same way (an undeclared opening is refused). It does not compile under MP-SPDZ; {@link run} does.
 */
export async function build(source: PipelineSource, options: BuildApiOptions = {}): Promise<Result<BuildOutput>> {
  return attempt(async (warnings) => {
    const p = checkedPipeline(source, options, warnings);
    const a = await auditedArtifacts(p, options.allowUndeclaredReveals ?? false);
    const out: BuildOutput = { program: a.program, mlPatch: a.mlPatch, files: a.files, commands: commandsSummary(p, a.mlPatch !== ''), optimizations: describeOptimizations(a.optimizations) };
    if (options.outDir === undefined) return out;
    const outDir = resolve(options.outDir);
    refuseInputAsOutput(Object.keys(a.files).map((f) => join(outDir, f)), options.outDir, pipelineFiles(p));
    return { ...out, outDir, written: writeFilesAtomic(outDir, a.files) };
  });
}

/** Options of {@link randomInputs}. */
export interface RandomInputsOptions extends PipelineOptions {
  /** Seed of the weights and the video (an integer from 0 to 2^32 - 1; default 1, as `random-weights`). */
  seed?: number;
  /** The selected frames: 'even' (default), 'every:K' or a list '0,15,30' (`--frames`). */
  frames?: string;
  /** Also write the model owner's file here, as `random-weights -o FILE` does. */
  weightsOut?: string;
}

/** What {@link randomInputs} produces. */
export interface RandomInputs {
  /** The video owner's values: uniform in the video's declared range. */
  video: Float32Array;
  /** The model owner's file, as `random-weights` writes it (selection matrix, then He-uniform weights); after the video when one party owns both. */
  weights: Float32Array;
  /** The frames the selection matrix picks. */
  frames: number[];
  /** The `bound` statements these weights prove (narrower comparisons), as `random-weights` prints them. */
  bounds: BoundSuggestion[];
}

/**
 * Seeded synthetic inputs for a pipeline: `random-weights`' model owner's file and a video in the
 * declared range, for {@link simulate} and {@link run} without real data.
 */
export async function randomInputs(source: PipelineSource, options: RandomInputsOptions = {}): Promise<Result<RandomInputs>> {
  return attempt(async (warnings) => {
    const seed = checkedSeed(options.seed ?? 1);
    const p = checkedPipeline(source, options, warnings);
    const plan = buildPipeline(p).inputs;
    const owner = await randomModelOwnerValues(p, plan, seed, options.frames ?? 'even');
    const video = randomVideo(p, seed);
    // one party providing both (one owner, or emulate's single process): its file starts with
    // the video (assembleInputs' layout), the weights follow
    const { inputParty } = await import('./passes/plan-inputs.js');
    const weights = inputParty(p, p.video.owner.id) === inputParty(p, p.model.owner.id) ? owner.values.slice(video.length) : owner.values;
    if (options.weightsOut !== undefined) {
      const { formatValues } = await import('./inputs/text-format.js');
      refuseInputAsOutput(options.weightsOut, options.weightsOut, pipelineFiles(p));
      writeFileAtomic(options.weightsOut, formatValues(owner.values));
    }
    return { video, weights, frames: owner.frames, bounds: owner.bounds };
  });
}

/** How a real video is prepared (`simulate --no-face`, `--length`, `--fps`, …; see `prepare-video`); defaults as the command's. */
export type VideoPreparationOptions = Partial<VideoPreparation>;

/** Options of {@link simulate}. */
export interface SimulateApiOptions extends PipelineOptions {
  /** The video owner's input: an MP-SPDZ input file, a real video (prepared for the pipeline), or its values. */
  video: InputValues;
  /** The model owner's input (selection matrix, then the weights): a file or its values. */
  weights: InputValues;
  /** Input files of other parties, by party name or id (`--input PARTY=FILE`). */
  inputs?: Record<string, string>;
  /** Seed of the probabilistic truncation's coin flips (default 1). */
  seed?: number;
  /** Truncation after products (default: the pipeline's). */
  rounding?: Rounding;
  /** Skip the float reference (`--fixed-only`). */
  fixedOnly?: boolean;
  /** How a real video is prepared. */
  videoPreparation?: VideoPreparationOptions;
}

/** A party's values as simulate reads them, with the name its messages use. */
async function valuesOf(input: InputValues | undefined, name: string, read: (path: string) => Promise<Float64Array>): Promise<{ path: string; values: Float64Array }> {
  // a script in plain JavaScript can leave it out
  if (input === undefined) throw new UserError(`simulate needs the ${name} (a file or its values)`);
  if (typeof input === 'string') return { path: input, values: await read(input) };
  return { path: `(${name} values)`, values: Float64Array.from(input) };
}

/**
 * Runs the pipeline in the clear (`ppvc-dsl simulate`): the float32 reference next to the
 * fixed-point emulation of the generated program, with labels, their largest difference, the
 * per-layer value ranges, and the precision and bounds the values allow.
 */
export async function simulate(source: PipelineSource, options: SimulateApiOptions): Promise<Result<SimulateResult>> {
  return attempt(async (warnings) => {
    const seed = checkedSeed(options.seed ?? 1);
    const p = checkedPipeline(source, options, warnings);
    const plan = buildPipeline(p).inputs;
    const { loadVideoValues, assembleInputs } = await import('./simulate/inputs.js');
    const { readValues64 } = await import('./inputs/read-values.js');
    const { readOtherInputs } = await import('./commands/simulate-command.js');
    const video = await valuesOf(options.video, 'video', async (path) => (await loadVideoValues(path, p, { noFace: 'reuse-last', length: 'trim', ...options.videoPreparation })).values);
    const weights = await valuesOf(options.weights, 'weights', async (path) => readValues64(path));
    const specs = Object.entries(options.inputs ?? {}).map(([party, path]) => `${party}=${path}`);
    const others = readOtherInputs(p, plan, specs, { video: video.path, weights: weights.path });
    const values = assembleInputs(p, plan, { video, weights, others });
    // weights that break a declared bound are refused, as the command refuses them
    const { assertBoundsHold } = await import('./simulate/declared-bounds.js');
    assertBoundsHold(p, plan, values, weights.path);
    const { simulate: simulateClear } = await import('./simulate/simulate.js');
    const rounding = options.rounding ?? (p.target.truncation === 'nearest' ? 'nearest' : 'probabilistic');
    return simulateClear(p, plan, values, { seed, rounding, fixedOnly: options.fixedOnly });
  });
}

/** Options of {@link run}. */
export interface RunApiOptions extends PipelineOptions {
  /** The video owner's input: an MP-SPDZ input file or its values (`--video-input`). */
  video?: InputValues;
  /** The model owner's input: a file or its values (`--model-input`). */
  weights?: InputValues;
  /** Input files of other parties, by party name or id (`--input PARTY=FILE`). */
  inputs?: Record<string, string>;
  /** The MP-SPDZ tree (`--mp-spdz`; default MP_SPDZ_HOME, else the `setup-mp-spdz` build for the pipeline's ring and protocol). */
  mpSpdz?: string;
  /** The build directory (`-o`; default out/<pipeline name>). */
  outDir?: string;
  /** Add the program's helpers to the tree's Compiler/ml.py if missing (modifies the tree; `--patch-mp-spdz`). */
  patchMpSpdz?: boolean;
  /** Seconds before the parties are stopped (default 3600). */
  timeoutSeconds?: number;
  /** Append the result record (a JSON line) to this file (`--results`). */
  results?: string;
  /** Progress lines (compiling, running), as the command prints them on stderr. */
  onProgress?: (message: string) => void;
  /**
   * Start the parties even when the check in the clear refuses the run (`--ignore-precheck`):
   * its finding is then among the result's warnings, and in `record.precheck`.
   */
  ignorePrecheck?: boolean;
}

/**
 * Builds, compiles if out of date, and runs every party on this machine under MP-SPDZ
 * (`ppvc-dsl run --local`).
 * @returns the result record: the revealed outputs (`label`), wall time, data and rounds per party, per-stage timers, the compile's figures.
 */
export async function run(source: PipelineSource, options: RunApiOptions = {}): Promise<Result<{ record: ResultRecord; label?: string }>> {
  return attempt(async (warnings) => {
    // in the command's order: options, MP-SPDZ configured, the pipeline, the inputs and the check in the clear
    const timeoutSeconds = checkedTimeout(options.timeoutSeconds ?? 3600);
    await requireMpSpdz(options.mpSpdz);
    const p = checkedPipeline(source, options, warnings);
    const scratch = mkdtempSync(join(tmpdir(), 'ppvc-api-inputs-'));
    try {
      const video = await inputFile(options.video, join(scratch, 'video.txt'));
      const model = await inputFile(options.weights, join(scratch, 'weights.txt'));
      const specs = Object.entries(options.inputs ?? {}).map(([party, path]) => `${party}=${path}`);
      const files = partyInputFiles(p, { video, model, specs });
      const record = await runLocally(p, files, {
        mpSpdz: options.mpSpdz,
        out: options.outDir,
        patchMpSpdz: options.patchMpSpdz,
        timeoutSeconds,
        resultsFile: options.results,
        onProgress: options.onProgress,
        ignorePrecheck: options.ignorePrecheck,
        onWarning: (message) => warnings.push(fromCompiler({ severity: 'warning', message })),
      });
      return { record, label: record.label };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

/** A file for values given in memory (the parties read files); a path stays as it is. */
async function inputFile(input: InputValues | undefined, path: string): Promise<string | undefined> {
  if (input === undefined || typeof input === 'string') return input;
  const { formatValues } = await import('./inputs/text-format.js');
  writeFileAtomic(path, formatValues(input));
  return path;
}

/** Options of {@link importModel}. */
export interface ImportOptions {
  /** N, the video length the pipeline is written for (default 97). */
  frames?: number;
  /** n, the frames selected obliviously (default 7). */
  select?: number;
  /** The values the model expects its frames in, e.g. [-1, 1] (default ppvc-dsl's [0, 1], marked in the text as to be checked). */
  range?: [number, number] | string;
}

/**
 * Turns a Keras (.keras, .h5, to_json()) or TF.js model file into a complete, checked pipeline
 * (`ppvc-dsl import`).
 * @returns the pipeline's text and the summary `import --json` prints (shapes, parameters, layers and how they map).
 */
export async function importModel(modelPath: string, options: ImportOptions = {}): Promise<Result<{ text: string; summary: ImportSummary }>> {
  return attempt(async () => {
    const range = Array.isArray(options.range) ? options.range.join(',') : options.range;
    return importModelText(modelPath, { frames: options.frames ?? IMPORT_DEFAULTS.frames, select: options.select ?? IMPORT_DEFAULTS.select, range });
  });
}
