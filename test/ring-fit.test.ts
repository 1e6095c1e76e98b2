// Rings smaller than 2k (src/ir/ring-fit.ts): what the checker accepts, the division the
// emitter and the simulator choose, and the Winograd tiles that no longer fit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, checkText } from './helpers.js';
import { buildPipeline } from '../src/compile.js';
import { fitsRing, normalisedDivision, productBits } from '../src/ir/ring-fit.js';
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

  test("the softmax's division: sfix's where 2k fits, else Newton's on (ring - 3) / 2 bits, as many steps as double 3.5 bits past them", () => {
    expect(normalisedDivision({ k: 31, ringBits: 64 })).toBeUndefined();
    expect(normalisedDivision({ k: 16, ringBits: 32 })).toBeUndefined();
    expect(normalisedDivision({ k: 19, ringBits: 32 })).toEqual({ bits: 14, iterations: 2 });
    expect(normalisedDivision({ k: 40, ringBits: 64 })).toEqual({ bits: 30, iterations: 4 });
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
    expect(a.program).toContain('ml.ppvc_relu_normalized_softmax(logits, SELECTED, CLASSES, division=(14, 2))');
    expect(a.program).toContain('# k = 19 is more than half the 32-bit ring');
    expect(a.mlPatch).toContain('def _ppvc_normalised_quotients(r, total, bits, iterations):');
  });

  test('a ring MP-SPDZ builds by default (128 for replicated-ring) gets no warning; one it does not build for spdz2k (128) does', () => {
    expect(checkText(withTarget('protocol replicated-ring  ring 128  precision 16 31')).diagnostics).toEqual([]);
    const spdz2k = emotion.replace(/target mp-spdz \{.*\}/, 'target mp-spdz { protocol spdz2k  ring 128 }').replace(/party bob +=.*/, 'party bob   = 1');
    expect(checkText(spdz2k).diagnostics.map((d) => d.message)).toContainEqual(
      expect.stringContaining('MP-SPDZ builds spdz2k-party.x for rings of 64, 72 bits'),
    );
  });

  test('ring 64 keeps sfix division', () => {
    const a = buildPipeline(checkText(emotion).pipeline!);
    expect(a.program).toContain('ml.ppvc_relu_normalized_softmax(logits, SELECTED, CLASSES)\n');
    expect(a.program).not.toContain('division=');
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
  // (ring, f, k) with k + f < ring < 2k
  test.each([
    [28, 10, 17],
    [32, 12, 19],
    [32, 8, 23],
    [34, 12, 21],
    [40, 16, 23],
    [64, 16, 40],
    [64, 15, 48],
  ])(
    'ring %i, precision %i %i: quotients within 2^-f + 2^-(bits - 3) of r_j / total, a single positive class exactly 1 within that, every intermediate inside its bits',
    (ringBits, f, k) => {
      const at = normalisedDivision({ k, ringBits })!;
      expect(at).toBeDefined();
      const tolerance = 2 ** -f + 2 ** -(at.bits - 3);
      const rand = seededRandom(ringBits * 100 + f);
      let worst = 0;
      let worstOne = 0;
      // MP-SPDZ's unsigned truncation of k bits needs 0 <= value < 2^k, and k < ring
      const inside = (value: bigint, bits: number) => {
        expect(bits).toBeLessThan(ringBits);
        if (value < 0n || value >= 1n << BigInt(bits)) throw new Error(`${value} is outside ${bits} bits`);
      };
      for (const rounding of ['probabilistic', 'nearest'] as const) {
        const fx = new Truncator(rounding, 3);
        for (let trial = 0; trial < 300; trial++) {
          // totals from 1 unit to the top of k - 1 bits (values are non-negative after the ReLU)
          const scale = 2 ** Math.floor(rand() * (k - 1));
          const r = Array.from({ length: 7 }, () => BigInt(Math.floor((rand() * scale) / 7)));
          const total = r.reduce((a, b) => a + b, 0n);
          if (total > 0n) {
            const q = normalisedQuotients(r, total, k, f, at, fx, inside);
            q.forEach((x, j) => (worst = Math.max(worst, Math.abs(Number(x) / 2 ** f - Number(r[j]!) / Number(total)))));
          }
          // one class holds the whole sum: the quotient 1, at the top of every product
          const single = BigInt(Math.max(1, Math.floor(rand() * 2 ** (k - 1))));
          const [one, zero] = normalisedQuotients([single, 0n], single, k, f, at, fx, inside);
          expect(zero).toBe(0n);
          worstOne = Math.max(worstOne, Math.abs(Number(one) / 2 ** f - 1));
        }
      }
      expect(worst).toBeLessThan(tolerance);
      expect(worstOne).toBeLessThan(tolerance);
    },
  );
});
