// The per-frame softmax never overflows: its sum is an integer of k - 1 + ceil(log2 C) bits,
// normalised before the division (src/ir/ring-fit.ts, helpers.ts's _ppvc_normalised_quotients),
// so any logits sfix holds give the right probabilities, however many classes and however large
// their sum; simulate emulates that division step by step. And a fixed-point emulation that
// loses the signal says where and suggests a precision that keeps it, checked by simulating it
// (src/simulate/signal.ts). The MPC test runs where MP-SPDZ is built.
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT, describeUnless, mpSpdzHome, noMpSpdzReason, pipelineOf } from './helpers.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { fitsRing, normalisedDivision } from '../src/ir/ring-fit.js';
import { Truncator, normalisedQuotients, simulateFixed } from '../src/simulate/fixed-point.js';
import { simulate } from '../src/simulate/simulate.js';
import { formatSimulation } from '../src/simulate/report.js';
import { LOST_BITS } from '../src/simulate/signal.js';
import { partyValues, seededRandom } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';
import { applyPatch, locateMpSpdz, placeProgram } from '../src/backend/mp-spdz.js';
import { compileIfStale } from '../src/backend/run-pipeline.js';
import { runLocal } from '../src/backend/local-run.js';
import { evaluateReference } from '../src/reference/evaluate.js';

/** A pipeline whose logits are a dense layer's: weights w, biases b (the hand-made logits). */
function denseOnly(classes: number, output = 'relu_normalized', target = '', reveal = 'reveal label to alice') {
  return [
    'pipeline many',
    'party alice = 0',
    'party bob = 1',
    'video clip: [2, 2, 2, 1] from alice',
    'select public frames [0, 1]',
    'model m by bob {',
    '  flatten',
    `  dense ${classes}`,
    '}',
    `classify each frame with m, softmax ${output}`,
    'label = argmax(sum)',
    reveal,
    `target mp-spdz { protocol replicated-ring ${target} }`,
  ].join('\n');
}

/** Inputs: a video in [0, 1], the kernel scaled by `spread` (the frames' logits differ by up to about it), the biases. */
function denseInputs(p: Pipeline, plan: InputPlan, bias: number[], spread: number, seed = 1): Map<number, Float32Array> {
  const rand = seededRandom(seed);
  const values = new Map<number, Float32Array>();
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    const v = partyValues(plan, p, party.party, { seed });
    for (const t of party.tensors) {
      if (t.name.endsWith('.bias')) v.set(bias, t.offset);
      else if (t.name.endsWith('.kernel')) for (let i = 0; i < t.elements; i++) v[t.offset + i] = (rand() - 0.5) * spread;
    }
    values.set(party.party, v);
  }
  return values;
}

/** The paper's per-frame output in float64. */
const reluNormalised = (u: number[]) => {
  const r = u.map((x) => Math.max(0, x));
  const s = r.reduce((a, b) => a + b, 0);
  return s > 0 ? r.map((x) => x / s) : r.map(() => 1 / u.length);
};

describe("the ReLU-normalised softmax's sum beyond sfix's k", () => {
  test.each([
    ['361 classes at 200 each (sum 72,200; sfix(16, 31) holds 16,384)', 361, () => 200, ''],
    ['361 classes from -50 to 250', 361, (j: number) => -50 + ((j * 97) % 301), ''],
    ['1000 classes near the limit, 16,000 each (sum 1.6e7)', 1000, (j: number) => 16000 - (j % 13), ''],
    ['7 classes at 60 each under ring 32, precision 12 19 (limit 64)', 7, () => 60, 'ring 32 precision 12 19'],
    ['100 classes at 50 under ring 32, precision 12 19', 100, (j: number) => 50 - (j % 7), 'ring 32 precision 12 19'],
  ])('%s: simulate matches relu(u)/sum within 2^-f + 2^-(bits - 3) and keeps the float label', (_, classes, logit, target) => {
    const { p, plan } = pipelineOf(denseOnly(classes, 'relu_normalized', target));
    const bias = Array.from({ length: classes }, (_, j) => logit(j));
    const r = simulateFixed(p, plan, denseInputs(p, plan, bias, 0), { seed: 3 });
    const at = normalisedDivision({ ...p.target, classes });
    const one = 2 ** p.target.f;
    for (const [i, u] of r.logits.entries()) {
      // the logits are the biases, rounded to f bits: exact where the kernel is 0
      expect(u).toEqual(bias.map((b) => Math.round(b * one) / one));
      const want = reluNormalised(u);
      const worst = Math.max(...r.perFrame[i]!.map((q, j) => Math.abs(q - want[j]!)));
      expect(worst).toBeLessThan(2 ** -p.target.f + 2 ** -(at.bits - 3));
    }
    const sum = r.layers.find((l) => l.name === 'softmax sum')!;
    expect(sum.maxAbs).toBeGreaterThan(2 ** (p.target.k - p.target.f - 1));
    // an integer of sumBits bits, not an sfix: no overflow reported, nor a precision suggested for it
    expect(sum.bits).toBe(at.sumBits);
    expect(sum.warning).toBeUndefined();
    expect(r.suggestion?.reason ?? '').not.toContain('softmax sum');
    // a unique largest logit is the label (equal ones differ by the truncations' coins)
    const top = Math.max(...bias);
    if (bias.filter((b) => b === top).length === 1) expect(r.label).toBe(bias.indexOf(top));
  });

  test('the exact softmax of equal logits (its exponentials sum to sfix\'s limit itself): 1/C each', () => {
    for (const classes of [2, 7, 361]) {
      const { p, plan } = pipelineOf(denseOnly(classes, 'exact'));
      const r = simulateFixed(p, plan, denseInputs(p, plan, new Array(classes).fill(3), 0), { seed: 1 });
      for (const probs of r.perFrame) for (const q of probs) expect(Math.abs(q - 1 / classes)).toBeLessThan(2 ** -12);
      const sum = r.layers.find((l) => l.name === 'softmax sum')!;
      expect(sum.bits).toBe(p.target.k + 1);
      expect(sum.warning).toBeUndefined();
    }
  });

  test('property: for any class count up to 1000 and any logits sfix(f, k) holds, at rings 32, 64 and 128, every quotient within 2^-f + 2^-(bits - 3) of relu(u)/sum and every truncated value inside its declared bits', () => {
    const precisions: [number, number, number][] = [
      [32, 12, 19],
      [32, 8, 23],
      [64, 16, 31],
      [64, 20, 40],
      [128, 30, 52],
    ];
    const arb = fc.record({
      at: fc.constantFrom(...precisions),
      classes: fc.integer({ min: 1, max: 1000 }),
      // the logits' magnitude in bits above 2^-f: from a few units to sfix's limit
      scale: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(
      fc.property(arb, ({ at: [ringBits, f, k], classes, scale, seed }) => {
        if (!fitsRing({ f, k, ringBits, classes })) return;
        const division = normalisedDivision({ f, k, ringBits, classes });
        const rand = seededRandom(seed);
        const top = 2 ** Math.floor(scale * (k - 1));
        const r = Array.from({ length: classes }, () => BigInt(Math.floor(Math.min(2 ** (k - 1) - 1, rand() * top) * (rand() < 0.3 ? 0 : 1))));
        const total = r.reduce((a, b) => a + b, 0n);
        const inside = (value: bigint, bits: number) => {
          if (bits >= ringBits || value < 0n || value >= 1n << BigInt(bits)) throw new Error(`${value} outside ${bits} bits (ring ${ringBits})`);
        };
        const { quotients, positive } = normalisedQuotients(r, f, division, new Truncator('probabilistic', seed), inside);
        if (positive !== total > 0n) throw new Error('positive is not sum > 0');
        const tolerance = 2 ** -f + 2 ** -(division.bits - 3);
        quotients.forEach((q, j) => {
          const want = total > 0n ? Number(r[j]!) / Number(total) : 0;
          if (Math.abs(Number(q) / 2 ** f - want) >= tolerance) throw new Error(`class ${j}: ${Number(q) / 2 ** f} for ${want}`);
        });
      }),
      { numRuns: 300, seed: 19 },
    );
  });
});

describe('the signal analysis', () => {
  // five layers, each weight scaled down: every layer shrinks the values by about 8
  const shrinking = [
    'pipeline vanish',
    'party alice = 0',
    'party bob = 1',
    'video clip: [3, 8, 8, 1] from alice',
    'select 2 frames by bob',
    'model m by bob {',
    '  conv2d 8 kernel 3x3 same relu',
    '  conv2d 8 kernel 3x3 same relu',
    '  conv2d 8 kernel 3x3 same relu',
    '  conv2d 8 kernel 3x3 same relu',
    '  flatten',
    '  dense 10 relu',
    '  dense 5',
    '}',
    'classify each frame with m, softmax relu_normalized',
    'label = argmax(sum)',
    'reveal label to alice',
  ].join('\n');

  function vanishingInputs(p: Pipeline, plan: InputPlan, factor: number) {
    const values = new Map<number, Float32Array>();
    for (const party of plan.parties) {
      if (party.tensors.length === 0) continue;
      const v = partyValues(plan, p, party.party, { seed: 4 + party.party });
      for (const t of party.tensors) if (t.role === 'parameter') for (let i = t.offset; i < t.offset + t.elements; i++) v[i] = v[i]! * factor;
      values.set(party.party, v);
    }
    return values;
  }

  test('healthy weights: every layer keeps many bits, nothing is lost, nothing suggested', () => {
    const { p, plan } = pipelineOf(shrinking);
    const s = simulateFixed(p, plan, vanishingInputs(p, plan, 1), { seed: 1 }).signal!;
    expect(s.lost).toBeUndefined();
    expect(s.worstBits).toBeGreaterThan(10);
    expect(s.layers.map((l) => l.name)).toEqual(['input', 'conv2d_1', 'conv2d_2', 'conv2d_3', 'conv2d_4', 'dense_1', 'dense_2']);
  });

  test("vanishing activations: the first layer under 4 bits named, a precision suggested and re-simulated to keep every layer's signal, an error in the report", async () => {
    const { p, plan } = pipelineOf(shrinking);
    const values = vanishingInputs(p, plan, 0.12);
    const r = await simulate(p, plan, values, { seed: 1 });
    const s = r.fixed.signal!;
    const lost = s.layers.find((l) => l.bits !== undefined && l.bits < LOST_BITS)!;
    expect(lost).toBeDefined();
    expect(s.lost).toEqual({ layer: lost.name, bits: lost.bits });
    // the layers before it keep their signal
    const before = s.layers.slice(0, s.layers.indexOf(lost));
    expect(before.every((l) => l.bits! >= LOST_BITS)).toBe(true);
    // the fixed-point values there have collapsed to a few units of 2^-f
    expect(lost.collapsed).toBeGreaterThan(0.5);
    const g = s.suggestion!;
    expect(g.f).toBeGreaterThan(p.target.f);
    expect(fitsRing({ ...g, classes: p.classes })).toBe(true);
    expect(g.check).toMatchObject({ simulated: true, kept: true });
    expect(g.check!.worstBits).toBeGreaterThanOrEqual(LOST_BITS);
    expect(g.check!.labelsAgree).toBe(true);
    // and simulating it again independently says the same
    const again = simulateFixed({ ...p, target: { ...p.target, f: g.f, k: g.k, ringBits: g.ringBits } }, plan, values, { seed: 2 });
    expect(again.signal!.lost).toBeUndefined();
    const text = formatSimulation(r, p, { source: 'test' });
    expect(text).toContain(`error: the signal is lost at '${lost.name}'`);
    expect(text).toMatch(new RegExp(`^  ${lost.name} .*<-- SIGNAL LOST$`, 'm'));
    expect(text).toContain(`suggestion: ${g.statement}`);
    expect(text).toMatch(/re-simulated(?: \(after \d simulations\))?: every layer keeps at least \d+\.\d significant bits, label \d \(= float\)/);
  });

  test('simulate exits 1 on a lost signal, naming the layer (text and --json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-signal-'));
    try {
      const { p, plan } = pipelineOf(shrinking);
      const values = vanishingInputs(p, plan, 0.12);
      writeFileSync(join(dir, 'vanish.ppvc'), shrinking + '\n');
      writeFileSync(join(dir, 'video.txt'), formatValues(values.get(0)!));
      writeFileSync(join(dir, 'weights.txt'), formatValues(values.get(1)!));
      const args = [join(ROOT, 'dist', 'cli.js'), 'simulate', join(dir, 'vanish.ppvc'), '--video', join(dir, 'video.txt'), '--weights', join(dir, 'weights.txt')];
      const text = await execa('node', args, { reject: false });
      expect(text.exitCode).toBe(1);
      expect(text.stdout).toMatch(/^error: the signal is lost at '\w+'/m);
      const json = await execa('node', [...args, '--json'], { reject: false });
      expect(json.exitCode).toBe(1);
      expect(JSON.parse(json.stdout).signal.lost.layer).toMatch(/^\w+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeUnless(noMpSpdzReason())('MP-SPDZ: a ReLU sum beyond sfix', () => {
  jest.setTimeout(300_000);

  test("361 classes with logits of 100 to 250 (a sum of about 63,000, four times sfix(16, 31)'s limit) under replicated-ring: the float label, and the summed probabilities within 2^-13 of simulate's and 10^-3 of float's", async () => {
    const r = checkSource({ path: 'many.ppvc', text: denseOnly(361, 'relu_normalized', '', 'reveal label to alice\nreveal sum to alice') });
    const a = buildPipeline(r.pipeline!);
    const mp = locateMpSpdz(mpSpdzHome()!);
    await applyPatch(mp, a.helpers);
    placeProgram(mp, a.pipeline.name, a.program);
    await compileIfStale(mp, a);
    // the largest logit at class 281, the others spread below it
    const bias = Array.from({ length: 361 }, (_, j) => (j === 281 ? 250 : 100 + ((j * 37) % 140)));
    const values = denseInputs(a.pipeline, a.inputs, bias, 4);
    const reference = await evaluateReference(a.pipeline, a.inputs, values);
    expect(reference.label).toBe(281);
    const fixed = simulateFixed(a.pipeline, a.inputs, values);
    expect(fixed.layers.find((l) => l.name === 'softmax sum')!.maxAbs).toBeGreaterThan(4 * 16384 * 0.9);
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-many-'));
    try {
      for (const [party, v] of values) writeFileSync(join(dir, `Input-P${party}-0`), formatValues(v));
      const run = await runLocal(mp, a.pipeline, { inputPrefix: join(dir, 'Input'), timeoutSeconds: 240 });
      expect(run.outputs['label']).toBe('281');
      const sum = run.outputs['sum']!.split(' ').map(Number);
      expect(sum).toHaveLength(361);
      const worst = (to: number[]) => Math.max(...sum.map((x, j) => Math.abs(x - to[j]!)));
      expect(worst(fixed.aggregate)).toBeLessThan(2 ** -13);
      expect(worst(reference.aggregate)).toBeLessThan(1e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
