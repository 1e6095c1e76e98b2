// `random-weights` at the scales of a trained model (src/inputs/random-inputs.ts): the fan-in
// of each kernel per layer kind, batch normalisation as identity, zero biases, the output layer
// LeCun-scaled, and what it is for: activations of order one through a deep MobileNet-style
// stack, where the old rule (a depthwise kernel's channels counted as fan-in) made them vanish.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, pipelineOf } from './helpers.js';
import { fanIn, heUniform, initTensor, outputLayer, partyValues, residualBranchScales, seededRandom } from '../src/inputs/random-inputs.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { simulate } from '../src/simulate/simulate.js';
import type { Pipeline } from '../src/ir/pipeline.js';

/** A pipeline around `layers`, one size x size RGB frame selected of 2. */
const pipeline = (layers: string, size = 16) => `pipeline p
party alice = 0
party bob = 1
video v: [2, ${size}, ${size}, 3] from alice range [0, 1]
select 1 frames by bob
model m by bob {
${layers}
}
classify each frame with m
target mp-spdz { protocol replicated-ring }
`;

/** MobileNet's body: a 3x3 stem, then `blocks` depthwise 3x3 / pointwise 1x1 pairs, each followed by batch normalisation and ReLU. */
function mobilenetLike(blocks: number, channels: number): string {
  const lines = [`  conv2d ${channels} kernel 3x3 same nobias`, '  batchnorm', '  relu'];
  for (let i = 0; i < blocks; i++) {
    lines.push('  depthwise_conv2d kernel 3x3 same nobias', '  batchnorm', '  relu');
    lines.push(`  conv2d ${channels} kernel 1x1 nobias`, '  batchnorm', '  relu');
  }
  lines.push('  global_avgpool', '  dense 10');
  return lines.join('\n');
}

/** The model owner's (bob's) tensors by name, as random-weights writes them. */
function bobTensors(p: Pipeline, plan: InputPlan, seed = 1): Map<string, Float32Array> {
  return byName(plan, partyValues(plan, p, 1, { seed }));
}

/** Bob's file split into his tensors (tensorsOf wants every party's file). */
function byName(plan: InputPlan, values: Float32Array): Map<string, Float32Array> {
  const bob = plan.parties.find((x) => x.party === 1)!;
  return new Map(bob.tensors.map((t) => [t.name, values.subarray(t.offset, t.offset + t.elements)]));
}

/** The model owner's file with the old rule: He-uniform with every dimension but the last as fan-in, for every tensor. */
function oldRule(plan: InputPlan, seed = 1): Float32Array {
  const bob = plan.parties.find((x) => x.party === 1)!;
  const out = new Float32Array(bob.elements);
  const rand = seededRandom(seed);
  for (const t of bob.tensors) if (t.role === 'parameter') out.set(heUniform(t, rand), t.offset);
  return out;
}

/** A video in [0, 1] (alice's file) from a fixed seed. */
function video(plan: InputPlan): Float32Array {
  const alice = plan.parties.find((x) => x.party === 0)!;
  const rand = seededRandom(7);
  return Float32Array.from({ length: alice.elements }, () => rand());
}

/** The float rms of every layer's values on one random video (simulate's signal rows). */
async function layerRms(p: Pipeline, plan: InputPlan, bob: Float32Array): Promise<Map<string, number>> {
  const r = await simulate(p, plan, new Map([[0, video(plan)], [1, bob]]));
  return new Map((r.fixed.signal?.layers ?? []).map((l) => [l.name, l.rms]));
}

const maxAbs = (a: Float32Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const layer = (p: Pipeline, name: string) => p.model.layers.find((l) => l.name === name)!;

describe('fan-in per layer kind', () => {
  const { p, plan } = pipelineOf(
    pipeline(['  conv2d 8 kernel 3x3 same', '  relu', '  depthwise_conv2d kernel 5x5', '  relu', '  conv2d 4 kernel 1x1', '  flatten', '  dense 6 relu', '  dense 3'].join('\n')),
  );

  test('conv2d kh*kw*cin, depthwise kh*kw (not its channels), dense all its inputs', () => {
    expect(fanIn(layer(p, 'conv2d_1'))).toBe(3 * 3 * 3);
    expect(fanIn(layer(p, 'depthwise_conv2d_1'))).toBe(5 * 5);
    expect(fanIn(layer(p, 'conv2d_2'))).toBe(1 * 1 * 8);
    expect(fanIn(layer(p, 'dense_1'))).toBe(12 * 12 * 4); // the 5x5 depthwise is valid: 16 - 4
    expect(fanIn(layer(p, 'dense_2'))).toBe(6);
  });

  test('the values drawn fill U(-sqrt(6/fan_in), +sqrt(6/fan_in)) and biases are zero', () => {
    const t = bobTensors(p, plan);
    const limits: Record<string, number> = {
      'conv2d_1.kernel': Math.sqrt(6 / 27),
      'depthwise_conv2d_1.depthwise_kernel': Math.sqrt(6 / 25),
      'conv2d_2.kernel': Math.sqrt(6 / 8),
      'dense_1.kernel': Math.sqrt(6 / 576),
    };
    for (const [name, limit] of Object.entries(limits)) {
      const v = t.get(name)!;
      expect(maxAbs(v)).toBeLessThanOrEqual(limit);
      expect(maxAbs(v)).toBeGreaterThan(0.8 * limit); // the whole range is used, not a narrower one
    }
    for (const [name, v] of t) if (name.endsWith('.bias')) expect(maxAbs(v)).toBe(0);
  });

  test('the same seed gives the same file, another seed another', () => {
    const a = partyValues(plan, p, 1, { seed: 3 });
    expect(partyValues(plan, p, 1, { seed: 3 })).toEqual(a);
    expect(partyValues(plan, p, 1, { seed: 4 })).not.toEqual(a);
  });
});

describe('the output layer', () => {
  const { p, plan } = pipelineOf(pipeline(['  conv2d 8 kernel 3x3 same', '  relu', '  flatten', '  dense 16 relu', '  dense 5', '  relu'].join('\n')));

  test('is the last layer with a kernel (a ReLU after it does not count), and gets LeCun-uniform: sqrt(3/fan_in)', () => {
    expect(outputLayer(p.model.layers)).toBe('dense_2');
    const t = bobTensors(p, plan);
    const out = t.get('dense_2.kernel')!;
    expect(maxAbs(out)).toBeLessThanOrEqual(Math.sqrt(3 / 16));
    expect(maxAbs(out)).toBeGreaterThan(0.8 * Math.sqrt(3 / 16));
    // the hidden dense layer keeps He's limit
    expect(maxAbs(t.get('dense_1.kernel')!)).toBeGreaterThan(Math.sqrt(3 / 2048) /* dense_1 fan-in 2048: He's limit is sqrt(6/2048) */);
    const bob = plan.parties.find((x) => x.party === 1)!;
    expect(initTensor(bob.tensors.find((x) => x.name === 'dense_2.kernel')!, new Map(p.model.layers.map((l) => [l.name, l])), 'dense_2').rule).toBe('LeCun-uniform (output layer)');
  });

  test("the paper's CNN: every tensor as He-uniform gave it before but the output layer's, the same draws scaled by 1/sqrt(2)", () => {
    const e = pipelineOf(readFileSync(join(ROOT, 'examples/emotion.ppvc'), 'utf8'));
    const now = bobTensors(e.p, e.plan);
    const before = byName(e.plan, oldRule(e.plan));
    expect(outputLayer(e.p.model.layers)).toBe('dense_3');
    for (const [name, v] of now) {
      if (name === 'selection') continue;
      if (name === 'dense_3.kernel') {
        const old = before.get(name)!;
        v.forEach((x, i) => expect(Math.abs(x - old[i]! / Math.SQRT2)).toBeLessThan(1e-6));
      } else expect(v).toEqual(before.get(name));
    }
  });
});

describe('batch normalisation as identity', () => {
  test('an unfolded batch normalisation gets scale 1 and shift 0; a folded one leaves its layer a zero bias', () => {
    // the first batchnorm follows a ReLU (not foldable), the second a linear conv2d (folded)
    const { p, plan } = pipelineOf(pipeline(['  conv2d 4 kernel 3x3 same', '  relu', '  batchnorm', '  conv2d 4 kernel 3x3 same', '  batchnorm', '  relu', '  flatten', '  dense 3'].join('\n')));
    const t = bobTensors(p, plan);
    const scales = [...t].filter(([n]) => n.endsWith('.scale'));
    expect(scales.length).toBeGreaterThan(0);
    for (const [name, v] of t) {
      if (name.endsWith('.scale')) expect([...v].every((x) => x === 1)).toBe(true);
      if (name.endsWith('.shift') || name.endsWith('.bias')) expect([...v].every((x) => x === 0)).toBe(true);
    }
  });
});

describe('activations of order one through a deep network', () => {
  // 13 depthwise/pointwise blocks with 32 channels, as MobileNet v1's body, on 32x32 frames:
  // each 'same' padding loses a little variance at the border (about 4% per layer here, 16% on
  // 16x16 frames), which random weights cannot make up for and trained ones learn to
  const { p, plan } = pipelineOf(pipeline(mobilenetLike(13, 64), 16));
  const last = 'conv2d_14';

  // He keeps the expected square of the activations over the weights' draws; one draw of 64
  // channels with batch normalisation as identity drifts (seed 5's last layer reaches 0.05: a
  // depthwise channel's 9 taps give it a large random gain on its inputs' positive mean, which
  // a trained batch normalisation would centre), so the test checks the rms over 6 draws
  test('the last pointwise layer and the logits keep an rms between 0.1 and 10 on a video in [0, 1], over 6 weight seeds', async () => {
    const draws = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => layerRms(p, plan, partyValues(plan, p, 1, { seed }))));
    const overDraws = (name: string) => Math.sqrt(draws.reduce((s, r) => s + r.get(name)! ** 2, 0) / draws.length);
    expect(overDraws(last)).toBeGreaterThan(0.1);
    expect(overDraws(last)).toBeLessThan(10);
    // the logits, LeCun-scaled (half He's variance) after a global average, stay of order one too
    expect(overDraws('dense_1')).toBeGreaterThan(0.05);
    expect(overDraws('dense_1')).toBeLessThan(10);
    // and no single draw vanishes
    for (const r of draws) expect(r.get(last)).toBeGreaterThan(0.01);
  }, 120_000);

  test('with the old rule (depthwise fan-in kh*kw*C) the same network loses them: the bug this fixes', async () => {
    const rms = await layerRms(p, plan, oldRule(plan));
    expect(rms.get(last)).toBeLessThan(1e-6);
  }, 60_000);
});

/** A ResNet-style body: a stem, then `blocks` blocks x + bn(conv(relu(bn(conv(x))))), a ReLU after each sum; a projection (1x1 conv + bn) shortcut on the first. */
function resnetLike(blocks: number, channels: number): string {
  const lines = [`  stem: conv2d ${channels} kernel 3x3 same nobias`, '  stem_bn: batchnorm', '  t0: relu'];
  for (let i = 1; i <= blocks; i++) {
    const shortcut = i === 1 ? 'proj_bn' : `t${i - 1}`;
    if (i === 1) lines.push(`  proj: conv2d ${channels} kernel 1x1 nobias from t0`, '  proj_bn: batchnorm');
    lines.push(`  a${i}: conv2d ${channels} kernel 3x3 same nobias from t${i - 1}`, `  a${i}_bn: batchnorm`, '  relu');
    lines.push(`  b${i}: conv2d ${channels} kernel 3x3 same nobias`, `  b${i}_bn: batchnorm`);
    lines.push(`  s${i}: add b${i}_bn, ${shortcut}`, `  t${i}: relu`);
  }
  lines.push('  global_avgpool', '  dense 10');
  return lines.join('\n');
}

describe('residual branches scaled down (Fixup)', () => {
  const blocks = 16;
  const { p, plan } = pipelineOf(pipeline(resnetLike(blocks, 16), 8));

  test("each branch's last scaled layer gets 1/sqrt(L) (L sums), the trunk and the projection shortcut none", () => {
    const scales = residualBranchScales(p.model.layers);
    // the pipeline's layers after the passes: a batchnorm after a linear conv2d is folded into it
    const ends = [...scales.keys()].sort();
    expect(ends).toHaveLength(blocks);
    for (const f of scales.values()) expect(f).toBeCloseTo(1 / Math.sqrt(blocks), 12);
    for (const end of ends) expect(end).toMatch(/^b\d+(_bn)?$/);
    expect(scales.has('proj') || scales.has('proj_bn')).toBe(false);
    const t = bobTensors(p, plan);
    const b3 = t.get('b3_bn.scale') ?? t.get('b3.kernel')!;
    const a3 = t.get('a3_bn.scale') ?? t.get('a3.kernel')!;
    expect(maxAbs(b3) / maxAbs(a3)).toBeLessThan(0.3); // 1/4 of the unscaled draw, up to the draws' spread
  });

  test('a network without sums has no scaled branch', () => {
    expect(residualBranchScales(pipelineOf(pipeline(mobilenetLike(2, 8), 8)).p.model.layers).size).toBe(0);
  });

  test('the logits keep an rms of order one through 16 residual blocks (unscaled, each sum doubles the variance)', async () => {
    const rms = await layerRms(p, plan, partyValues(plan, p, 1, { seed: 1 }));
    expect(rms.get('dense_1')).toBeGreaterThan(0.05);
    expect(rms.get('dense_1')).toBeLessThan(10);
  }, 120_000);
});
