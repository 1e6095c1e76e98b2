// Proven bounds (src/simulate/interval-bounds.ts) and the narrower-precision suggestion built on
// them: every value any simulated input reaches stays within its layer's bound, the bound is
// reached where the worst case is an actual input, and the suggestion says "proven" only when
// every bound fits. Fast, no MP-SPDZ.
import { checkText, compileExample } from './helpers.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { buildPipeline } from '../src/compile.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { narrowerPrecision, simulateFixed, type LayerRange } from '../src/simulate/fixed-point.js';
import { formatRanges } from '../src/simulate/report.js';

/** Random weights (seeded); the video is drawn uniformly from the declared range, or set by `video`. */
function inputs(
  p: Pipeline,
  plan: InputPlan,
  seed: number,
  edit: { video?: (i: number) => number; weight?: (w: number) => number } = {},
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
        if (t.role === 'parameter' && edit.weight) v[i] = edit.weight(v[i]!);
      }
    }
    values.set(party.party, v);
  }
  return values;
}

function pipelineOf(text: string): { p: Pipeline; plan: InputPlan } {
  const r = checkText(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.pipeline || errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  return { p: r.pipeline, plan: buildPipeline(r.pipeline).inputs };
}

describe('proven bounds', () => {
  test.each(['examples/small-maxpool.ppvc', 'examples/residual.ppvc', 'examples/public-vote.ppvc', 'examples/tiny-2pc.ppvc'])(
    '%s: no simulated value exceeds its layer bound (3 weight seeds x 3 videos, one at each end of the range)',
    (path) => {
      const a = compileExample(path);
      const [lo, hi] = a.pipeline.video.range;
      for (const seed of [1, 2, 3]) {
        for (const video of [undefined, () => lo, () => hi]) {
          const r = simulateFixed(a.pipeline, a.inputs, inputs(a.pipeline, a.inputs, seed, { video }), { seed });
          const bounded = r.layers.filter((l) => l.proven !== undefined);
          // every computing layer and the frames have a bound; only the softmax's reciprocal may not
          expect(r.layers.filter((l) => l.proven === undefined).map((l) => l.name)).toEqual(
            a.pipeline.frameOutput === 'relu_normalized' ? ['softmax 1/sum'] : [],
          );
          for (const l of bounded)
            expect({ layer: l.name, within: l.maxAbs <= l.proven! }).toEqual({
              layer: l.name,
              within: true,
            });
        }
      }
    },
  );

  test('is reached: non-negative weights on a video at the top of its range give exactly the bound (up to rounding)', () => {
    const { p, plan } = pipelineOf(
      [
        'pipeline reach',
        'party alice = 0',
        'party bob = 1',
        'video clip: [3, 8, 8, 2] from alice  range [-1, 2]',
        'select 2 frames by bob',
        'model m by bob {',
        '  conv2d 3 kernel 3x3 relu',
        '  avgpool 2x2',
        '  conv2d 4 kernel 2x2 same',
        '  relu',
        '  flatten',
        '  dense 5 relu',
        '  dense 3',
        '}',
        'classify each frame with m, logits',
        'label = argmax(sum)',
        'reveal label to alice',
      ].join('\n'),
    );
    const r = simulateFixed(p, plan, inputs(p, plan, 4, { video: () => 2, weight: Math.abs }), { rounding: 'nearest' });
    for (const l of r.layers) {
      expect(l.proven).toBeDefined();
      expect(l.maxAbs).toBeLessThanOrEqual(l.proven!);
      expect(l.proven! - l.maxAbs).toBeLessThan(1e-3 * Math.max(1, l.proven!));
    }
    // and the layer sizes are what interval arithmetic says: the first convolution reaches 2 * (sum of its 18 weights + bias)
    expect(r.layers.find((l) => l.name === 'conv2d_1')!.proven).toBeGreaterThan(r.layers.find((l) => l.name === 'input')!.proven!);
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
    const n = narrowerPrecision([row('input', 1, 1), row('conv2d_1', 3.9, 6)], { f: 16, k: 31 }, [0, 1])!;
    // 3.9 x 4 headroom needs 4 integer bits: k = 16 + 1 + 4
    expect(n).toMatchObject({
      k: 21,
      statement: 'precision 16 21',
      proven: true,
    });
    expect(n.reason).toContain("'conv2d_1' reaches 3.9 on this input");
    expect(n.reason).toContain("proven for any video in [0, 1]: every layer's interval bound stays below 16");
  });

  test('measured only when a bound exceeds it, naming the layer', () => {
    const n = narrowerPrecision([row('conv2d_1', 3.9, 6), row('dense_1', 2, 5000)], { f: 16, k: 31 }, [0, 1])!;
    expect(n).toMatchObject({ k: 21, proven: false });
    expect(n.reason).toContain("measured, not proven: for any video in [0, 1] the interval bounds reach 5000 ('dense_1'), beyond the +-16 that k = 21 holds");
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
      [
        'pipeline small',
        'party alice = 0',
        'party bob = 1',
        'video clip: [3, 6, 6, 1] from alice',
        'select 2 frames by bob',
        'model m by bob {',
        '  conv2d 2 kernel 3x3 relu',
        '  flatten',
        '  dense 3',
        '}',
        'classify each frame with m, logits',
        'label = argmax(sum)',
        'reveal label to alice',
      ].join('\n'),
    );
    const r = simulateFixed(p, plan, inputs(p, plan, 5, { weight: (w) => w / 4 }), { seed: 1 });
    expect(r.narrower).toBeDefined();
    expect(r.narrower!.proven).toBe(true);
    expect(r.narrower!.k).toBeLessThan(31);
    // and with that precision the same model and inputs stay within every bound and limit
    for (const l of r.layers) expect(l.proven!).toBeLessThan(2 ** (r.narrower!.k - 16 - 1));
  });
});
