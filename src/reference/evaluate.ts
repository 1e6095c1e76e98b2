// The clear-text reference evaluator of the pipeline IR (float32, TensorFlow.js): what the
// secure program must reveal. Reads the same party input files, in the layout of inputs.json.
import type { Pipeline } from '../ir/pipeline.js';
import { selectedFrames } from '../ir/pipeline.js';
import type { InputPlan } from '../passes/plan-inputs.js';
import { UserError } from '../diagnostics.js';
import { loadTf } from './tf.js';

export interface ReferenceResult {
  /** Indices of the frames the selection picked (in order). */
  frames: number[];
  /** Per selected frame, the per-class output (after the per-frame softmax/logits). */
  perFrame: number[][];
  /** The aggregated per-class vector (sum, or vote counts). */
  aggregate: number[];
  label: number;
  backend: string;
}

/** Index of the largest value; ties go to the lowest index (numpy, Keras, the program). */
export function argmaxFirst(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Splits each party's values into the named tensors of the plan. */
export function tensorsOf(plan: InputPlan, values: Map<number, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    const v = values.get(party.party);
    if (!v) throw new UserError(`no input for party ${party.party} (${party.name}): ${party.tensors.map((t) => t.name).join(', ')}`);
    if (v.length !== party.elements) {
      throw new UserError(`party ${party.party} (${party.name}) input has ${v.length} values; inputs.json expects ${party.elements}`);
    }
    for (const t of party.tensors) out.set(t.name, v.subarray(t.offset, t.offset + t.elements));
  }
  return out;
}

/** Which frames a 0/1 selection matrix picks, row by row (the column of each row's 1). */
export function selectedIndices(selection: Float32Array, rows: number, frames: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = selection.subarray(r * frames, (r + 1) * frames);
    out.push(argmaxFirst(row));
  }
  return out;
}

export async function evaluateReference(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array>): Promise<ReferenceResult> {
  const tf = await loadTf();
  const t = tensorsOf(plan, values);
  const v = p.video;
  const n = selectedFrames(p);
  const frameSize = v.height * v.width * v.channels;
  const result = tf.tidy(() => {
    const video = tf.tensor2d(t.get('video')!, [v.frames, frameSize]);
    let frames: number[];
    let x: import('@tensorflow/tfjs-core').Tensor;
    if (p.selection.kind === 'oblivious') {
      const sel = t.get('selection')!;
      frames = selectedIndices(sel, n, v.frames);
      // the same product the secure program computes: B (n x N) times A (N x hwc)
      x = tf.matMul(tf.tensor2d(sel, [n, v.frames]), video);
    } else {
      frames = p.selection.indices;
      x = tf.gather(video, frames);
    }
    x = tf.reshape(x, [n, v.height, v.width, v.channels]);
    for (const l of p.model.layers) {
      switch (l.op) {
        case 'conv2d': {
          const k = tf.tensor4d(t.get(`${l.name}.kernel`)!, [l.kernel[0], l.kernel[1], l.inShape[2]!, l.filters]);
          x = tf.conv2d(x as import('@tensorflow/tfjs-core').Tensor4D, k, l.strides, l.padding);
          if (l.useBias) x = tf.add(x, tf.tensor1d(t.get(`${l.name}.bias`)!));
          if (l.activation === 'relu') x = tf.relu(x);
          break;
        }
        case 'dense': {
          const d = l.inShape.reduce((a, b) => a * b, 1);
          x = tf.matMul(tf.reshape(x, [n, d]), tf.tensor2d(t.get(`${l.name}.kernel`)!, [d, l.units]));
          if (l.useBias) x = tf.add(x, tf.tensor1d(t.get(`${l.name}.bias`)!));
          if (l.activation === 'relu') x = tf.relu(x);
          break;
        }
        case 'relu':
          x = tf.relu(x);
          break;
        case 'avgpool':
          x = tf.avgPool(x as import('@tensorflow/tfjs-core').Tensor4D, l.pool, l.strides, l.padding);
          break;
        case 'maxpool':
          x = tf.maxPool(x as import('@tensorflow/tfjs-core').Tensor4D, l.pool, l.strides, l.padding);
          break;
        case 'flatten':
          x = tf.reshape(x, [n, l.outShape[0]!]);
          break;
      }
    }
    return { logits: tf.reshape(x, [n, p.classes]).arraySync() as number[][], frames };
  });
  const perFrame = result.logits.map((u) => frameOutput(p, u));
  const C = p.classes;
  const aggregate = new Array<number>(C).fill(0);
  for (const probs of perFrame) {
    if (p.aggregation.kind === 'sum') probs.forEach((x, j) => (aggregate[j]! += x));
    else aggregate[argmaxFirst(probs)]! += 1;
  }
  return { frames: result.frames, perFrame, aggregate, label: argmaxFirst(aggregate), backend: tf.getBackend() };
}

function frameOutput(p: Pipeline, u: number[]): number[] {
  const f = Math.fround;
  switch (p.frameOutput) {
    case 'logits':
      return u;
    case 'relu_normalized': {
      const r = u.map((x) => (x > 0 ? x : 0));
      const s = f(r.reduce((a, b) => f(a + b), 0));
      return s > 0 ? r.map((x) => f(x / s)) : r.map(() => f(1 / u.length));
    }
    case 'softmax': {
      const m = Math.max(...u);
      const e = u.map((x) => Math.exp(x - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => f(x / s));
    }
  }
}
