// The `import` and `export-weights` commands' work, apart from the command line itself.
import { UserError, type Diagnostic } from '../diagnostics.js';
import { layerParams, product, type Pipeline } from '../ir/pipeline.js';
import { buildPipeline } from '../compile.js';
import { importAsDsl, resolveModelPath } from '../import/model-file.js';
import { exportModelWeights } from '../import/export-weights.js';
import { formatLayerCounts } from '../import/to-dsl.js';
import { checkLayers } from '../check/layers.js';
import { foldBatchnorm } from '../passes/fold-batchnorm.js';
import type { LayerStatement } from '../syntax/ast.js';
import { inputParty } from '../passes/plan-inputs.js';
import { validatePartyInput } from '../inputs/validate.js';
import { evenlySpaced, everyKth, selectionMatrix } from '../inputs/random-inputs.js';

export interface ImportSummary {
  file: string;
  format: string;
  inputShape: number[];
  outputShape: number[];
  /** The file's parameters; `pipelineParameters`: the pipeline's (check's and build's count), `parameterCount` says why they differ. */
  parameters: number;
  pipelineParameters: number;
  parameterCount: string;
  finalSoftmax: boolean;
  /** The file's layers (the input layer included); `dsl` has the pipeline's layer lines. */
  layers: { name: string; class: string; op: string; outputShape: number[]; parameters: number }[];
  notes: string[];
  dsl: string[];
  /** Why `layers` and `dsl` differ in length, in words (formatLayerCounts). */
  layerCount: string;
  /** The video's value range written into the pipeline, and whether it is the default (unchecked). */
  range: [number, number];
  rangeGiven: boolean;
}

/** The range `import` writes without --range: ppvc-dsl's default, which the user must check. */
export const DEFAULT_RANGE: [number, number] = [0, 1];

/** --range LO,HI (or [LO, HI]): two finite numbers with LO < HI. */
export function parseRange(spec: string): [number, number] {
  const parts = spec.trim().replace(/^\[|\]$/g, '').split(',').map((x) => x.trim());
  const nums = parts.map((x) => (x === '' ? NaN : Number(x)));
  if (nums.length !== 2 || !nums.every(Number.isFinite)) throw new UserError(`--range ${spec}: expected two numbers LO,HI such as -1,1 (the values the model expects its input frames in)`);
  if (!(nums[0]! < nums[1]!)) throw new UserError(`--range ${spec}: LO must be below HI`);
  return [nums[0]!, nums[1]!];
}

export function importPipelineText(path: string, opts: { frames: number; select: number; range?: [number, number] }): { text: string; summary: ImportSummary } {
  // quietly writing `select N frames` instead would hide the mistake
  if (opts.select > opts.frames) throw new UserError(`--select ${opts.select}: the selection cannot exceed the frame count (--frames ${opts.frames})`);
  const diags: Diagnostic[] = [];
  const loaded = importAsDsl(path, diags);
  if (!loaded) throw new UserError(diags);
  const m = loaded.model;
  const [h, w, c] = m.inputShape.length === 3 ? m.inputShape : [1, 1, m.inputShape[0]!];
  const name = (m.name ?? 'imported').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^[^A-Za-z_]+/, '') || 'imported';
  const range = opts.range ?? DEFAULT_RANGE;
  const counted = pipelineCounts(loaded.statements, m.inputShape);
  const layerCount = formatLayerCounts(loaded.dsl.counts) + counted.layers;
  const parameterCount =
    counted.parameters === undefined || counted.parameters === m.parameterCount
      ? `${m.parameterCount} parameters`
      : `${m.parameterCount} parameters in the file, ${counted.parameters} in the pipeline (a batch normalisation's gamma, beta, mean and ` +
        'variance become a scale and a shift, folded into the layer before where it can be)';
  const rangeComment = opts.range
    ? []
    : comment(
        `range [${range[0]}, ${range[1]}] is ppvc-dsl's default, not read from the model file: check it against the model's training ` +
          'preprocessing and change it (the Human emotion model, for one, expects [-1, 1]), or import with --range LO,HI.',
      );
  const text = [
    ...comment(`Imported by ppvc-dsl from ${path} (${m.format}${m.kerasVersion ? `, ${m.kerasVersion}` : ''}): ${parameterCount}.`),
    ...comment(`${layerCount[0]!.toUpperCase()}${layerCount.slice(1)}.`),
    ...loaded.dsl.notes.map((n) => `# Note: ${n}.`),
    `pipeline ${name}`,
    '',
    'party alice = 0          # owns the video, receives the label',
    'party bob   = 1          # owns the model, chooses the frames',
    '',
    ...rangeComment,
    `video frames: [${opts.frames}, ${h}, ${w}, ${c}] from alice  range [${range[0]}, ${range[1]}]`,
    `select ${opts.select} frames by bob`,
    '',
    'model net by bob {',
    ...loaded.dsl.lines.map((l) => `  ${l}`),
    '}',
    '',
    'classify each frame with net, softmax relu_normalized',
    'label = argmax(sum)',
    'reveal label to alice',
    '',
  ].join('\n');
  const summary: ImportSummary = {
    file: path,
    format: m.format,
    inputShape: m.inputShape,
    outputShape: m.outputShape,
    parameters: m.parameterCount,
    pipelineParameters: counted.parameters ?? m.parameterCount,
    parameterCount,
    finalSoftmax: loaded.dsl.finalSoftmax,
    layers: m.layers.map((l) => ({ name: l.name, class: l.className, op: l.op, outputShape: l.outputShape, parameters: l.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0) })),
    notes: loaded.dsl.notes,
    dsl: loaded.dsl.lines,
    layerCount,
    range,
    rangeGiven: opts.range !== undefined,
  };
  return { text, summary };
}

/**
 * What `check` and `build` count: the layers after folding batch normalisations into the layer
 * before (the default; --opt no-fold-batchnorm keeps them), said when that changes the count,
 * and those layers' parameters.
 */
function pipelineCounts(statements: LayerStatement[], inputShape: number[]): { layers: string; parameters?: number } {
  const layers = checkLayers(statements, inputShape, []);
  if (!layers) return { layers: '' };
  const program = foldBatchnorm(layers);
  const parameters = program.flatMap(layerParams).reduce((s, t) => s + product(t.shape), 0);
  const folded = layers.length - program.length;
  if (folded === 0) return { layers: '', parameters };
  return { layers: `; check and build count ${program.length}, as they fold ${folded} batch normalisation${folded === 1 ? '' : 's'} into the layer before`, parameters };
}

/** Text as `# ` comment lines of at most about `width` characters (a long word stays whole). */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length > 1 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

/** The model owner's whole input file: selection matrix (if they choose) then parameters. */
export function modelOwnerFile(p: Pipeline, opts: { model?: string; frames: string }): { party: number; values: Float32Array; source: string; files: string[] } {
  const modelPath = opts.model ?? (p.model.source.kind === 'file' ? resolveModelPath(p.sourcePath, p.model.source.path) : undefined);
  if (!modelPath) throw new UserError("the pipeline's model is written inline: name the model file with weights with --model FILE");
  const files: string[] = [];
  const weights = exportModelWeights(p, modelPath, files);
  const plan = buildPipeline(p).inputs;
  const party = inputParty(p, p.model.owner.id);
  const entry = plan.parties.find((x) => x.party === party)!;
  const values = new Float32Array(entry.elements);
  for (const t of entry.tensors) {
    let v: Float32Array | undefined;
    if (t.role === 'parameter') v = weights.get(t.name);
    else if (t.role === 'selection') v = selectionMatrix(p.video.frames, frameList(opts.frames, p.video.frames, t.shape[0]!));
    else throw new UserError(`party ${party} also provides the video; export-weights writes the model owner's file only when the video comes from another party`);
    if (!v || v.length !== t.elements) throw new UserError(`${modelPath}: no weights of ${t.elements} values for ${t.name}`);
    values.set(v, t.offset);
  }
  validatePartyInput(`the values exported from ${modelPath}`, entry, values, p.target);
  return { party, values, source: modelPath, files };
}

export function frameList(spec: string, frames: number, n: number): number[] {
  let list: number[];
  if (spec === 'even') list = evenlySpaced(frames, n);
  else if (/^every:\d+$/.test(spec)) {
    const k = Number(spec.slice(6));
    if (k < 1) throw new UserError(`--frames ${spec}: K must be at least 1 (every:1 is every frame)`);
    list = everyKth(frames, n, k);
  } else if (/^\d+(,\d+)*$/.test(spec)) list = spec.split(',').map(Number);
  else throw new UserError(`--frames ${spec}: expected 'even', 'every:K' or a list such as 0,15,30`);
  const beyond = list.find((f) => f >= frames);
  if (beyond !== undefined) throw new UserError(`--frames ${spec}: frame ${beyond} is beyond the video, whose ${frames} frames are 0..${frames - 1}`);
  if (list.length !== n) throw new UserError(`--frames ${spec}: gives ${list.length} frame${list.length === 1 ? '' : 's'} below ${frames}; the pipeline selects ${n}`);
  const twice = list.find((f, i) => list.indexOf(f) !== i);
  if (twice !== undefined) throw new UserError(`--frames ${spec}: frame ${twice} is listed twice; a selection picks ${n} different frames`);
  return list;
}
