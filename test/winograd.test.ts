// Winograd tile choice (src/passes/winograd.ts): per protocol, the tile that needs the fewest
// secret products where each costs a triple, F(2x2, 3x3) only under replicated sharing, never
// where the direct convolution is cheaper. That the tiles compute the convolution is checked
// with MP-SPDZ (test/mp-spdz.test.ts, "Winograd convolution").
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, source, testUnless } from './helpers.js';
import { checkSource, type BuildOptions } from '../src/compile.js';
import type { Target } from '../src/ir/pipeline.js';
import { denominator, directCost, extraBits, homomorphicConvolutionSeconds, toNumber, winogradCost, winogradTile, winogradTransforms, type Rational, type WinogradConv } from '../src/passes/winograd.js';

function target(opts: BuildOptions): Target {
  const r = checkSource(source('examples/emotion.ppvc'), opts);
  if (!r.pipeline) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.pipeline.target;
}

const conv = (h: number, w: number, c: number, k: number, kernel: [number, number], strides: [number, number] = [1, 1]): WinogradConv => ({
  inShape: [h + kernel[0] - 1, w + kernel[1] - 1, c],
  outShape: [h, w, k],
  kernel,
  strides,
});

describe('Winograd tiles', () => {
  const semi2k = target({ protocol: 'semi2k' });
  const ring = target({ protocol: 'replicated-ring' });

  test('every F(m, r) with up to 6 points computes the correlation, with integer A^T and B^T', () => {
    const rand = (() => {
      let x = 7;
      return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    })();
    for (let r = 1; r <= 5; r++)
      for (let m = 1; m + r - 1 <= 6; m++) {
        const { at, g, bt } = winogradTransforms(m, r);
        const n = m + r - 1;
        expect([at.length, at[0]!.length, g.length, g[0]!.length, bt.length]).toEqual([m, n, n, r, n]);
        for (const x of [...at.flat(), ...bt.flat()]) expect(x.d).toBe(1);
        const d = Array.from({ length: n }, rand);
        const w = Array.from({ length: r }, rand);
        const u = g.map((row) => row.reduce((s, x, k) => s + toNumber(x) * w[k]!, 0));
        const v = bt.map((row) => row.reduce((s, x, i) => s + toNumber(x) * d[i]!, 0));
        for (let i = 0; i < m; i++) {
          const y = at[i]!.reduce((s, x, a) => s + toNumber(x) * u[a]! * v[a]!, 0);
          const direct = w.reduce((s, wk, k) => s + wk * d[i + k]!, 0);
          expect(y).toBeCloseTo(direct, 10);
        }
      }
    // Lavin and Gray's F(2, 3), up to the sign of a row
    expect(winogradTransforms(2, 3).bt.map((row) => row.map(toNumber))).toEqual([
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, -1, 0, 1],
    ]);
    expect(() => winogradTransforms(4, 4)).toThrow('more than 6 points');
  });

  test("G's denominators are 2^a or 2^a times 3 (the points 0, 1, -1, 2, -2): the outputs carry the powers of two, the helper divides out the 3s", () => {
    expect([denominator(2, 3), denominator(3, 3), denominator(4, 3), denominator(2, 5), denominator(1, 3), denominator(3, 2)]).toEqual([2, 6, 24, 24, 1, 2]);
    for (let r = 1; r <= 5; r++)
      for (let m = 1; m + r - 1 <= 6; m++) {
        const d = denominator(m, r);
        const odd = d / (d & -d);
        expect({ m, r, odd: [1, 3].includes(odd) }).toEqual({ m, r, odd: true });
      }
    expect(extraBits([3, 3], [2, 2])).toBe(2);
    expect(extraBits([3, 3], [3, 3])).toBe(2);
    expect(extraBits([3, 3], [4, 4])).toBe(6);
    expect(extraBits([5, 5], [2, 2])).toBe(6);
    expect(extraBits([1, 3], [1, 4])).toBe(3);
  });

  test("the paper's CNN under semi2k: the fewest secret products per layer", () => {
    // output [h, w], channels in and out, kernel: the emotion example's five convolutions
    expect(winogradTile(conv(44, 44, 1, 64, [5, 5]), 7, semi2k)).toEqual([2, 2]);
    expect(winogradTile(conv(18, 18, 64, 64, [3, 3]), 7, semi2k)).toEqual([3, 3]);
    expect(winogradTile(conv(16, 16, 64, 64, [3, 3]), 7, semi2k)).toEqual([4, 4]);
    expect(winogradTile(conv(5, 5, 64, 128, [3, 3]), 7, semi2k)).toEqual([3, 3]);
    expect(winogradTile(conv(3, 3, 128, 128, [3, 3]), 7, semi2k)).toEqual([3, 3]);
    // 16 x 16 outputs: F(4x4) needs 16 tiles of 36 products, 2.25 per output instead of 9
    const c = conv(16, 16, 64, 64, [3, 3]);
    // plus 6 more bits per output (24 = 2^3 x 3 per axis), at 0.008 products a bit; no weight truncations
    expect(winogradCost(c, 7, [4, 4], semi2k)).toBeCloseTo(7 * 16 * 36 * 64 * 64 + 7 * 256 * 64 * 6 * 0.008, 6);
    expect(directCost(c, 7)).toBe(7 * 256 * 9 * 64 * 64);
  });

  test('the chosen tile is never dearer than any other, nor than the direct convolution', () => {
    for (const [h, w, c, k, kernel] of [
      [7, 9, 8, 16, [3, 3]],
      [1, 1, 8, 8, [3, 3]],
      [12, 5, 3, 4, [2, 4]],
      [10, 10, 4, 4, [1, 3]],
      [6, 6, 2, 2, [5, 5]],
    ] as [number, number, number, number, [number, number]][]) {
      const cv = conv(h, w, c, k, kernel);
      const tile = winogradTile(cv, 3, semi2k);
      const best = tile ? winogradCost(cv, 3, tile, semi2k) : directCost(cv, 3);
      expect(best).toBeLessThanOrEqual(directCost(cv, 3));
      // every tile with up to 6 points per axis (1 on an axis the kernel does not span)
      const sizes = (r: number) => (r === 1 ? [1] : [2, 3, 4, 5].filter((m) => m + r - 1 <= 6));
      for (const mh of sizes(kernel[0]))
        for (const mw of sizes(kernel[1])) if (mh * mw > 1) expect(best).toBeLessThanOrEqual(winogradCost(cv, 3, [mh, mw], semi2k));
    }
    // one output: 16 products for F(2x2, 3x3) against 9
    expect(winogradTile(conv(1, 1, 8, 8, [3, 3]), 3, semi2k)).toBeUndefined();
  });

  test('spdz2k prices truncation bits at about a product each: no tile whose truncations cost more than its products save', () => {
    const spdz2k = target({ protocol: 'spdz2k' });
    for (const cv of [conv(44, 44, 1, 64, [5, 5]), conv(18, 18, 64, 64, [3, 3]), conv(16, 16, 64, 64, [3, 3]), conv(3, 3, 128, 128, [3, 3])]) {
      const tile = winogradTile(cv, 7, spdz2k);
      const best = tile ? winogradCost(cv, 7, tile, spdz2k) : directCost(cv, 7);
      expect(best).toBeLessThanOrEqual(winogradCost(cv, 7, [2, 2], spdz2k));
      expect(best).toBeLessThanOrEqual(directCost(cv, 7));
    }
  });

  test("hemi's matrix triples: per layer the fastest of the direct convolution and every tile, by the time model", () => {
    const hemi = target({ protocol: 'hemi' });
    const paper: [WinogradConv, [number, number] | undefined][] = [
      // one input channel: Winograd's products would have an inner dimension of 1, a ciphertext each
      [conv(41, 41, 1, 64, [5, 5]), undefined],
      [conv(17, 17, 64, 64, [3, 3]), [3, 3]],
      [conv(15, 15, 64, 64, [3, 3]), [4, 4]],
      [conv(5, 5, 64, 128, [3, 3]), [3, 3]],
      [conv(3, 3, 128, 128, [3, 3]), [3, 3]],
    ];
    for (const [cv, expected] of paper) {
      const tile = winogradTile(cv, 7, hemi);
      expect(tile).toEqual(expected);
      const seconds = homomorphicConvolutionSeconds(cv, 7, hemi, tile)!;
      expect(seconds).toBeLessThanOrEqual(homomorphicConvolutionSeconds(cv, 7, hemi)!);
      for (const other of [[2, 2], [3, 3], [4, 4], [2, 3], [3, 2]] as [number, number][]) {
        if (Math.max(...other) + cv.kernel[0] - 1 <= 6) expect(seconds).toBeLessThanOrEqual(homomorphicConvolutionSeconds(cv, 7, hemi, other)!);
      }
    }
    // no time model without matrix products, nor under the dealer (whose triples cost no computation)
    expect(homomorphicConvolutionSeconds(conv(17, 17, 64, 64, [3, 3]), 7, target({ protocol: 'hemi', optimizations: { 'matrix-products': false } }))).toBeUndefined();
    expect(homomorphicConvolutionSeconds(conv(17, 17, 64, 64, [3, 3]), 7, target({ protocol: 'dealer-ring' }))).toBeUndefined();
  });

  test('replicated sharing: F(2x2, 3x3) for 3x3 kernels only', () => {
    expect(winogradTile(conv(18, 18, 64, 64, [3, 3]), 7, ring)).toEqual([2, 2]);
    expect(winogradTile(conv(44, 44, 1, 64, [5, 5]), 7, ring)).toBeUndefined();
    expect(winogradTile(conv(16, 16, 8, 8, [1, 3]), 7, ring)).toBeUndefined();
  });

  test('never for strides other than 1, 1x1 kernels, or with --opt no-winograd', () => {
    expect(winogradTile(conv(8, 8, 4, 4, [3, 3], [2, 2]), 7, semi2k)).toBeUndefined();
    expect(winogradTile(conv(8, 8, 4, 4, [1, 1]), 7, semi2k)).toBeUndefined();
    expect(winogradTile(conv(18, 18, 64, 64, [3, 3]), 7, target({ protocol: 'semi2k', optimizations: { winograd: false } }))).toBeUndefined();
  });

  test("without room in the ring for a tile's extra bits (k + f + e < ring): smaller tiles only", () => {
    const wide: Target = { ...semi2k, f: 20, k: 40 };
    // F(4x4, 3x3) carries 6 bits (60 + 6 > 63), F(3x3, 3x3) 2; F(2x2, 5x5) 6, and 25 products direct
    expect(winogradTile(conv(16, 16, 64, 64, [3, 3]), 7, wide)).toEqual([3, 3]);
    expect(winogradTile(conv(44, 44, 1, 64, [5, 5]), 7, wide)).toBeUndefined();
  });
});

describe('Winograd transforms: ml.py helper = TypeScript', () => {
  const python = spawnSync('python3', ['--version']).status === 0;
  testUnless(python ? undefined : 'no python3 on PATH')('_ppvc_winograd_transforms builds the same A^T, G, B^T for every F(m, r) with up to 6 points', () => {
    const configs: [number, number][] = [];
    for (let r = 1; r <= 5; r++) for (let m = 1; m + r - 1 <= 6; m++) configs.push([m, r]);
    // winograd.py as ml.py holds it, with the blocks it needs (test/python/runtime.py)
    const script = [
      'import json',
      'from runtime import load',
      'transforms = load("ordered", "windows", "conv", "winograd")["_ppvc_winograd_transforms"]',
      `print(json.dumps([[[[str(x) for x in row] for row in t] for t in transforms(m, r)] for m, r in ${JSON.stringify(configs)}]))`,
    ].join('\n');
    const out = spawnSync('python3', ['-c', script], { encoding: 'utf8', cwd: join(ROOT, 'test', 'python'), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(out.stderr).toBe('');
    const fromPython = JSON.parse(out.stdout) as string[][][][];
    expect(fromPython).toHaveLength(configs.length);
    const str = (x: Rational) => (x.d === 1 ? String(x.n) : `${x.n}/${x.d}`);
    configs.forEach(([m, r], i) => {
      const { at, g, bt } = winogradTransforms(m, r);
      expect({ m, r, t: [at, g, bt].map((t) => t.map((row) => row.map(str))) }).toEqual({ m, r, t: fromPython[i] });
    });
  });
});
