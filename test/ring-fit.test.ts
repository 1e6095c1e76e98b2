// What a ring holds (src/ir/ring-fit.ts): what the checker accepts at rings smaller than 2k, the
// softmax's division on normalised sums the emitter and the simulator share at every ring
// (sums far beyond sfix's k included), and the Winograd tiles that no longer fit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, checkText } from './helpers.js';
import { buildPipeline } from '../src/compile.js';
import { ceilLog2, fitsRing, normalisedDivision, productBits, softmaxSumBits } from '../src/ir/ring-fit.js';
import { Truncator, normalisedQuotients } from '../src/simulate/fixed-point.js';
import { seededRandom } from '../src/inputs/random-inputs.js';

const emotion = readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8');
const withTarget = (target: string) => emotion.replace(/target mp-spdz \{.*\}/, `target mp-spdz { ${target} }`);

describe('the ring a precision needs', () => {
  test('products need k + f bits; only the exact softmax needs 2k', () => {
    expect(productBits({ f: 12, k: 19 })).toBe(31);
    expect(fitsRing({ f: 12, k: 19, ringBits: 32 })).toBe(true);
    expect(fitsRing({ f: 12, k: 21, ringBits: 32 })).toBe(false);
    expect(fitsRing({ f: 12, k: 19, ringBits: 32, exactSoftmax: true })).toBe(false);
    expect(fitsRing({ f: 8, k: 16, ringBits: 32, exactSoftmax: true })).toBe(true);
  });

  test("the softmax's sum: C values below sfix's limit need k - 1 + ceil(log2 C) bits; MP-SPDZ's exponentials k + 1", () => {
    expect([1, 2, 3, 7, 8, 9, 361, 362, 1000, 1024].map(ceilLog2)).toEqual([0, 1, 2, 3, 3, 4, 9, 9, 10, 10]);
    expect(softmaxSumBits({ k: 31, classes: 7 })).toBe(33);
    expect(softmaxSumBits({ k: 31, classes: 362 })).toBe(39);
    expect(softmaxSumBits({ k: 19, classes: 7 })).toBe(21);
    expect(softmaxSumBits({ k: 31, classes: 1 })).toBe(30);
    expect(softmaxSumBits({ k: 31, classes: 362, exactSoftmax: true })).toBe(32);
    // the sum's truncation declares sumBits + 1 bits, below the ring's
    expect(fitsRing({ f: 8, k: 23, ringBits: 32, classes: 256 })).toBe(true);
    expect(fitsRing({ f: 8, k: 23, ringBits: 32, classes: 362 })).toBe(false);
    expect(fitsRing({ f: 16, k: 31, ringBits: 64, classes: 362 })).toBe(true);
  });

  test("the softmax's division at every ring: f + 4 fractional bits where (ring - 3) / 2 allows them, as many Goldschmidt steps as double 3.5 bits past them", () => {
    expect(normalisedDivision({ f: 16, k: 31, ringBits: 64, classes: 7 })).toEqual({ sumBits: 33, bits: 20, iterations: 3 });
    expect(normalisedDivision({ f: 16, k: 31, ringBits: 64, classes: 362 })).toEqual({ sumBits: 39, bits: 20, iterations: 3 });
    expect(normalisedDivision({ f: 12, k: 19, ringBits: 32, classes: 7 })).toEqual({ sumBits: 21, bits: 14, iterations: 2 });
    expect(normalisedDivision({ f: 8, k: 16, ringBits: 32, classes: 7, exactSoftmax: true })).toEqual({ sumBits: 17, bits: 12, iterations: 2 });
    expect(normalisedDivision({ f: 30, k: 60, ringBits: 128, classes: 10 })).toEqual({ sumBits: 63, bits: 34, iterations: 4 });
  });
});

describe('checking and emitting ring 32', () => {
  test('ring 32 with precision 12 19 checks (warning that the party programs must be built for it) and emits -R 32, both precisions and the normalised division', () => {
    const r = checkText(withTarget('protocol replicated-ring  ring 32  precision 12 19'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.map((d) => d.message)).toContainEqual(
      "ring 32: MP-SPDZ builds replicated-ring-party.x for rings of 64, 72, 128, 192 bits; this one needs 'MY_CFLAGS += -DRING_SIZE=32' in its CONFIG.mine before the build",
    );
    const a = buildPipeline(r.pipeline!);
    expect(a.program).toContain('./compile.py -E ring -R 32 -b 2000000 emotion');
    expect(a.program).toContain('sfix.set_precision(12, 19)\ncfix.set_precision(12, 19)\n');
    expect(a.program).toContain('ml.ppvc_relu_normalized_softmax(logits, SELECTED, CLASSES, division=(21, 14, 2))');
    expect(a.mlPatch).toContain('def _ppvc_normalised_quotients(r, sum_bits, bits, iterations):');
  });

  test('a ring MP-SPDZ builds by default (128 for replicated-ring) gets no warning; one it does not build for spdz2k (128) does', () => {
    expect(checkText(withTarget('protocol replicated-ring  ring 128  precision 16 31')).diagnostics).toEqual([]);
    const spdz2k = emotion.replace(/target mp-spdz \{.*\}/, 'target mp-spdz { protocol spdz2k  ring 128 }').replace(/party bob +=.*/, 'party bob   = 1');
    expect(checkText(spdz2k).diagnostics.map((d) => d.message)).toContainEqual(
      expect.stringContaining('MP-SPDZ builds spdz2k-party.x for rings of 64, 72 bits'),
    );
  });

  test('ring 64 divides normalised sums too: 7 classes below sfix(16, 31) sum to 33 bits', () => {
    const a = buildPipeline(checkText(emotion).pipeline!);
    expect(a.program).toContain('ml.ppvc_relu_normalized_softmax(logits, SELECTED, CLASSES, division=(33, 20, 3))\n');
    expect(a.program).toContain("needs 33 bits, beyond sfix's k = 31: an integer");
    expect(a.mlPatch).toContain('def _ppvc_normalised_quotients(r, sum_bits, bits, iterations):');
  });

  test.each([
    ['ring 32  precision 16 31', 'precision 16 31 does not fit a 32-bit ring: a fixed-point product needs k + f < ring bits'],
    ['ring 32  precision 12 21', 'precision 12 21 does not fit a 32-bit ring: a fixed-point product needs k + f < ring bits'],
  ])('%s is an error at the precision', (target, message) => {
    const r = checkText(withTarget(`protocol replicated-ring  ${target}`));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.message)).toEqual([message]);
    expect(errors[0]!.span?.line).toBe(35);
  });

  test("Winograd's F(2x2, 3x3) needs 2 more bits than k + f: off where the ring lacks them, on where it has them", () => {
    const winograd = (target: string) =>
      (buildPipeline(checkText(withTarget(`protocol replicated-ring  ${target}`)).pipeline!).program.match(/PpvcWinogradConv2d\(/g) ?? []).length;
    expect(winograd('ring 64  precision 16 31')).toBeGreaterThan(0);
    expect(winograd('ring 32  precision 12 19')).toBe(0);
    expect(winograd('ring 32  precision 11 19')).toBe(0);
    expect(winograd('ring 32  precision 11 18')).toBeGreaterThan(0);
  });
});

describe('the normalised division as the simulator emulates it', () => {
  // (ring, f, k) with k + f < ring, at 2k beyond the ring and within it
  test.each([
    [28, 10, 17],
    [32, 12, 19],
    [32, 8, 23],
    [34, 12, 21],
    [40, 16, 23],
    [64, 16, 31],
    [64, 16, 40],
    [64, 15, 48],
    [64, 8, 12],
  ])(
    'ring %i, precision %i %i: quotients within 2^-f + 2^-(bits - 3) of r_j / total for sums from 1 unit to C times sfix\'s limit, a single positive class exactly 1 within that, every intermediate inside its bits',
    (ringBits, f, k) => {
      const tolerance = (at: { bits: number }) => 2 ** -f + 2 ** -(at.bits - 3);
      const rand = seededRandom(ringBits * 100 + f);
      // MP-SPDZ's unsigned truncation of k bits needs 0 <= value < 2^k, and k < ring
      const inside = (value: bigint, bits: number) => {
        if (bits >= ringBits) throw new Error(`a truncation declares ${bits} bits in a ${ringBits}-bit ring`);
        if (value < 0n || value >= 1n << BigInt(bits)) throw new Error(`${value} is outside ${bits} bits`);
      };
      for (const [classes, trials] of [
        [7, 200],
        [361, 20],
      ] as const) {
        const at = normalisedDivision({ f, k, ringBits, classes });
        if (!fitsRing({ f, k, ringBits, classes })) continue;
        let worst = 0;
        let worstOne = 0;
        for (const rounding of ['probabilistic', 'nearest'] as const) {
          const fx = new Truncator(rounding, 3);
          for (let trial = 0; trial < trials; trial++) {
            // each value below sfix's limit 2^(k-1), at scales from 1 unit up: sums up to C times it
            const scale = 2 ** Math.floor(rand() * k);
            const r = Array.from({ length: classes }, () => BigInt(Math.min(2 ** (k - 1) - 1, Math.floor(rand() * scale))));
            const total = r.reduce((a, b) => a + b, 0n);
            const { quotients, positive } = normalisedQuotients(r, f, at, fx, inside);
            expect(positive).toBe(total > 0n);
            if (total > 0n) quotients.forEach((x, j) => (worst = Math.max(worst, Math.abs(Number(x) / 2 ** f - Number(r[j]!) / Number(total)))));
            else expect(quotients.every((q) => q === 0n)).toBe(true);
            // one class holds the whole sum: the quotient 1, at the top of every product
            const single = BigInt(Math.max(1, Math.floor(rand() * 2 ** (k - 1))));
            const [one, zero] = normalisedQuotients([single, 0n], f, { ...at, sumBits: softmaxSumBits({ k, classes: 2 }) }, fx, inside).quotients;
            expect(zero).toBe(0n);
            worstOne = Math.max(worstOne, Math.abs(Number(one) / 2 ** f - 1));
          }
        }
        expect({ classes, worst: worst < tolerance(at), worstOne: worstOne < tolerance(at) }).toEqual({ classes, worst: true, worstOne: true });
      }
    },
  );

  test("361 classes at 200 each (a sum of 72,200, 4.4 times what sfix(16, 31) holds), and at 60 each under precision 12 19 in a 32-bit ring (sfix's limit 64): every quotient 1/361 within 2^-f + 2^-(bits - 3)", () => {
    for (const [ringBits, f, k, value] of [
      [64, 16, 31, 200],
      [32, 12, 19, 60],
    ] as const) {
      const at = normalisedDivision({ f, k, ringBits, classes: 361 });
      const r = Array.from({ length: 361 }, () => BigInt(value * 2 ** f));
      expect(Number(r.reduce((a, b) => a + b, 0n)) / 2 ** f).toBeGreaterThan(2 ** (k - f - 1));
      const { quotients } = normalisedQuotients(r, f, at, new Truncator('probabilistic', 1));
      for (const q of quotients) expect(Math.abs(Number(q) / 2 ** f - 1 / 361)).toBeLessThan(2 ** -f + 2 ** -(at.bits - 3));
    }
  });
});
