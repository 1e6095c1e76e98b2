// Winograd tile choice (src/passes/winograd.ts): per protocol, the tile that needs the fewest
// secret products where each costs a triple, F(2x2, 3x3) only under replicated sharing, never
// where the direct convolution is cheaper. That the tiles compute the convolution is checked
// with MP-SPDZ (test/mp-spdz.test.ts, "Winograd convolution").
import { source } from './helpers.js';
import { checkSource, type BuildOptions } from '../src/compile.js';
import type { Target } from '../src/ir/pipeline.js';
import { directCost, exactTransform, winogradCost, winogradTile, type WinogradConv } from '../src/passes/winograd.js';

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

  test('exact weight transforms: at most 4 points per axis (0, 1, -1, infinity)', () => {
    expect(exactTransform(2, 3)).toBe(true);
    expect(exactTransform(3, 2)).toBe(true);
    expect(exactTransform(3, 3)).toBe(false);
    expect(exactTransform(2, 5)).toBe(false);
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
    expect(winogradCost(c, 7, [4, 4])).toBe(7 * 16 * 36 * 64 * 64 + 36 * 64 * 64);
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
      const best = tile ? winogradCost(cv, 3, tile) : directCost(cv, 3);
      expect(best).toBeLessThanOrEqual(directCost(cv, 3));
      for (const mh of [1, 2, 3, 4, 5])
        for (const mw of [1, 2, 3, 4, 5]) {
          const points = [mh + kernel[0] - 1, mw + kernel[1] - 1];
          if ((mh > 1 && kernel[0] === 1) || (mw > 1 && kernel[1] === 1) || (mh === 1 && kernel[0] > 1) || (mw === 1 && kernel[1] > 1)) continue;
          if (points.some((p) => p > 6) || (mh === 1 && mw === 1)) continue;
          expect(best).toBeLessThanOrEqual(winogradCost(cv, 3, [mh, mw]));
        }
    }
    // one output: 16 products for F(2x2, 3x3) against 9
    expect(winogradTile(conv(1, 1, 8, 8, [3, 3]), 3, semi2k)).toBeUndefined();
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

  test('without room in the ring for the extra weight bits: exact tiles only', () => {
    const wide: Target = { ...semi2k, f: 20, k: 40 };
    expect(winogradTile(conv(16, 16, 64, 64, [3, 3]), 7, wide)).toEqual([2, 2]);
    expect(winogradTile(conv(44, 44, 1, 64, [5, 5]), 7, wide)).toBeUndefined();
  });
});
