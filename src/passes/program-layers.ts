// The program's layer graph: the IR lowered to MP-SPDZ layer objects, then the passes on the
// lowered graph that the target's optimisations switch on, in the order of passes/index.ts.
// The memory estimate, the bound checks and the emitter all read this one graph.
import type { Pipeline } from '../ir/pipeline.js';
import { selectedFrames } from '../ir/pipeline.js';
import { lowerLayers, type MpcLayer } from './lower-layers.js';
import { reluAfterMaxpool } from './relu-after-maxpool.js';
import { skipUnread } from './skip-unread.js';
import { reluIntoAvgpool } from './relu-into-avgpool.js';
import { truncAfterPool } from './trunc-after-pool.js';
import { narrowComparisons } from './narrow-comparisons.js';

/**
 * The layer graphs computed so far, by pipeline. The driver returns a pipeline it no longer
 * changes (compile.ts checkSource), so the memory estimate, the bound checks and the emitter
 * share one lowering; a caller that changes a pipeline makes a new object (bench/benchmark.ts).
 */
const computed = new WeakMap<Pipeline, MpcLayer[]>();

/** The program's layer objects: the IR lowered, then the passes on the lowered graph that the optimisations switch on. */
export function programLayers(pipeline: Pipeline): MpcLayer[] {
  let layers = computed.get(pipeline);
  if (!layers) computed.set(pipeline, (layers = lowerProgram(pipeline)));
  return layers;
}

function lowerProgram(pipeline: Pipeline): MpcLayer[] {
  const optimizations = pipeline.target.optimizations;
  const lowered = lowerLayers(pipeline.model.layers, pipeline.model.inputShape, { separateDenseRelu: optimizations['vector-layers'] });
  const commuted = optimizations['relu-maxpool'] ? reluAfterMaxpool(lowered) : lowered;
  const trimmed = optimizations['skip-unread'] ? skipUnread(commuted) : commuted;
  // after skip-unread, which shrinks a ReLU and its pooling as separate layers
  const fused = optimizations['relu-avgpool'] ? reluIntoAvgpool(trimmed) : trimmed;
  const batch = optimizations['batch-frames'] ? selectedFrames(pipeline) : 1;
  const raw = optimizations['trunc-after-pool'] ? truncAfterPool(fused, pipeline.target, batch) : fused;
  return optimizations['narrow-compare'] ? narrowComparisons(raw, pipeline.model.layers, pipeline.target).layers : raw;
}

/**
 * The declared bounds that narrow a comparison of the program (none with narrow-compare off):
 * the ones the weights must keep. `layers`: the program's (narrowing them again changes nothing).
 */
export function usedBounds(p: Pipeline, layers: MpcLayer[] = programLayers(p)): Set<string> {
  const t = p.target;
  if (t.bounds.length === 0 || !t.optimizations['narrow-compare']) return new Set();
  return narrowComparisons(layers, p.model.layers, t).used;
}
