// Seeded synthetic inputs for tests and benchmarks: He-uniform weights (Keras'
// he_uniform: U(-sqrt(6/fan_in), +sqrt(6/fan_in)), zero biases) and selection matrices.
import { frameSize, type Pipeline } from '../ir/pipeline.js';
import type { InputPlan, InputTensor } from '../passes/plan-inputs.js';

/** A small, fast, seedable generator of uint32 values (mulberry32): the same seed gives the same numbers everywhere. */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform numbers in [0, 1) from seededUint32. */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}

/** Frame indices every `step` frames from 0 (the seed used every 15th), at most `count`. */
export function everyKth(frames: number, count: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count && i * step < frames; i++) out.push(i * step);
  return out;
}

/** `count` frames spread evenly over the video. */
export function evenlySpaced(frames: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * frames) / count));
}

/** The n x N 0/1 selection matrix, row-major, that picks `indices` in order. */
export function selectionMatrix(frames: number, indices: number[]): Float32Array {
  const m = new Float32Array(indices.length * frames);
  indices.forEach((f, row) => {
    m[row * frames + f] = 1;
  });
  return m;
}

export function heUniform(t: InputTensor, rand: () => number): Float32Array {
  const out = new Float32Array(t.elements);
  if (t.name.endsWith('.bias')) return out;
  const fanIn = t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / fanIn);
  for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

/**
 * Values for every tensor a party provides, in file order: He-uniform parameters, the given
 * frame indices as the selection matrix, and (for the video owner) `video` if provided.
 */
export function partyValues(
  plan: InputPlan,
  pipeline: Pipeline,
  party: number,
  opts: { seed: number; frames?: number[]; video?: Float32Array },
): Float32Array {
  const entry = plan.parties.find((p) => p.party === party);
  if (!entry) return new Float32Array(0);
  const out = new Float32Array(entry.elements);
  const rand = seededRandom(opts.seed);
  for (const t of entry.tensors) {
    let values: Float32Array;
    if (t.role === 'video') {
      if (opts.video) values = opts.video;
      else {
        values = new Float32Array(t.elements);
        for (let i = 0; i < values.length; i++) values[i] = rand();
      }
    } else if (t.role === 'selection') {
      const n = t.shape[0]!;
      const frames = opts.frames ?? evenlySpaced(pipeline.video.frames, n);
      values = selectionMatrix(pipeline.video.frames, frames);
    } else values = heUniform(t, rand);
    if (values.length !== t.elements) throw new Error(`${t.name}: ${values.length} values for ${t.elements} elements`);
    out.set(values, t.offset);
  }
  return out;
}

/**
 * A video of the pipeline's shape, uniform in its declared range, from another stream of the
 * generator than the weights' (so that the same seed gives independent video and weights).
 */
export function randomVideo(p: Pipeline, seed: number): Float32Array {
  const [lo, hi] = p.video.range;
  const values = new Float32Array(p.video.frames * frameSize(p.video));
  const rand = seededRandom(seed ^ 0x5eed);
  for (let i = 0; i < values.length; i++) values[i] = lo + rand() * (hi - lo);
  return values;
}
