// The clear-text reference evaluator of the pipeline IR (float32, TensorFlow.js): what the
// secure program must reveal. Reads the same party input files, in the layout of inputs.json.
import type { Layer, Pipeline } from '../ir/pipeline.js';
import { INPUT } from '../ir/pipeline.js';
import { selectedFrames } from '../ir/pipeline.js';
import { type InputPlan, tensorsOf } from '../passes/plan-inputs.js';
import { loadTf } from './tf.js';

export { tensorsOf };

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
    type T = import('@tensorflow/tfjs-core').Tensor;
    type T4 = import('@tensorflow/tfjs-core').Tensor4D;
    const outputs = new Map<string, T>([[INPUT, x]]);
    const param = (l: Layer, name: string, shape: number[]) => tf.tensor(t.get(`${l.name}.${name}`)!, shape);
    for (const l of p.model.layers) {
      const ins = l.inputs.map((i) => outputs.get(i)!);
      let y = ins[0]!;
      switch (l.op) {
        case 'conv2d':
          y = tf.conv2d(y as T4, param(l, 'kernel', [l.kernel[0], l.kernel[1], l.inShape[2]!, l.filters]) as import('@tensorflow/tfjs-core').Tensor4D, l.strides, l.padding);
          if (l.useBias) y = tf.add(y, param(l, 'bias', [l.filters]));
          if (l.activation === 'relu') y = tf.relu(y);
          break;
        case 'depthwise_conv2d':
          y = tf.depthwiseConv2d(y as T4, param(l, 'depthwise_kernel', [l.kernel[0], l.kernel[1], l.inShape[2]!, l.multiplier]) as import('@tensorflow/tfjs-core').Tensor4D, l.strides, l.padding);
          if (l.useBias) y = tf.add(y, param(l, 'bias', [l.inShape[2]! * l.multiplier]));
          if (l.activation === 'relu') y = tf.relu(y);
          break;
        case 'dense': {
          const d = l.inShape.reduce((a, b) => a * b, 1);
          y = tf.matMul(tf.reshape(y, [n, d]), param(l, 'kernel', [d, l.units]) as import('@tensorflow/tfjs-core').Tensor2D);
          if (l.useBias) y = tf.add(y, param(l, 'bias', [l.units]));
          if (l.activation === 'relu') y = tf.relu(y);
          break;
        }
        case 'relu':
          y = l.max !== undefined ? tf.clipByValue(y, 0, l.max) : tf.relu(y);
          break;
        case 'avgpool':
          y = tf.avgPool(y as T4, l.pool, l.strides, l.padding);
          break;
        case 'maxpool':
          y = tf.maxPool(y as T4, l.pool, l.strides, l.padding);
          break;
        case 'global_avgpool':
          y = tf.mean(y, [1, 2]);
          break;
        case 'global_maxpool':
          y = tf.max(y, [1, 2]);
          break;
        case 'batchnorm': {
          const c = l.inShape[l.inShape.length - 1]!;
          y = tf.add(tf.mul(y, param(l, 'scale', [c])), param(l, 'shift', [c]));
          break;
        }
        case 'zeropad':
          y = tf.pad(y, [[0, 0], [l.pad[0], l.pad[1]], [l.pad[2], l.pad[3]], [0, 0]]);
          break;
        case 'crop':
          y = tf.slice(y, [0, l.crop[0], l.crop[2], 0], [n, l.outShape[0]!, l.outShape[1]!, l.outShape[2]!]);
          break;
        case 'add':
          y = tf.addN(ins);
          break;
        case 'concat':
          y = tf.concat(ins, ins[0]!.rank - 1);
          break;
        case 'flatten':
        case 'reshape':
          y = tf.reshape(y, [n, ...l.outShape]);
          break;
        case 'dropout':
          break;
      }
      outputs.set(l.name, y);
      x = y;
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
