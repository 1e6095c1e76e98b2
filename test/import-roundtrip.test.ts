// Importing real models: a TF.js layers model built here with tfjs-layers (fixed-seed random
// weights; conv, batch-norm, depthwise conv, max-pool, a residual add, dense) goes through
// import -> export-weights -> the clear-text reference, which must give tfjs's own prediction;
// with MP-SPDZ the secure run must reveal tfjs's label. And building from `import`'s text or
// from the model file directly gives the same program.
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, mpSpdzHome, noMpSpdzReason, testUnless } from './helpers.js';
import { checkSource, buildPipeline } from '../src/compile.js';
import { importPipelineText, modelOwnerFile } from '../src/commands/model-import.js';
import { evaluateReference, argmaxFirst } from '../src/reference/evaluate.js';
import { seededRandom } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';
import { loadTf } from '../src/reference/tf.js';

const HUMAN = join(ROOT, 'node_modules', '@vladmandic', 'human', 'models', 'emotion.json');

function pipelineText(modelLine: string, frames: [number, number, number, number], select: number, output = 'softmax exact') {
  return [
    'pipeline roundtrip',
    'party alice = 0',
    'party bob = 1',
    `video v: [${frames.join(', ')}] from alice range [-1, 1]`,
    `select ${select} frames by bob`,
    modelLine,
    `classify each frame with net, ${output}`,
    'label = argmax(sum)',
    'reveal label to alice',
    '',
  ].join('\n');
}

const withoutHeader = (s: string) => s.split('\n').filter((l) => !l.startsWith('# MP-SPDZ program for pipeline')).join('\n');

test('the imported text and the model file give the same program (Human emotion model)', () => {
  const imported = importPipelineText(HUMAN, { frames: 4, select: 2 });
  const block = imported.text.slice(imported.text.indexOf('model net by bob {'), imported.text.indexOf('}\n') + 2).trimEnd();
  const fromText = checkSource({ path: 'a.ppvc', text: pipelineText(block, [4, 64, 64, 1], 2) });
  const fromFile = checkSource({ path: 'b.ppvc', text: pipelineText(`model net by bob from "${HUMAN}"`, [4, 64, 64, 1], 2) });
  expect(fromText.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(fromFile.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const a = buildPipeline(fromText.pipeline!);
  const b = buildPipeline(fromFile.pipeline!);
  expect(withoutHeader(a.program)).toBe(withoutHeader(b.program));
  expect(a.files['inputs.json']).toBe(b.files['inputs.json']);
  expect(imported.summary).toMatchObject({ inputShape: [64, 64, 1], outputShape: [7], parameters: 205127, finalSoftmax: true });
});

test('a model whose frame shape differs from the video is refused, naming both shapes', () => {
  const r = checkSource({ path: 'c.ppvc', text: pipelineText(`model net by bob from "${HUMAN}"`, [4, 48, 48, 1], 2) });
  expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('takes [64, 64, 1] frames, but the video\'s frames are [48, 48, 1]');
});

describe('a tfjs-layers model with random weights', () => {
  let dir: string;
  let predictions: number[][];
  let frames: Float32Array;
  const shape: [number, number, number, number] = [5, 12, 12, 1];

  beforeAll(async () => {
    const tf = await loadTf();
    const tfl = await import('@tensorflow/tfjs-layers');
    const input = tfl.input({ shape: [12, 12, 1] });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(input) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const bn = tfl.layers.batchNormalization({ name: 'bn1' }).apply(c1) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const r1 = tfl.layers.activation({ activation: 'relu', name: 'r1' }).apply(bn) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(r1) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([r1, dw]) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const bn2 = tfl.layers.batchNormalization({ name: 'bn2' }).apply(sum) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const pool = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(bn2) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const flat = tfl.layers.flatten({ name: 'flat' }).apply(pool) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const out = tfl.layers.dense({ units: 5, activation: 'softmax', name: 'out' }).apply(flat) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    // fixed-seed weights; batch-norm statistics far from the identity so that folding matters
    const rand = seededRandom(7);
    model.setWeights(
      model.weights.map((w) => {
        const dims = w.shape as number[];
        const n = dims.reduce((a, b) => a * b, 1);
        const positive = /moving_variance|gamma/.test(w.originalName);
        return tf.tensor(Float32Array.from({ length: n }, () => (positive ? 0.5 + rand() : (rand() * 2 - 1) * 0.6)), dims);
      }),
    );
    dir = mkdtempSync(join(tmpdir(), 'ppvc-tfl-'));
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
        writeFileSync(
          join(dir, 'model.json'),
          JSON.stringify({ format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    frames = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1);
    const x = tf.tensor4d(frames, shape);
    predictions = (model.predict(x) as import('@tensorflow/tfjs-core').Tensor).arraySync() as number[][];
  });

  function pipeline() {
    const r = checkSource({ path: join(dir, 'p.ppvc'), text: pipelineText('model net by bob from "model.json"', shape, 3) });
    if (!r.pipeline) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    return r.pipeline;
  }

  test('imports: the first batch normalisation folds into its convolution, the one after the add stays scale/shift', () => {
    const p = pipeline();
    expect(p.model.layers.map((l) => `${l.name}:${l.op}`)).toEqual(['c1:conv2d', 'r1:relu', 'dw:depthwise_conv2d', 'sum:add', 'bn2:batchnorm', 'pool:maxpool', 'flat:flatten', 'out:dense']);
    expect(p.model.layers[0]).toMatchObject({ folded: { name: 'bn1' } });
  });

  test('export -> reference gives tfjs\'s own prediction', async () => {
    const p = pipeline();
    const plan = buildPipeline(p).inputs;
    const bob = modelOwnerFile(p, { frames: '0,2,4' });
    const ref = await evaluateReference(p, plan, new Map([[0, frames], [1, bob.values]]));
    expect(ref.frames).toEqual([0, 2, 4]);
    ref.perFrame.forEach((probs, i) => probs.forEach((v, j) => expect(v).toBeCloseTo(predictions[[0, 2, 4][i]!]![j]!, 4)));
    const summed = [0, 1, 2, 3, 4].map((j) => [0, 2, 4].reduce((s, f) => s + predictions[f]![j]!, 0));
    expect(ref.label).toBe(argmaxFirst(summed));
  });

  testUnless(noMpSpdzReason())('the secure run reveals tfjs\'s label', async () => {
    const { locateMpSpdz, applyPatch, missingHelpersIn } = await import('../src/backend/mp-spdz.js');
    const { runPipeline } = await import('../src/backend/run-pipeline.js');
    const p = pipeline();
    const a = buildPipeline(p);
    const mp = locateMpSpdz(mpSpdzHome()!);
    if (missingHelpersIn(mp, a.helpers).length > 0) await applyPatch(mp, a.helpers);
    writeFileSync(join(dir, 'alice.txt'), formatValues(frames));
    writeFileSync(join(dir, 'bob.txt'), formatValues(modelOwnerFile(p, { frames: '0,2,4' }).values));
    const r = await runPipeline(mp, a, new Map([[0, join(dir, 'alice.txt')], [1, join(dir, 'bob.txt')]]), {});
    const summed = [0, 1, 2, 3, 4].map((j) => [0, 2, 4].reduce((s, f) => s + predictions[f]![j]!, 0));
    expect(r.label).toBe(String(argmaxFirst(summed)));
  }, 600_000);

  test('the model file exists (sanity)', () => expect(existsSync(join(dir, 'model.json')) && readFileSync(join(dir, 'model.json'), 'utf8').length > 100).toBe(true));
});
