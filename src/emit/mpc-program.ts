// Emits the MP-SPDZ program (.mpc) for a checked pipeline: one stage per step of the paper's
// protocol, each commented and timed, formatted with Ruff, byte-for-byte deterministic.
// The preamble is in mpc-header.ts, the CNN's layer objects in mpc-layers.ts, their Python
// names in python-names.ts; this file puts the stages together.
import { frameSize, selectedFrames, type Pipeline } from '../ir/pipeline.js';
import type { MpcLayer } from '../passes/lower-layers.js';
import { inputParty, type InputPlan } from '../passes/plan-inputs.js';
import { selectionBlock } from '../passes/matrix-blocks.js';
import type { HelperName } from './runtime/helpers.js';
import { formatPython } from './python-format.js';
import type { OptimizationSet } from '../target/optimizations.js';
import { divisionOf } from '../ir/ring-fit.js';
import { headerComment, programSettings } from './mpc-header.js';
import { layerSection, list, tuple } from './mpc-layers.js';
import { layerVariables } from './python-names.js';
import { STAGE_TIMERS } from './timers.js';

export { LAYER_TIMER_BASE, STAGE_TIMERS } from './timers.js';

export interface EmittedProgram {
  code: string;
  helpers: HelperName[];
}

/**
 * `optimized` (default): all selected frames as one batch through the CNN, vectorised pooling.
 * `seed`: the approach of the paper's hand-written PPVC.mpc, kept as the baseline of every
 * measurement: frames one after another through MP-SPDZ's stock layers (FixAveragePool2d,
 * MaxPool), weights still read once.
 */
export type EmitStyle = 'optimized' | 'seed';

/** What the stages share. */
interface StageContext {
  p: Pipeline;
  /** Frames one after another (the seed's approach) unless batched. */
  seed: boolean;
  /** The first layer object (it holds the frames) and the last (it holds the logits). */
  first: string;
  last: string;
  /** ml.py helpers the program uses (ml-patch.ts adds them to MP-SPDZ). */
  helpers: Set<HelperName>;
}

/**
 * The program for `p`, whose CNN is the lowered `layers`. Each layer object's Python variable
 * is chosen once, here (python-names.ts), as the stages after the first refer to the objects
 * that hold the frames and the logits by name.
 */
export function emitProgram(p: Pipeline, layers: MpcLayer[], inputs: InputPlan, opt: OptimizationSet): EmittedProgram {
  const seed = !opt['batch-frames'];
  const names = layerVariables(layers);
  const helpers = new Set<HelperName>();
  const c: StageContext = { p, seed, first: names[0]!, last: names[names.length - 1]!, helpers };
  const lines = [
    ...headerComment(p, inputs, opt),
    ...programSettings(p),
    ...stage(STAGE_TIMERS.inputs, 'Stage 1: read every input exactly once, in the order of inputs.json', [
      ...privateInputs(p),
      ...layerSection({ layers, names, batch: seed ? 1 : selectedFrames(p), target: p.target, opt, owner: inputParty(p, p.model.owner.id), helpers }),
    ]),
    ...stage(STAGE_TIMERS.selection, 'Stage 2: frame selection', frameSelection(c)),
    ...(seed
      ? stage(STAGE_TIMERS.cnn, `Stage 3: the CNN, one frame after another (${Object.values(opt).some((on) => on) ? 'batch-frames off' : 'seed style'})`, cnnFrameByFrame(c))
      : stage(STAGE_TIMERS.cnn, 'Stage 3: the CNN on all selected frames as one batch', cnnBatched(c))),
    ...stage(STAGE_TIMERS.frameOutput, 'Stage 4: per-frame output', frameOutput(c)),
    ...stage(STAGE_TIMERS.aggregation, 'Stage 5: label aggregation', aggregation(c)),
    ...reveals(p),
  ];
  return { code: formatPython(lines.join('\n') + '\n'), helpers: [...helpers].sort() };
}

/** A stage: its heading, its lines between its timer's start and stop, a blank line. */
function stage(timer: number, title: string, body: string[]): string[] {
  return [`# ---- ${title} ----`, `start_timer(${timer})`, ...body, `stop_timer(${timer})`, ''];
}

/** The video, and the chooser's secret selection matrix: each party's private data, read once. */
function privateInputs(p: Pipeline): string[] {
  const out = [
    'INPUT_BUDGET = 10**7',
    'video = sfix.Matrix(N_FRAMES, HEIGHT * WIDTH * CHANNELS)  # [N, h*w*c], row-major frames',
    `video.input_from(${inputParty(p, p.video.owner.id)}, budget=INPUT_BUDGET)`,
  ];
  if (p.selection.kind === 'oblivious') {
    out.push(`selection = sint.Matrix(SELECTED, N_FRAMES)  # secret 0/1 matrix of ${p.selection.chooser.name}`);
    out.push(`selection.input_from(${inputParty(p, p.selection.chooser.id)}, budget=INPUT_BUDGET)`);
  }
  return out;
}

/**
 * The selected frames: obliviously by a matrix product, or publicly by index. Batched, they
 * go straight into the first layer object; frame by frame, into `frames` for the loop.
 */
function frameSelection(c: StageContext): string[] {
  const p = c.p;
  if (p.selection.kind === 'oblivious') {
    const block = selectionBlock(p.selection.count, p.video.frames, frameSize(p.video), p.target);
    if (block) c.helpers.add('matmul');
    return [
      '# Oblivious: the secret n x N 0/1 matrix times the secret N x (h*w*c) video. An integer',
      '# (sint) times fixed-point (sfix) matrix product needs no truncation.',
      ...(block
        ? [`# As matrix products in blocks of ${block.join(' x ')} (matrix-products).`, `frames = ml.ppvc_select_frames(selection, video, block=${tuple(block)})`]
        : ['frames = selection.dot(video)']),
      ...(c.seed ? [] : [`${c.first}.Y.assign_vector(${block ? 'frames' : 'frames.get_vector()'})  # the input object holds the frames`]),
    ];
  }
  const out = ['# Public selection: every party knows which frames are used (only their content is secret).', `PUBLIC_FRAMES = ${list(p.selection.indices)}`];
  if (c.seed) out.push('frames = sfix.Matrix(SELECTED, HEIGHT * WIDTH * CHANNELS)', 'for i, frame in enumerate(PUBLIC_FRAMES):', '    frames[i].assign_vector(video[frame].get_vector())');
  else out.push('for i, frame in enumerate(PUBLIC_FRAMES):', `    ${c.first}.Y[i].assign_vector(video[frame].get_vector())`);
  return out;
}

/** Stage 3 batched: one forward pass over every selected frame. */
function cnnBatched(c: StageContext): string[] {
  return ['cnn = ml.Optimizer(layers, time_layers=True)', 'cnn.forward(N=SELECTED)', `logits = ${c.last}.Y.get_vector()  # SELECTED x CLASSES, frame-major`];
}

/**
 * Stage 3 frame by frame (the seed's approach): a loop copies each frame into the first
 * layer object and its logits out of the last. The copies use the loop index as an address
 * in a register, which MP-SPDZ would otherwise reorder against the layers' memory accesses.
 */
function cnnFrameByFrame(c: StageContext): string[] {
  c.helpers.add('ordered');
  return [
    'cnn = ml.Optimizer(layers, time_layers=True)',
    'per_frame = sfix.Matrix(SELECTED, CLASSES)',
    '',
    '',
    '@for_range(SELECTED)',
    'def _(i):',
    '    # copies at the loop index (addresses in a register): kept in program order',
    '    with ml._ppvc_ordered_memory():',
    `        ${c.first}.Y.assign_vector(frames[i].get_vector())`,
    '    cnn.forward(N=1)',
    '    with ml._ppvc_ordered_memory():',
    `        per_frame[i].assign_vector(${c.last}.Y.get_vector())`,
    '',
    '',
    'logits = per_frame.get_vector()  # SELECTED x CLASSES, frame-major',
  ];
}

/** Stage 4: each frame's logits to its per-class outputs (`per_class[j]`: class j of every frame). */
function frameOutput(c: StageContext): string[] {
  const p = c.p;
  const C = p.classes;
  const out: string[] = [];
  switch (p.frameOutput) {
    case 'relu_normalized': {
      c.helpers.add('relu_softmax');
      const d = divisionOf(p)!;
      const beyond = d.sumBits > p.target.k ? `, beyond sfix's k = ${p.target.k}` : '';
      out.push(
        "# The paper's approximate softmax: relu(u_i) / sum_j relu(u_j), or 1/C if that sum is 0.",
        `# Each frame's sum of ${C} values below sfix's limit needs ${d.sumBits} bits${beyond}: an integer,`,
        `# normalised (Norm) into [1/2, 1) and divided by ${d.iterations} Goldschmidt steps on ${d.bits} fractional bits.`,
        `per_class = ml.ppvc_relu_normalized_softmax(logits, SELECTED, CLASSES, division=${tuple([d.sumBits, d.bits, d.iterations])})`,
      );
      break;
    }
    case 'softmax': {
      c.helpers.add('exact_softmax');
      const d = divisionOf(p)!;
      out.push(
        `# MP-SPDZ's exponentials; their sum, up to sfix's limit itself, in an integer of ${d.sumBits} bits,`,
        `# normalised (Norm) into [1/2, 1) and divided by ${d.iterations} Goldschmidt steps on ${d.bits} fractional bits.`,
        `per_class = ml.ppvc_exact_softmax(logits, SELECTED, CLASSES, division=${tuple([d.sumBits, d.bits, d.iterations])})`,
      );
      break;
    }
    case 'logits':
      out.push('# Raw logits: no normalisation; class j of every frame picked from the registers with a stride.', 'per_class = [logits.get_vector(j, SELECTED, CLASSES) for j in range(CLASSES)]');
      break;
  }
  out.push('# per_class[j] holds class j of every selected frame');
  return out;
}

/**
 * Stage 5: the per-class outputs to one secret label. The Python variable is always `label`;
 * the pipeline's name for it is only printed (it could clash with a name the program uses).
 */
function aggregation(c: StageContext): string[] {
  c.helpers.add('argmax');
  const votes =
    c.p.aggregation.kind === 'sum'
      ? ['# Sum the per-frame outputs of each class, then a secure argmax (ties: lowest class).', 'aggregate = [sum(column) for column in per_class]']
      : ['# Majority vote: each frame votes for its own argmax (ties: lowest class); the most', '# voted class wins (ties: lowest class).', 'votes_per_frame = ml.ppvc_argmax_onehot(per_class)', 'aggregate = [sum(column) for column in votes_per_frame]'];
  return [...votes, 'label = ml.ppvc_argmax(aggregate)'];
}

/** The only opens: each declared value to each of its receivers (the audit checks just that). */
function reveals(p: Pipeline): string[] {
  const out = ['# ---- Output: open only the declared values, only to their receivers ----'];
  for (const rv of p.reveals) {
    for (const to of rv.to) {
      if (rv.value === 'label') out.push(`print_ln_to(${to.id}, "${rv.name}: %s", label.reveal_to(${to.id}))`);
      else out.push(`print_ln_to(${to.id}, "${rv.name}: ${Array(p.classes).fill('%s').join(' ')}", *[x.reveal_to(${to.id}) for x in aggregate])`);
    }
  }
  return out;
}
