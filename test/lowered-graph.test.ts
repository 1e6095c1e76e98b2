// The lowered layer graph after every pass that rewrites it (relu-after-maxpool, skip-unread)
// is still a well-formed program: each layer reads exactly the shape its producer writes, and
// each pooling or convolution computes the output its helper infers from its input. A broken
// edge would make MP-SPDZ read the wrong memory layout, not fail, so it is checked here on
// every example, on the fixtures and on every Keras model of the shared corpus that builds.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, exampleFiles, source, testUnless } from './helpers.js';
import { checkSource } from '../src/compile.js';
import { programLayers } from '../src/passes/program-layers.js';
import type { SourceFile } from '../src/diagnostics.js';
import type { MpcLayer } from '../src/passes/lower-layers.js';
import { importModelFile } from '../src/import/keras-json.js';
import { product } from '../src/ir/pipeline.js';
import { windowOutput, mpSpdzConvPadding } from '../src/ir/shapes.js';

function lowered(file: SourceFile, passes: boolean): MpcLayer[] | undefined {
  const r = checkSource(file, { force: true, optimizations: { 'relu-maxpool': passes, 'skip-unread': passes } });
  return r.pipeline && programLayers(r.pipeline);
}

function written(l: MpcLayer): number[] | undefined {
  switch (l.kind) {
    case 'input':
    case 'relu':
    case 'batchnorm':
    case 'add':
    case 'concat':
      return l.shape;
    case 'conv2d':
    case 'depthwise':
    case 'avgpool':
    case 'maxpool':
      return l.outShape;
    case 'zeropad':
      return [l.inShape[0]! + l.sides[0] + l.sides[1], l.inShape[1]! + l.sides[2] + l.sides[3], l.inShape[2]!];
    case 'crop':
      return [l.inShape[0]! - l.sides[0] - l.sides[1], l.inShape[1]! - l.sides[2] - l.sides[3], l.inShape[2]!];
    case 'dense':
      return [l.dOut];
  }
}

/** Every broken edge or inconsistent layer, described. */
function problems(layers: MpcLayer[]): string[] {
  const out: string[] = [];
  layers.forEach((l, i) => {
    const from = l.inputs.map((j) => written(layers[j]!)!);
    const at = `layer ${i} (${l.kind}, ${l.from})`;
    const expectShape = (got: number[], want: number[]) => {
      // flat vectors ([256] and a dense layer's [1, 256]) are the same memory
      const same = got.length === 3 && want.length === 3 ? got.join() === want.join() : product(got) === product(want);
      if (!same) out.push(`${at} reads [${want}] but its producer writes [${got}]`);
    };
    switch (l.kind) {
      case 'relu':
      case 'batchnorm':
      case 'add':
        for (const f of from) expectShape(f, l.shape);
        break;
      case 'concat':
        expectShape([...from[0]!.slice(0, 2), from.reduce((s, f) => s + f[2]!, 0)], l.shape);
        break;
      case 'dense':
        if (product(from[0]!) !== l.dIn) out.push(`${at} reads ${l.dIn} values but its producer writes ${product(from[0]!)}`);
        break;
      case 'zeropad':
      case 'crop':
      case 'depthwise':
        expectShape(from[0]!, l.inShape);
        break;
      case 'avgpool':
      case 'maxpool': {
        expectShape(from[0]!, l.inShape);
        // the pooling helpers infer their output from their input
        const inferred = [0, 1].map((a) => windowOutput(l.inShape[a]!, l.pool[a]!, l.strides[a]!, l.padding));
        if (inferred.join() !== l.outShape.slice(0, 2).join()) out.push(`${at} declares output [${l.outShape}] but its helper infers [${inferred}]`);
        break;
      }
      case 'conv2d': {
        expectShape(from[0]!, l.inShape);
        const pads = l.pads ?? mpSpdzConvPadding(l);
        for (const a of [0, 1]) {
          // every computed window starts inside the input (or its leading padding) ...
          if ((l.outShape[a]! - 1) * l.strides[a]! - pads[a]! >= l.inShape[a]!) out.push(`${at} computes windows past its input`);
          // ... and never past what the shapes imply; a SAME convolution computing fewer rows
          // must write its padding out (MP-SPDZ would infer it from the smaller output)
          const implied = windowOutput(l.inShape[a]!, l.kernel[a]!, l.strides[a]!, l.padding);
          if (l.outShape[a]! > implied) out.push(`${at} computes more than its input gives`);
          if (l.padding === 'same' && !l.pads && l.outShape[a] !== implied) out.push(`${at} is a shrunk SAME convolution without written-out padding`);
        }
        break;
      }
    }
  });
  return out;
}

const ppvcFiles = [...exampleFiles(), 'test/fixtures/unread-edges.ppvc'];

test.each(ppvcFiles)('%s: every edge of the rewritten layer graph matches', (file) => {
  const layers = lowered(source(file), true)!;
  expect(problems(layers)).toEqual([]);
  // the rewrites keep every index (swaps and shrinks in place) and never make a layer's output larger
  const before = lowered(source(file), false)!;
  expect(layers).toHaveLength(before.length);
  layers.forEach((l, i) => expect(product(written(l)!)).toBeLessThanOrEqual(product(written(before[i]!)!)));
});

test('the paper pipeline: only what the last average pooling reads is computed, back to the first convolution', () => {
  const layers = lowered(source('examples/emotion.ppvc'), true)!;
  const shapes = layers.filter((l) => l.kind === 'conv2d').map((l) => (l.kind === 'conv2d' ? l.outShape.slice(0, 2).join('x') : ''));
  expect(shapes).toEqual(['41x41', '17x17', '15x15', '5x5', '3x3']);
});

const CORPUS = join(SHARED, 'corpus', 'keras');
const corpus = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.json$/.test(f)).sort() : [];
testUnless(corpus.length ? undefined : `the Keras corpus ${CORPUS} is not there`)('every corpus model that builds: every edge of the rewritten layer graph matches', () => {
  let built = 0;
  for (const f of corpus) {
    const path = join(CORPUS, f);
    const imported = importModelFile(path);
    const shape = imported.model?.inputShape;
    if (!shape || shape.length !== 3 || shape.some((d) => !(d > 0))) continue;
    const [h, w, c] = imported.model!.dataFormat === 'channels_first' ? [shape[1], shape[2], shape[0]] : shape;
    const text = [
      'pipeline corpus_model',
      'party alice = 0',
      'party bob = 1',
      `video v: [4, ${h}, ${w}, ${c}] from alice`,
      'select 2 frames by bob',
      `model m by bob from ${JSON.stringify(path)}`,
      'classify each frame with m, logits',
      'label = argmax(sum)',
      'reveal label to alice',
      'target mp-spdz { protocol replicated-ring }',
    ].join('\n');
    const layers = lowered({ path: `${f}.ppvc`, text }, true);
    if (!layers) continue;
    built++;
    expect({ model: f, problems: problems(layers) }).toEqual({ model: f, problems: [] });
  }
  expect(built).toBeGreaterThan(10);
});
