// Resource bounds: an estimate, before anything is compiled, of the memory one party's
// MP-SPDZ process needs for the program (every tensor is allocated up front), so that a
// pipeline the machine cannot hold is refused with the figure instead of failing mid-run.
import { totalmem } from 'node:os';
import { type Diagnostic, errorAt } from '../diagnostics.js';
import type { Pipeline } from '../ir/pipeline.js';
import { frameSize, modelParams, product, selectedFrames } from '../ir/pipeline.js';
import type { ProtocolName } from '../target/protocols.js';
import type { MpcLayer } from './lower-layers.js';
import { convolutionBlock } from './matrix-blocks.js';

/** Bytes one secret value takes in one party's memory (shares, and MACs where the protocol has them). */
const BYTES_PER_VALUE: Record<ProtocolName, number> = {
  semi2k: 8,
  // a prime of 128 bits: two 64-bit limbs (Math/gfp.h), and lowgear's MAC share beside it
  hemi: 16,
  temi: 16,
  spdz2k: 32,
  lowgear: 32,
  'dealer-ring': 8,
  'replicated-ring': 16,
  'sy-rep-ring': 32,
  'rep4-ring': 24,
  emulate: 8,
};

export interface MemoryEstimate {
  values: number;
  bytes: number;
  /** What the machine this runs on has. */
  available: number;
}

/** `layers`: the program's layer objects (compile.ts, programLayers). */
export function estimateMemory(p: Pipeline, layers: MpcLayer[]): MemoryEstimate {
  const n = selectedFrames(p);
  let values = p.video.frames * frameSize(p.video) + (p.selection.kind === 'oblivious' ? p.selection.count * p.video.frames : 0);
  values += n * frameSize(p.video); // the selected frames
  let largest = 0;
  for (const l of p.model.layers) {
    const out = n * product(l.outShape);
    // outputs, plus an unreduced buffer for the linear layers
    values += out * (l.op === 'conv2d' || l.op === 'depthwise_conv2d' || l.op === 'dense' ? 2 : 1);
    largest = Math.max(largest, out);
  }
  // a ReLU fused into an average pooling (passes/relu-into-avgpool.ts): its bits in memory,
  // and for every window position its inputs and bits as vector registers at once, with
  // their address vectors (8 bytes each)
  const frames = p.target.optimizations['batch-frames'] ? n : 1;
  for (const l of layers) {
    if (l.kind !== 'avgpool' || !l.relu) continue;
    const gathered = 2 * l.pool[0] * l.pool[1] * frames * product(l.outShape);
    values += frames * product(l.inShape) + gathered + Math.ceil((gathered * 8) / BYTES_PER_VALUE[p.target.protocol]);
  }
  values += modelParams(p.model).reduce((s, t) => s + product(t.shape), 0);
  values += 4 * largest; // the vector registers of the largest layer's comparisons
  values += matrixProductValues(p, layers, frames);
  return { values, bytes: values * BYTES_PER_VALUE[p.target.protocol], available: totalmem() };
}

const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** An error when one party would need more than 80% of this machine's memory. */
export function checkResources(p: Pipeline, layers: MpcLayer[], force: boolean): Diagnostic[] {
  const e = estimateMemory(p, layers);
  if (force || e.bytes <= 0.8 * e.available) return [];
  return [
    errorAt(p.model.layers[0]?.span, `this pipeline needs about ${gb(e.bytes)} of memory per party under ${p.target.protocol} (${e.values.toExponential(2)} secret values), more than this machine can give (${gb(e.available)})`, {
      hints: ['select fewer frames, use a smaller model, or pass --force to build it anyway (for a bigger machine)'],
    }),
  ];
}

/**
 * The temporaries of the largest matrix-products convolution (matmul.py: the padded input, the
 * gathered left factor as a vector and as a padded matrix, the weights' matrix, the result and
 * its vector, and the gather's 8-byte addresses); each convolution frees its own before the
 * next, so the largest one counts.
 */
function matrixProductValues(p: Pipeline, layers: MpcLayer[], frames: number): number {
  let most = 0;
  for (const l of layers) {
    if (l.kind !== 'conv2d' || !convolutionBlock(l, frames, p.target)) continue;
    const [oh, ow, out] = l.outShape as [number, number, number];
    const rows = frames * oh * ow;
    const inner = l.kernel[0] * l.kernel[1] * l.inShape[2]!;
    const addresses = Math.ceil((rows * inner * 8) / BYTES_PER_VALUE[p.target.protocol]);
    most = Math.max(most, frames * product(l.inShape) + 2 * rows * inner + addresses + inner * out + 2 * rows * out);
  }
  return most;
}
