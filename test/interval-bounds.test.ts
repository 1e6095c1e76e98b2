// Proven bounds (src/simulate/interval-bounds.ts) and the narrower-precision suggestion built on
// them: every value any simulated input reaches stays within its layer's bound, the bound is
// reached where the worst case is an actual input, and the suggestion says "proven" only when
// every bound fits. Fast, no MP-SPDZ.
import { checkText, compileExample, pipelineOf } from './helpers.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { buildPipeline } from '../src/compile.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { narrowerPrecision, simulateFixed, type LayerRange } from '../src/simulate/fixed-point.js';
import { formatRanges } from '../src/simulate/report.js';

/** A two-party pipeline around `model` (its layer lines). */
function pipelineText(o: { name: string; video: string; range?: string; select: number; model: string[]; output?: string; target?: string }): string {
  return [
    `pipeline ${o.name}`,
    'party alice = 0',
    'party bob = 1',
    `video clip: ${o.video} from alice${o.range ? `  range [${o.range}]` : ''}`,
    `select ${o.select} frames by bob`,
    'model m by bob {',
    ...o.model,
    '}',
    `classify each frame with m, ${o.output ?? 'logits'}`,
    'label = argmax(sum)',
    'reveal label to alice',
    ...(o.target ? [`target mp-spdz { protocol replicated-ring ${o.target} }`] : []),
  ].join('\n');
}

/** Random weights (seeded, or rewritten by `weight`); the video is drawn uniformly from the declared range, or set by `video`. */
function inputs(
  p: Pipeline,
  plan: InputPlan,
  seed: number,
  edit: { video?: (i: number) => number; weight?: (w: number, tensor: string, i: number) => number } = {},
): Map<number, Float32Array> {
  const values = new Map<number, Float32Array>();
  let state = seed * 7919 + 1;
  const uniform = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    const v = partyValues(plan, p, party.party, { seed: seed + party.party });
    for (const t of party.tensors) {
      for (let i = t.offset; i < t.offset + t.elements; i++) {
        if (t.role === 'video') v[i] = edit.video ? edit.video(i - t.offset) : p.video.range[0] + uniform() * (p.video.range[1] - p.video.range[0]);
        if (t.role === 'parameter' && edit.weight) v[i] = edit.weight(v[i]!, t.name, i - t.offset);
      }
    }
    values.set(party.party, v);
  }
  return values;
}

describe('proven bounds', () => {
  test.each([
    'examples/small-maxpool.ppvc',
    'examples/residual.ppvc',
    'examples/public-vote.ppvc',
    'examples/tiny-2pc.ppvc',
    'test/fixtures/unread-edges.ppvc',
  ])('%s: no simulated value exceeds its layer bound (3 weight seeds x 3 videos, one at each end of the range)', (path) => {
    const a = compileExample(path);
    const [lo, hi] = a.pipeline.video.range;
    for (const seed of [1, 2, 3]) {
      for (const video of [undefined, () => lo, () => hi]) {
        const r = simulateFixed(a.pipeline, a.inputs, inputs(a.pipeline, a.inputs, seed, { video }), { seed });
        const bounded = r.layers.filter((l) => l.proven !== undefined);
        // every computing layer, the frames and the softmax's sum have a bound (the softmax has
        // no reciprocal, which nothing bounds)
        expect(r.layers.filter((l) => l.proven === undefined).map((l) => l.name)).toEqual([]);
        for (const l of bounded)
          expect({ layer: l.name, within: l.maxAbs <= l.proven! }).toEqual({
            layer: l.name,
            within: true,
          });
      }
    }
  });

  test('is reached: non-negative weights on a video at the top of its range give exactly the bound (up to rounding)', () => {
    const { p, plan } = pipelineOf(
      pipelineText({
        name: 'reach',
        video: '[3, 8, 8, 2]',
        range: '-1, 2',
        select: 2,
        model: ['conv2d 3 kernel 3x3 relu', 'avgpool 2x2', 'conv2d 4 kernel 2x2 same', 'relu', 'flatten', 'dense 5 relu', 'dense 3'],
      }),
    );
    const r = simulateFixed(p, plan, inputs(p, plan, 4, { video: () => 2, weight: Math.abs }), { rounding: 'nearest' });
    for (const l of r.layers) {
      expect(l.proven).toBeDefined();
      expect(l.maxAbs).toBeLessThanOrEqual(l.proven!);
      expect(l.proven! - l.maxAbs).toBeLessThan(1e-3 * Math.max(1, l.proven!));
    }
  });
});

/** A one-pixel, one-frame pipeline at `precision 8 28` whose parameters `set` chooses (tensor name, index). */
function onePixel(model: string[], range: string, set: (tensor: string, i: number) => number, video: number, output = 'logits') {
  const { p, plan } = pipelineOf(pipelineText({ name: 'onepixel', video: '[2, 1, 1, 1]', range, select: 1, model, output, target: 'precision 8 28' }));
  const values = inputs(p, plan, 1, { video: () => video, weight: (_w, tensor, i) => set(tensor, i) });
  const r = simulateFixed(p, plan, values, { rounding: 'nearest' });
  const row = (name: string) => r.layers.find((l) => l.name === name)!;
  for (const l of r.layers) if (l.proven !== undefined) expect({ layer: l.name, within: l.maxAbs <= l.proven }).toEqual({ layer: l.name, within: true });
  return { r, row };
}

describe('proven bounds: the cases a review found (each value the program holds, not only the layer output)', () => {
  test('dense: the product before the bias is bounded too', () => {
    // x = 1, kernel 1, bias -0.5: trunc(x . W) = 1 before the bias brings it to 0.5
    const { row } = onePixel(['flatten', 'd: dense 2'], '0, 1', (n) => (n.endsWith('kernel') ? 1 : -0.5), 1);
    expect(row('d').maxAbs).toBe(1);
    expect(row('d').proven).toBeGreaterThanOrEqual(1);
  });

  test('relu max: the cap is the rounded constant (0.1 is 26/256 at f = 8)', () => {
    const { row } = onePixel(['c: conv2d 1 kernel 1x1 nobias', 'r: relu max 0.1', 'flatten', 'd: dense 2'], '0, 1', () => 1, 1);
    expect(row('r').maxAbs).toBe(26 / 256);
  });

  test('batchnorm: the product before the shift is bounded with its rounding', () => {
    const top = 256.5 / 256;
    const { row } = onePixel(['b: batchnorm', 'flatten', 'd: dense 2'], `0, ${top}`, (n) => (n.endsWith('scale') ? 0.6 : n.endsWith('shift') ? -0.5 : 1), top);
    expect(row('b').maxAbs).toBeCloseTo(0.60546875, 8);
  });

  test('the summed outputs have a row and a bound: frames x the per-frame bound', () => {
    const { r, row } = onePixel(['flatten', 'd: dense 2'], '0, 1', (n, i) => (n.endsWith('kernel') ? (i === 0 ? 3 : 0) : 0), 1);
    expect(row('aggregate').maxAbs).toBe(3);
    expect(row('aggregate').proven).toBeCloseTo(row('d').proven!, 10);
    expect(r.layers[r.layers.length - 1]!.name).toBe('aggregate');
  });

  test('"proven" needs bounds below half the limit: argmax compares logits of opposite signs on their difference', () => {
    // logits +-3.5 at x = 1: each below 4, their difference 7 is not
    const { r } = onePixel(['flatten', 'd: dense 2'], '0, 1', (n, i) => (n.endsWith('kernel') ? (i === 0 ? 3.5 : -3.5) : 0), 0.28);
    expect(r.narrower).toMatchObject({ statement: 'precision 8 11', proven: false });
    expect(r.narrower!.reason).toContain('where k = 11 needs them below 2 (half its +-4: comparisons work on differences)');
  });
});

describe('narrower precision', () => {
  const row = (name: string, maxAbs: number, proven?: number): LayerRange => ({
    name,
    op: 'conv2d',
    maxAbs,
    limit: 16384,
    ratio: maxAbs / 16384,
    proven,
  });

  test('proven when every bound fits the narrower k', () => {
    const n = narrowerPrecision([row('input', 1, 1), row('conv2d_1', 3.9, 7.5)], { f: 16, k: 31 }, [0, 1])!;
    // 3.9 x 4 headroom needs 4 integer bits: k = 16 + 1 + 4
    expect(n).toMatchObject({
      k: 21,
      statement: 'precision 16 21',
      proven: true,
    });
    expect(n.reason).toContain("'conv2d_1' reaches 3.9 on the inputs simulated");
    expect(n.reason).toContain('proven for any video in [0, 1]: every interval bound stays below 8, half the +-16 that k = 21 holds');
  });

  test('measured only when a bound exceeds it, naming the layer', () => {
    const n = narrowerPrecision([row('conv2d_1', 3.9, 6), row('dense_1', 2, 5000)], { f: 16, k: 31 }, [0, 1])!;
    expect(n).toMatchObject({ k: 21, proven: false });
    expect(n.reason).toContain("measured, not proven: for any video in [0, 1] the interval bounds reach 5000 ('dense_1'), where k = 21 needs them below 8");
  });

  test('measured only when a stage has no bound (the softmax reciprocal)', () => {
    const n = narrowerPrecision([row('conv2d_1', 3.9, 6), row('softmax 1/sum', 0.5)], { f: 16, k: 31 }, [0, 1])!;
    expect(n.proven).toBe(false);
    expect(n.reason).toContain("'softmax 1/sum' depends on how small the scores get");
  });

  test('nothing when it would save fewer than 2 bits', () => {
    // 3000 with 4x headroom needs 14 integer bits: k = 31 already
    expect(narrowerPrecision([row('conv2d_1', 3000, 3000)], { f: 16, k: 31 }, [0, 1])).toBeUndefined();
    expect(narrowerPrecision([row('conv2d_1', 1000, 1000)], { f: 16, k: 31 }, [0, 1])).toMatchObject({ k: 29 });
    expect(narrowerPrecision([row('conv2d_1', 3.9, 6)], { f: 16, k: 22 }, [0, 1])).toBeUndefined();
    expect(narrowerPrecision([row('conv2d_1', 3.9, 6)], { f: 16, k: 23 }, [0, 1])).toMatchObject({ k: 21 });
  });

  test('the range table prints the bounds and the suggestion', () => {
    const layers = [row('input', 1, 1), row('conv2d_1', 3.9, 2e5)];
    const text = formatRanges(layers, { f: 16, k: 31 }, undefined, narrowerPrecision(layers, { f: 16, k: 31 }, [0, 1]), [0, 1]);
    expect(text).toContain('bound, any video in [0, 1]');
    expect(text).toMatch(/conv2d_1 .* 2\.00e\+5 \(beyond the limit\)/);
    expect(text).toContain('cheaper: precision 16 21 in the target statement');
  });

  test('a small model with small weights gets a proven suggestion from simulate', () => {
    const { p, plan } = pipelineOf(
      pipelineText({ name: 'small', video: '[3, 6, 6, 1]', select: 2, model: ['conv2d 2 kernel 3x3 relu', 'flatten', 'dense 3'] }),
    );
    const r = simulateFixed(p, plan, inputs(p, plan, 5, { weight: (w) => w / 4 }), { seed: 1 });
    expect(r.narrower).toBeDefined();
    expect(r.narrower!.proven).toBe(true);
    expect(r.narrower!.k).toBeLessThan(31);
    // and with that precision the same model and inputs stay within every bound and limit
    for (const l of r.layers) expect(l.proven!).toBeLessThan(2 ** (r.narrower!.k - 16 - 1));
  });
});

describe('proven bounds on random models', () => {
  // Small random models over every layer kind, random weights and biases at three scales, and
  // videos at the corners of the range, under each rounding mode: no simulated value may pass
  // its bound. (A review's fuzzer, reduced: 6,000 simulations per seed found nothing either.)
  let state = 12345;
  const rnd = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));

  function randomModel(): string | undefined {
    const H = int(4, 9);
    const W = int(4, 9);
    let [h, w] = [H, W];
    const lines: string[] = [];
    let flat = false;
    const shrink = (k: number, s: number, same: boolean) => {
      h = same ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
      w = same ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
    };
    for (let i = 0; i < int(1, 6) && !flat; i++) {
      const kind = pick(['conv', 'conv', 'dw', 'bn', 'relu', 'relumax', 'avg', 'max', 'pad', 'crop', 'global', 'merge']);
      const name = `l${i}`;
      const k = int(1, Math.min(3, h, w));
      const s = int(1, 2);
      const same = rnd() < 0.5;
      if (kind === 'conv') {
        lines.push(`${name}: conv2d ${int(1, 4)} kernel ${k}x${k} stride ${s} ${same ? 'same' : 'valid'} ${pick(['relu', '', 'nobias'])}`);
        shrink(k, s, same);
      } else if (kind === 'dw') {
        lines.push(`${name}: depthwise_conv2d kernel ${k}x${k} multiplier ${int(1, 2)} stride ${s} ${same ? 'same' : 'valid'} ${pick(['relu', ''])}`);
        shrink(k, s, same);
      } else if (kind === 'bn') lines.push(`${name}: batchnorm`);
      else if (kind === 'relu') lines.push(`${name}: relu`);
      else if (kind === 'relumax') lines.push(`${name}: relu max ${pick([0.1, 0.7, 6])}`);
      else if (kind === 'avg' || kind === 'max') {
        lines.push(`${name}: ${kind}pool ${k}x${k} stride ${s} ${same ? 'same' : 'valid'}`);
        shrink(k, s, same);
      } else if (kind === 'pad') {
        lines.push(`${name}: zeropad 1`);
        [h, w] = [h + 2, w + 2];
      } else if (kind === 'crop' && h > 3 && w > 3) {
        lines.push(`${name}: crop 1x1`);
        [h, w] = [h - 2, w - 2];
      } else if (kind === 'global') {
        lines.push(`${name}: global_${pick(['avg', 'max'])}pool`);
        flat = true;
      } else if (kind === 'merge' && i > 0) {
        lines.push(`${name}a: relu`, `${name}: ${pick(['add', 'concat'])} ${name}a, l${i - 1}`);
      } else lines.push(`${name}: relu`);
      if (h < 1 || w < 1) return undefined;
    }
    if (!flat) lines.push('flatten');
    if (rnd() < 0.6) lines.push(`dense ${int(2, 6)} ${pick(['relu', ''])}`);
    lines.push(`dense ${int(2, 4)}`);
    const lo = pick([0, -1, 0.3]);
    const f = pick([8, 16]);
    return pipelineText({
      name: 'fz',
      video: `[3, ${H}, ${W}, ${int(1, 3)}]`,
      range: `${lo}, ${lo + pick([0.6, 1, 3])}`,
      select: 2,
      model: lines,
      output: pick(['logits', 'softmax relu_normalized']),
      target: `ring 128 precision ${f} ${f + 30}`,
    });
  }

  test('no value passes its bound (150 models, 4 videos, 3 roundings)', () => {
    let simulated = 0;
    for (let iter = 0; iter < 150; iter++) {
      const text = randomModel();
      const r = text === undefined ? undefined : checkText(text);
      if (!r?.pipeline || r.diagnostics.some((d) => d.severity === 'error')) continue;
      const p = r.pipeline;
      const plan = buildPipeline(p).inputs;
      const [lo, hi] = p.video.range;
      const wScale = pick([0.3, 1, 3]);
      const bScale = pick([0, 1, 5]);
      const weight = (w: number) => (w === 0 ? 0 : (rnd() * 2 - 1) * wScale);
      for (const video of [() => lo, () => hi, () => (rnd() < 0.5 ? lo : hi), () => lo + rnd() * (hi - lo)]) {
        const values = inputs(p, plan, iter, { video, weight });
        // biases and shifts at their own scale
        for (const party of plan.parties)
          for (const t of party.tensors)
            if (t.role === 'parameter' && /bias|shift/.test(t.name))
              for (let i = t.offset; i < t.offset + t.elements; i++) values.get(party.party)![i] = (rnd() * 2 - 1) * bScale;
        for (const rounding of ['probabilistic', 'nearest', 'floor'] as const) {
          const res = simulateFixed(p, plan, values, { rounding, seed: iter });
          simulated++;
          for (const l of res.layers)
            if (l.proven !== undefined && l.maxAbs > l.proven) throw new Error(`${l.name}: ${l.maxAbs} > ${l.proven} (${rounding})\n${text}`);
        }
      }
    }
    expect(simulated).toBeGreaterThan(1000);
  });
});
