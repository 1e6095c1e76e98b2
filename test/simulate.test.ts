// The fixed-point emulation of the generated MP-SPDZ program (src/simulate): agreement with the
// float reference, exactness against an independent BigInt implementation (including the limb
// path for products beyond 2^53), MP-SPDZ's division, the range analysis, reproducible
// probabilistic truncation, and the float64 input reader. Fast, no MP-SPDZ.
import { compileExample, pipelineOf } from './helpers.js';
import { fitsRing } from '../src/ir/ring-fit.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { simulate } from '../src/simulate/simulate.js';
import {
  roundHalfEven,
  simulateFixed,
  suggestPrecision,
  toFixed,
  Truncator,
  type LayerRange,
} from '../src/simulate/fixed-point.js';
import { kerasPadding, mpSpdzConvPadding } from '../src/ir/shapes.js';
import { looksLikeValues, parseValues64 } from '../src/inputs/read-values.js';
import { UserError } from '../src/diagnostics.js';

function inputsFor(p: Pipeline, plan: InputPlan, seed: number, scaleWeights = 1): Map<number, Float32Array> {
  const values = new Map<number, Float32Array>();
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    const v = partyValues(plan, p, party.party, { seed: seed + party.party });
    if (scaleWeights !== 1) {
      for (const t of party.tensors) if (t.role === 'parameter') for (let i = t.offset; i < t.offset + t.elements; i++) v[i] = v[i]! * scaleWeights;
    }
    values.set(party.party, v);
  }
  return values;
}

describe('fixed point against the float reference', () => {
  test.each([
    ['examples/small-maxpool.ppvc', 1],
    ['examples/small-maxpool.ppvc', 2],
    ['examples/residual.ppvc', 1],
    ['examples/residual.ppvc', 2],
  ])('%s, random weights (seed %i): same label, outputs within 1e-2', async (path, seed) => {
    const a = compileExample(path);
    const values = inputsFor(a.pipeline, a.inputs, seed);
    const r = await simulate(a.pipeline, a.inputs, values, { seed: 7 });
    expect(r.fixed.label).toBe(r.float!.label);
    expect(r.labelsAgree).toBe(true);
    expect(r.maxDifference).toBeLessThan(1e-2);
    expect(r.fixed.frames).toEqual(r.float!.frames);
    // every per-frame output of the ReLU-normalised softmax sums to 1 (up to truncation)
    for (const probs of r.fixed.perFrame) expect(Math.abs(probs.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-3);
    // one range row per computing layer, plus the frames, the softmax's sum (an integer of its
    // own bits: no reciprocal, so no row for one) and the aggregate
    expect(r.layers[0]!.name).toBe('input');
    expect(r.layers.slice(-2).map((l) => [l.name, l.bits])).toEqual([
      ['softmax sum', a.pipeline.target.k - 1 + Math.ceil(Math.log2(a.pipeline.classes))],
      ['aggregate', undefined],
    ]);
    expect(r.layers.every((l) => !l.warning)).toBe(true);
    expect(r.suggestion).toBeUndefined();
    // the float64 layers of the signal analysis (every layer kind of these examples) agree with
    // the fixed-point ones to far more than the bits that would count as lost
    const s = r.fixed.signal!;
    expect(s.lost).toBeUndefined();
    expect(s.worstBits).toBeGreaterThan(10);
    expect(s.layers.map((l) => l.name)).toEqual(['input', ...a.pipeline.model.layers.filter((l) => !['flatten', 'reshape', 'dropout'].includes(l.op)).map((l) => l.name)]);
  });
});

describe('exact integer arithmetic', () => {
  // An independent BigInt implementation of the generated program's arithmetic (floor
  // truncation, MP-SPDZ padding), for a pipeline whose products need more than 53 bits.
  const text = [
    'pipeline naive',
    'party alice = 0',
    'party bob = 1',
    'video clip: [3, 6, 6, 2] from alice',
    'select public frames [0, 2]',
    'model m by bob {',
    '  conv2d 3 kernel 3x3 same relu',
    '  avgpool 2x2',
    '  maxpool 2x2 stride 1 same',
    '  flatten',
    '  dense 4',
    '}',
    'classify each frame with m, logits',
    'label = argmax(sum)',
    'reveal label to alice',
    'target mp-spdz { protocol replicated-ring ring 128 precision 20 40 }',
  ].join('\n');

  function naive(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array>, f: number): bigint[][] {
    const F = BigInt(f);
    const fix = (v: number) => BigInt(toFixed(v, f));
    const byName = new Map<string, Float32Array>();
    for (const party of plan.parties) for (const t of party.tensors) byName.set(t.name, values.get(party.party)!.subarray(t.offset, t.offset + t.elements));
    const floorDiv = (x: bigint) => x >> F;
    const video = byName.get('video')!;
    const out: bigint[][] = [];
    for (const frame of [0, 2]) {
      // conv2d 3 kernel 3x3 same relu on 6x6x2 (MP-SPDZ SAME: pad 1)
      const x = Array.from({ length: 72 }, (_, i) => fix(video[frame * 72 + i]!));
      const k = Array.from(byName.get('conv2d_1.kernel')!, fix);
      const b = Array.from(byName.get('conv2d_1.bias')!, fix);
      const c1: bigint[] = [];
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 6; j++)
          for (let o = 0; o < 3; o++) {
            let s = b[o]! << F;
            for (let di = 0; di < 3; di++)
              for (let dj = 0; dj < 3; dj++) {
                const y = i + di - 1;
                const xx = j + dj - 1;
                if (y < 0 || y >= 6 || xx < 0 || xx >= 6) continue;
                for (let c = 0; c < 2; c++) s += x[(y * 6 + xx) * 2 + c]! * k[((di * 3 + dj) * 2 + c) * 3 + o]!;
              }
            const v = floorDiv(s);
            c1.push(v > 0n ? v : 0n);
          }
      // avgpool 2x2: sum times round(2^f / 4), truncated
      const quarter = BigInt(roundHalfEven(2 ** f / 4));
      const a1: bigint[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let o = 0; o < 3; o++) {
            let s = 0n;
            for (let di = 0; di < 2; di++) for (let dj = 0; dj < 2; dj++) s += c1[((2 * i + di) * 6 + 2 * j + dj) * 3 + o]!;
            a1.push(floorDiv(s * quarter));
          }
      // maxpool 2x2 stride 1 same on 3x3: windows clipped at the bottom/right
      const m1: bigint[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let o = 0; o < 3; o++) {
            let best: bigint | undefined;
            for (let di = 0; di < 2; di++)
              for (let dj = 0; dj < 2; dj++) {
                if (i + di >= 3 || j + dj >= 3) continue;
                const v = a1[((i + di) * 3 + j + dj) * 3 + o]!;
                if (best === undefined || v > best) best = v;
              }
            m1.push(best!);
          }
      // dense 4: trunc(x . W) + b
      const W = Array.from(byName.get('dense_1.kernel')!, fix);
      const db = Array.from(byName.get('dense_1.bias')!, fix);
      const logits: bigint[] = [];
      for (let o = 0; o < 4; o++) {
        let s = 0n;
        for (let i = 0; i < 27; i++) s += m1[i]! * W[i * 4 + o]!;
        logits.push(floorDiv(s) + db[o]!);
      }
      out.push(logits);
    }
    return out;
  }

  test('conv2d, avgpool, maxpool and dense equal a BigInt implementation, with products beyond 2^53', () => {
    const { p, plan } = pipelineOf(text);
    // big weights and biases: x * w reaches 2^50 and more per product, sums 2^55
    const values = inputsFor(p, plan, 3, 1000);
    const bob = values.get(1)!;
    for (const t of plan.parties[1]!.tensors) if (t.name.endsWith('.bias')) for (let i = 0; i < t.elements; i++) bob[t.offset + i] = (i % 3) - 1 + 0.37;
    const r = simulateFixed(p, plan, values, { rounding: 'floor' });
    const want = naive(p, plan, values, p.target.f);
    expect(r.logits).toEqual(want.map((row) => row.map((v) => Number(v) / 2 ** p.target.f)));
    // and far beyond float64's exact integers: a plain float64 sum would have lost bits here
    const largest = want.flat().reduce((m, v) => (v < 0n ? (-v > m ? -v : m) : v > m ? v : m), 0n);
    expect(largest > 2n ** 40n).toBe(true);
  });

  test('probabilistic truncation rounds to one of the two neighbours, each about as often as it should', () => {
    const t = new Truncator('probabilistic', 5);
    const trials = 20000;
    const seen = new Map<number, number>();
    for (let i = 0; i < trials; i++) {
      const q = t.trunc(4 * 65536 + 16384, 16); // 4.25
      seen.set(q, (seen.get(q) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([4, 5]);
    expect(Math.abs(seen.get(5)! / trials - 0.25)).toBeLessThan(0.02);
    expect(t.trunc(-3 * 65536, 16)).toBe(-3);
    expect(new Truncator('nearest', 1).trunc(-2.5 * 65536, 16)).toBe(-2); // half up
    expect(new Truncator('floor', 1).trunc(-2.25 * 65536, 16)).toBe(-3);
    expect(new Truncator('floor', 1).truncBig(-(2n ** 70n) - 1n, 16)).toBe(-(2n ** 54n) - 1n);
  });

  test('SAME padding: MP-SPDZ conv (stride[1] quirk) and Keras', () => {
    const l = { inShape: [7, 8, 1], outShape: [4, 4, 1], kernel: [3, 3] as [number, number], strides: [2, 2] as [number, number], padding: 'same' as const };
    expect(mpSpdzConvPadding(l)).toEqual(kerasPadding(l));
    // rows 7 with a row stride of 1 but a column stride of 2: MP-SPDZ tests 7 % 2
    const odd = { inShape: [7, 8, 1], outShape: [7, 4, 1], kernel: [3, 3] as [number, number], strides: [1, 2] as [number, number], padding: 'same' as const };
    expect(kerasPadding(odd)).toEqual([1, 0]);
    expect(mpSpdzConvPadding(odd)).toEqual([1, 0]);
    expect(mpSpdzConvPadding({ ...odd, padding: 'valid' })).toEqual([0, 0]);
  });
});

describe('range analysis', () => {
  const tiny = (precision: string) =>
    [
      'pipeline ranges',
      'party alice = 0',
      'party bob = 1',
      'video clip: [4, 8, 8, 1] from alice',
      'select 2 frames by bob',
      'model m by bob {',
      '  conv2d 4 kernel 3x3 relu',
      '  flatten',
      '  dense 8 relu',
      '  dense 3',
      '}',
      'classify each frame with m, softmax relu_normalized',
      'label = argmax(sum)',
      'reveal label to alice',
      `target mp-spdz { protocol replicated-ring ${precision} }`,
    ].join('\n');

  test('flags an overflow provoked with precision 8 12 and big weights, and suggests a precision that fits', () => {
    const { p, plan } = pipelineOf(tiny('precision 8 12'));
    const r = simulateFixed(p, plan, inputsFor(p, plan, 1, 8), { seed: 1 });
    expect(r.layers[0]!.limit).toBe(8);
    const over = r.layers.filter((l) => l.ratio >= 1);
    expect(over.length).toBeGreaterThan(0);
    expect(over[0]!.warning).toMatch(/^overflow: values reach .* beyond the \+-8 sfix holds/);
    const s = r.suggestion!;
    expect(s).toBeDefined();
    expect(fitsRing(s)).toBe(true);
    expect(s.statement).toBe(`${s.ringBits !== 64 ? `ring ${s.ringBits}  ` : ''}precision ${s.f} ${s.k}`);
    // the suggested precision holds every layer with a factor of 4 to spare
    const worst = Math.max(...r.layers.map((l) => l.maxAbs));
    expect(2 ** (s.k - s.f - 1)).toBeGreaterThanOrEqual(4 * worst);
    // and with it the same inputs raise no warning
    const again = pipelineOf(tiny(s.statement));
    const r2 = simulateFixed(again.p, again.plan, inputsFor(again.p, again.plan, 1, 8), { seed: 1 });
    expect(r2.layers.filter((l) => l.warning)).toEqual([]);
  });

  test('suggests a smaller f, else a larger ring, when the ring does not hold the precision', () => {
    const row = (maxAbs: number): LayerRange => ({ name: 'l', op: 'dense', maxAbs, limit: 16384, ratio: maxAbs / 16384 });
    const ring64 = { f: 16, k: 31, ringBits: 64 };
    expect(suggestPrecision([row(100)], ring64)).toBeUndefined();
    expect(suggestPrecision([row(5000)], ring64)).toMatchObject({ f: 16, k: 32, ringBits: 64 });
    // products need k + f bits; the relu_normalized softmax normalises its division
    expect(suggestPrecision([row(1e6)], ring64)).toMatchObject({ f: 16, k: 39, ringBits: 64 });
    expect(suggestPrecision([row(1e9)], ring64)).toMatchObject({ f: 15, k: 48, ringBits: 64, statement: 'precision 15 48' });
    // MP-SPDZ's softmax needs 2k bits
    const exact = { ...ring64, exactSoftmax: true };
    expect(suggestPrecision([row(1e6)], exact)).toMatchObject({ f: 9, k: 32, ringBits: 64 });
    expect(suggestPrecision([row(1e9)], exact)).toMatchObject({ f: 16, k: 49, ringBits: 128, statement: 'ring 128  precision 16 49' });
    expect(suggestPrecision([row(1e12)], ring64)).toMatchObject({ f: 10, k: 53, ringBits: 64 });
    expect(suggestPrecision([row(1e15)], ring64)).toMatchObject({ f: 16, k: 69, ringBits: 128 });
  });
});

describe('reproducibility', () => {
  test('probabilistic truncation is reproducible with a seed, and differs with another seed', () => {
    const a = compileExample('examples/small-maxpool.ppvc');
    const values = inputsFor(a.pipeline, a.inputs, 4);
    const r1 = simulateFixed(a.pipeline, a.inputs, values, { seed: 11 });
    const r2 = simulateFixed(a.pipeline, a.inputs, values, { seed: 11 });
    const r3 = simulateFixed(a.pipeline, a.inputs, values, { seed: 12 });
    expect(r2.logits).toEqual(r1.logits);
    expect(r2.perFrame).toEqual(r1.perFrame);
    expect(r3.logits).not.toEqual(r1.logits);
    // the coin flips move each value by at most a few units of 2^-f
    const diff = Math.max(...r1.logits.flat().map((x, i) => Math.abs(x - r3.logits.flat()[i]!)));
    expect(diff).toBeLessThan(64 / 2 ** 16);
    // floor rounding ignores the seed
    expect(simulateFixed(a.pipeline, a.inputs, values, { seed: 1, rounding: 'floor' }).logits).toEqual(simulateFixed(a.pipeline, a.inputs, values, { seed: 2, rounding: 'floor' }).logits);
  });

  test('float64 inputs: what MP-SPDZ reads, rounded as its FixInput rounds', () => {
    expect(toFixed(2.5 / 65536, 16)).toBe(3); // halves away from zero (C round)
    expect(toFixed(-2.5 / 65536, 16)).toBe(-3);
    expect(roundHalfEven(2.5)).toBe(2); // python round for compiled constants
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(65536 / 7)).toBe(9362);
  });
});

describe('reading input files as float64', () => {
  test('the same numbers as Number(), including long and exponent forms', () => {
    const tokens = ['0.1450980454683', '-0.20981185138225555', '1e-7', '-3.5E+2', '+.5', '5.', '-0', '12345678901234567890', '0.000000000000000000000001234'];
    const got = parseValues64(tokens.join('\n') + '\n', 'x.txt');
    expect(Array.from(got)).toEqual(tokens.map(Number));
    expect(Object.is(got[6], -0)).toBe(true);
    for (let i = 0; i < 2000; i++) {
      const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 20 - 10);
      const s = [String(x), x.toPrecision(1 + (i % 17)), x.toExponential(i % 15), String(Math.fround(x))][i % 4]!;
      expect(parseValues64(s, 'r')[0]).toBe(Number(s));
    }
  });

  test.each([
    ['1\n2\nabc\n', "x.txt: element 2 (line 3) is not a number: 'abc'"],
    ['1 2\n\n 0x10\n', "x.txt: element 2 (line 3) is not a number: '0x10'"],
    ['1e400\n', "x.txt: element 0 (line 1) is not a number: '1e400'"],
    ['1.2.3', "x.txt: element 0 (line 1) is not a number: '1.2.3'"],
  ])('%j is refused with its element and line', (text, message) => {
    expect(() => parseValues64(text, 'x.txt')).toThrow(UserError);
    expect(() => parseValues64(text, 'x.txt')).toThrow(message);
  });

  test('input files are told from videos by their first bytes', () => {
    expect(looksLikeValues(Buffer.from('0.5\n-1e-3\n'))).toBe(true);
    expect(looksLikeValues(Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]))).toBe(false); // an mp4 header
  });
});
