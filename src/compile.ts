// The compiler driver: source text -> parse -> check -> passes -> emitted artifacts.
// Pure (no file system writes): the CLI and the tests call this.
import { type Diagnostic, type SourceFile, hasErrors, warningAt } from './diagnostics.js';
import { parseSource } from './syntax/parse.js';
import { resolveModelFile } from './import/model-file.js';
import { checkPipeline } from './check/check.js';
import { checkResources } from './passes/resources.js';
import { boundBits } from './ir/ring-fit.js';
import type { Pipeline } from './ir/pipeline.js';
import { parameterCount } from './ir/pipeline.js';
import { irPasses, planInputs, programLayers, usedBounds, type MpcLayer } from './passes/index.js';
import { optimizationWarnings, type OptimizationSet } from './target/optimizations.js';
import { emitProgram, type EmitStyle } from './emit/mpc-program.js';
import type { BuildArtifacts } from './emit/artifacts.js';
import { renderMlPatch } from './emit/ml-patch.js';
import { compileCommand, localRunCommand, partyCommands } from './emit/commands.js';
import { PROTOCOLS, type ProtocolName } from './target/protocols.js';
import { shellQuote } from './util/shell.js';
import { join } from 'node:path';

export interface CheckOutcome {
  pipeline?: Pipeline;
  diagnostics: Diagnostic[];
}

export interface BuildOptions {
  /** Overrides the pipeline's `target { protocol ... }`. */
  protocol?: ProtocolName;
  /** Overrides the pipeline's `target { ring ... }` (checked as the statement would be). */
  ring?: number;
  /** Overrides the pipeline's `target { precision F K }` (checked as the statement would be). */
  precision?: { f: number; k: number };
  /** Overrides the pipeline's `target { budget ... }` (compile.py -b). */
  budget?: number;
  /** `seed` emits the paper's frame-by-frame approach, the baseline of measurements: every
   * optimisation off. */
  style?: EmitStyle;
  /** Optimisations switched on or off on top of the style's (`--opt`; target/optimizations.ts). */
  optimizations?: Partial<OptimizationSet>;
  /** Build even if the memory estimate exceeds this machine (passes/resources.ts). */
  force?: boolean;
}

export type { BuildArtifacts } from './emit/artifacts.js';

export function checkSource(file: SourceFile, opts: BuildOptions = {}): CheckOutcome {
  const parsed = parseSource(file);
  if (!parsed.ast) return { diagnostics: parsed.diagnostics };
  // the resolve step: a model file is read here, so that the check reads no files
  const modelFile = resolveModelFile(file, parsed.ast);
  const { protocol, ring: ringBits, precision, budget, style, optimizations } = opts;
  const checked = checkPipeline(file, parsed.ast, { protocol, ringBits, precision, budget, style, optimizations }, modelFile);
  if (!checked.pipeline) return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics] };
  // the passes on the IR itself (passes/index.ts): what inputs.json, the reference and the
  // program all see; a new pipeline, the checked one is left as it was
  const pipeline = irPasses(checked.pipeline);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics, ...optimizationWarnings(pipeline.target).map((w) => warningAt(undefined, w))];
  // the program's layer graph, computed once for the pipeline (passes/program-layers.ts)
  const layers = programLayers(pipeline);
  diagnostics.push(...unusedBounds(pipeline, layers));
  const tooBig = checkResources(pipeline, layers, opts.force ?? false);
  if (tooBig.length > 0) return { diagnostics: [...diagnostics, ...tooBig] };
  return { pipeline, diagnostics };
}

/** A warning for each declared bound that narrows no comparison of the program, saying why. */
function unusedBounds(p: Pipeline, layers: MpcLayer[]): Diagnostic[] {
  const t = p.target;
  if (t.bounds.length === 0) return [];
  if (!t.optimizations['narrow-compare']) {
    return [warningAt(t.bounds[0]!.span, `the target's bounds narrow no comparison: narrow-compare is off (${t.optimizations['vector-layers'] ? '--opt no-narrow-compare' : 'the seed style'})`)];
  }
  const used = usedBounds(p, layers);
  const out: Diagnostic[] = [];
  for (const b of t.bounds) {
    if (used.has(b.layer) || boundBits(b.value, t.f) >= t.k) continue;
    const l = p.model.layers.find((x) => x.name === b.layer || ('folded' in x && x.folded?.name === b.layer));
    const why =
      l?.op === 'relu'
        ? `a ReLU's comparison tests the values it reads: bound ${l.inputs.map((i) => `'${i}'`).join(', ')} instead`
        : l && 'folded' in l && l.folded && l.name === b.layer
          ? `'${l.folded.name}' is folded into it, so the program never holds its own values: bound '${l.folded.name}' instead`
          : 'no ReLU or max pooling of the program tests its values';
    out.push(warningAt(b.span, `bound ${b.layer} narrows no comparison: ${why}`));
  }
  return out;
}

/** The artifacts of a checked pipeline, with the optimisations checkSource chose (target.optimizations). */
export function buildPipeline(pipeline: Pipeline): BuildArtifacts {
  const optimizations = pipeline.target.optimizations;
  const layers = programLayers(pipeline);
  const inputs = planInputs(pipeline);
  const { code, helpers } = emitProgram(pipeline, layers, inputs, optimizations);
  const mlPatch = renderMlPatch(helpers);
  const files: Record<string, string> = {
    [`${pipeline.name}.mpc`]: code,
    'inputs.json': JSON.stringify(inputs, null, 2) + '\n',
    'commands.json': JSON.stringify(commandsSummary(pipeline, mlPatch !== ''), null, 2) + '\n',
  };
  if (mlPatch) files['ml.py.patch'] = mlPatch;
  return { pipeline, inputs, program: code, helpers, mlPatch, files, style: Object.values(optimizations).some((on) => on) ? 'optimized' : 'seed', optimizations, layerNames: layers.map((l) => l.from) };
}

/**
 * Where the steps find things. `out`: build's output directory, or undefined for file names
 * relative to it (commands.json's convention: the steps start there). `mpSpdz`: the MP-SPDZ
 * directory, or undefined for "$MP_SPDZ_HOME".
 */
export interface StepPaths {
  out?: string;
  mpSpdz?: string;
}

/**
 * The shell commands that prepare an MP-SPDZ tree for the program, in order; after them the
 * working directory is the MP-SPDZ tree, where the compile and run commands run. Each works
 * when pasted as written: files of the output directory are named before the `cd`, and
 * `patch --forward --batch` neither asks questions nor applies the patch twice.
 * `patch`: whether the program needs ml.py.patch (build writes it only then).
 */
export function setupSteps(p: Pipeline, patch: boolean, paths: StepPaths = {}): string[] {
  const mp = paths.mpSpdz !== undefined ? shellQuote(paths.mpSpdz) : '"$MP_SPDZ_HOME"';
  const outFile = (f: string) => (paths.out !== undefined ? shellQuote(join(paths.out, f)) : shellQuote(f));
  const sub = (dir: string) => (paths.mpSpdz !== undefined ? shellQuote(join(paths.mpSpdz, dir) + '/') : `"$MP_SPDZ_HOME/${dir}/"`);
  return [
    ...(patch ? [`patch -d ${mp} -p1 --forward --batch --reject-file=- --no-backup-if-mismatch < ${outFile('ml.py.patch')}`] : []),
    `cp ${outFile(`${p.name}.mpc`)} ${sub('Programs/Source')}`,
    `cd ${mp}`,
    `Scripts/setup-ssl.sh ${PROTOCOLS[p.target.protocol].parties}`,
  ];
}

/** What to do with each party's input file (words, not a command: the files are the parties'). */
export function inputsStep(paths: StepPaths = {}): string {
  const layout = paths.out !== undefined ? join(paths.out, 'inputs.json') : 'inputs.json';
  return `each party's input file in Player-Data/Input-P<party>-0 of the MP-SPDZ directory (layout: ${layout})`;
}

/** commands.json: the same for every machine, so its paths follow a stated convention. */
export function commandsSummary(p: Pipeline, patch: boolean) {
  const profile = PROTOCOLS[p.target.protocol];
  return {
    pipeline: p.name,
    protocol: p.target.protocol,
    parties: profile.parties,
    parameters: parameterCount(p.model),
    directories:
      "the steps start in build's output directory (the one holding this file) with MP_SPDZ_HOME set to the MP-SPDZ directory; " +
      "from 'cd \"$MP_SPDZ_HOME\"' on, and for compile, runLocal and runParties, the working directory is the MP-SPDZ directory",
    steps: setupSteps(p, patch),
    inputs: inputsStep(),
    compile: compileCommand(p).join(' '),
    runLocal: localRunCommand(p).join(' '),
    runParties: partyCommands(p).map((c) => ({ party: c.party, command: c.argv.join(' ') })),
  };
}

export function compileSource(file: SourceFile, opts: BuildOptions = {}): { artifacts?: BuildArtifacts; diagnostics: Diagnostic[] } {
  const checked = checkSource(file, opts);
  if (!checked.pipeline || hasErrors(checked.diagnostics)) return { diagnostics: checked.diagnostics };
  return { artifacts: buildPipeline(checked.pipeline), diagnostics: checked.diagnostics };
}
