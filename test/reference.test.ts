// The reference evaluator (TensorFlow.js) against an independent, naive implementation of
// the same semantics in plain loops (Keras NHWC layout, TensorFlow SAME padding, average
// pooling that divides by the inputs a window covers, ties to the lowest class).
import { compileExample } from './helpers.js';
import { argmaxFirst, evaluateReference, tensorsOf } from '../src/reference/evaluate.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import type { Layer, Pipeline } from '../src/ir/pipeline.js';
import { samePadding } from '../src/ir/shapes.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';

type Img = { h: number; w: number; c: number; data: Float64Array };

function naiveLayer(l: Layer, x: Img | Float64Array, t: Map<string, Float32Array>): Img | Float64Array {
  const pads = (img: Img, kh: number, kw: number, sh: number, sw: number, padding: string) =>
    padding === 'same' ? [samePadding(img.h, kh, sh).before, samePadding(img.w, kw, sw).before] : [0, 0];
  switch (l.op) {
    case 'conv2d': {
      const img = x as Img;
      const [kh, kw] = l.kernel;
      const [sh, sw] = l.strides;
      const [oh, ow] = [l.outShape[0]!, l.outShape[1]!];
      const [pt, pl] = pads(img, kh, kw, sh, sw, l.padding);
      const k = t.get(`${l.name}.kernel`)!;
      const b = t.get(`${l.name}.bias`);
      const out = new Float64Array(oh * ow * l.filters);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let f = 0; f < l.filters; f++) {
            let s = b ? b[f]! : 0;
            for (let di = 0; di < kh; di++)
              for (let dj = 0; dj < kw; dj++) {
                const y = i * sh + di - pt;
                const xx = j * sw + dj - pl;
                if (y < 0 || y >= img.h || xx < 0 || xx >= img.w) continue;
                for (let c = 0; c < img.c; c++) s += img.data[(y * img.w + xx) * img.c + c]! * k[((di * kw + dj) * img.c + c) * l.filters + f]!;
              }
            out[(i * ow + j) * l.filters + f] = l.activation === 'relu' ? Math.max(0, s) : s;
          }
      return { h: oh, w: ow, c: l.filters, data: out };
    }
    case 'avgpool':
    case 'maxpool': {
      const img = x as Img;
      const [ph, pw] = l.pool;
      const [sh, sw] = l.strides;
      const [oh, ow] = [l.outShape[0]!, l.outShape[1]!];
      const [pt, pl] = pads(img, ph, pw, sh, sw, l.padding);
      const out = new Float64Array(oh * ow * img.c);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let c = 0; c < img.c; c++) {
            let acc = l.op === 'maxpool' ? -Infinity : 0;
            let count = 0;
            for (let di = 0; di < ph; di++)
              for (let dj = 0; dj < pw; dj++) {
                const y = i * sh + di - pt;
                const xx = j * sw + dj - pl;
                if (y < 0 || y >= img.h || xx < 0 || xx >= img.w) continue;
                const v = img.data[(y * img.w + xx) * img.c + c]!;
                acc = l.op === 'maxpool' ? Math.max(acc, v) : acc + v;
                count++;
              }
            out[(i * ow + j) * img.c + c] = l.op === 'maxpool' ? acc : acc / count;
          }
      return { h: oh, w: ow, c: img.c, data: out };
    }
    case 'relu': {
      const d = x instanceof Float64Array ? x : x.data;
      const r = d.map((v) => Math.max(0, v));
      return x instanceof Float64Array ? r : { ...x, data: r };
    }
    case 'flatten':
      return (x as Img).data;
    case 'dense': {
      const v = x as Float64Array;
      const k = t.get(`${l.name}.kernel`)!;
      const b = t.get(`${l.name}.bias`);
      const out = new Float64Array(l.units);
      for (let u = 0; u < l.units; u++) {
        let s = b ? b[u]! : 0;
        for (let i = 0; i < v.length; i++) s += v[i]! * k[i * l.units + u]!;
        out[u] = l.activation === 'relu' ? Math.max(0, s) : s;
      }
      return out;
    }
    default:
      throw new Error(`the naive evaluator has no ${l.op}`);
  }
}

function naivePipeline(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array>) {
  const t = tensorsOf(plan, values);
  const video = t.get('video')!;
  const size = p.video.height * p.video.width * p.video.channels;
  const frames = p.selection.kind === 'public' ? p.selection.indices : [...Array(p.selection.count).keys()].map((r) => argmaxFirst(t.get('selection')!.subarray(r * p.video.frames, (r + 1) * p.video.frames)));
  const perFrame = frames.map((f) => {
    let x: Img | Float64Array = { h: p.video.height, w: p.video.width, c: p.video.channels, data: Float64Array.from(video.subarray(f * size, (f + 1) * size)) };
    for (const l of p.model.layers) x = naiveLayer(l, x, t);
    const u = [...(x as Float64Array)];
    if (p.frameOutput === 'logits') return u;
    const r = u.map((v) => Math.max(0, v));
    const s = r.reduce((a, b) => a + b, 0);
    return s > 0 ? r.map((v) => v / s) : r.map(() => 1 / u.length);
  });
  const agg = new Array(p.classes).fill(0);
  for (const pf of perFrame) {
    if (p.aggregation.kind === 'sum') pf.forEach((v, j) => (agg[j] += v));
    else agg[argmaxFirst(pf)] += 1;
  }
  return { frames, perFrame, aggregate: agg, label: argmaxFirst(agg) };
}

describe.each(['examples/small-maxpool.ppvc', 'examples/public-vote.ppvc'])('%s', (example) => {
  const { pipeline, inputs } = compileExample(example);
  test.each([1, 2, 3])('agrees with the naive evaluator (seed %i)', async (seed) => {
    const values = new Map<number, Float32Array>();
    for (const party of inputs.parties) values.set(party.party, partyValues(inputs, pipeline, party.party, { seed: seed * 10 + party.party }));
    const ref = await evaluateReference(pipeline, inputs, values);
    const naive = naivePipeline(pipeline, inputs, values);
    expect(ref.frames).toEqual(naive.frames);
    expect(ref.label).toBe(naive.label);
    ref.perFrame.flat().forEach((v, i) => expect(v).toBeCloseTo(naive.perFrame.flat()[i]!, 4));
    ref.aggregate.forEach((v, i) => expect(v).toBeCloseTo(naive.aggregate[i]!, 4));
  });
});

test('argmax ties go to the lowest index', () => {
  expect(argmaxFirst([0.2, 0.5, 0.5, 0.1])).toBe(1);
  expect(argmaxFirst([1 / 7, 1 / 7, 1 / 7])).toBe(0);
});
