// Keras HDF5 model files (src/import/keras-h5.ts): the architecture from `model_config`, the
// weights from `model_weights/<layer>/<weight_names>` in the Keras 2, Keras 3 (legacy .h5) and
// Keras 1 namings. The files are written here with h5wasm in Keras's layout, from a model that
// tfjs-layers builds with its own random weights; the imported pipeline, its exported weights
// and the reference evaluator must then compute what tfjs-layers computes. Clear errors for a
// weights-only file, a file that is not HDF5 and a .keras archive. No MP-SPDZ.
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import h5wasm, { type Group } from 'h5wasm/node';
import { checkText } from './helpers.js';
import { buildPipeline } from '../src/compile.js';
import { importModelFile } from '../src/import/keras-json.js';
import { importPipelineText, modelOwnerFile } from '../src/commands/model-import.js';
import { evaluateReference } from '../src/reference/evaluate.js';

const DIR = mkdtempSync(join(tmpdir(), 'ppvc-h5-test-'));

const KERAS_JSON = {
  class_name: 'Sequential',
  config: {
    name: 'small',
    layers: [
      { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, 9, 8, 2], dtype: 'float32' } },
      { class_name: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true } },
      { class_name: 'BatchNormalization', config: { name: 'bn', axis: -1, epsilon: 0.001, center: true, scale: true } },
      { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2], strides: [2, 2], padding: 'valid' } },
      { class_name: 'DepthwiseConv2D', config: { name: 'dw', kernel_size: [3, 3], depth_multiplier: 1, padding: 'valid', use_bias: true } },
      { class_name: 'Flatten', config: { name: 'flat' } },
      { class_name: 'Dense', config: { name: 'dense', units: 5, activation: 'relu', use_bias: true } },
      { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax', use_bias: true } },
    ],
  },
};

type Naming = 'keras2' | 'keras3' | 'keras1';

/**
 * The model as tfjs-layers builds it from Keras JSON, with weights moved away from its
 * initialisers (non-zero biases; a batch norm's moving variance, its 4th weight, positive).
 */
async function tfjsModel(json: object, seed: number): Promise<tfl.LayersModel> {
  await tf.setBackend('cpu');
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void (String(args[0]).includes('TensorFlow.js in Node.js') || warn(...args));
  const model = await tfl.models.modelFromJSON(json as Parameters<typeof tfl.models.modelFromJSON>[0]).finally(() => (console.warn = warn));
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    const variance = (i: number) => layer.getClassName() === 'BatchNormalization' && i === 3;
    if (ws.length)
      layer.setWeights(
        ws.map((w, i) =>
          tf.tensor(
            Float32Array.from(w.dataSync(), () => (variance(i) ? 0.5 + Math.abs(rnd()) : rnd() * 0.5)),
            w.shape,
          ),
        ),
      );
  }
  return model;
}

const referenceModel = () => tfjsModel(KERAS_JSON, 7);

/** Writes the model as Keras would save it to .h5, with one of the weight namings (keras3: also the layer names in two chunks). */
async function writeH5(model: tfl.LayersModel, path: string, naming: Naming, withConfig = true): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  if (withConfig) {
    f.create_attribute('model_config', JSON.stringify(KERAS_JSON));
    f.create_attribute('keras_version', naming === 'keras1' ? '1.2.2' : naming === 'keras3' ? '3.6.0' : '2.11.0');
    f.create_attribute('backend', 'tensorflow');
  }
  const root = withConfig ? (f.create_group('model_weights'), f.get('model_weights') as Group) : f;
  const names = model.layers.map((l) => l.name);
  if (naming === 'keras3') {
    // as Keras writes a list too long for one attribute: layer_names0, layer_names1
    root.create_attribute('layer_names0', names.slice(0, 3));
    root.create_attribute('layer_names1', names.slice(3));
  } else root.create_attribute('layer_names', names);
  for (const layer of model.layers) {
    root.create_group(layer.name);
    const g = root.get(layer.name) as Group;
    const weights = layer.weights.map((w, i) => ({ param: w.name.split('/').pop()!.replace(/_\d+$/, ''), value: layer.getWeights()[i]! }));
    const keras1 = {
      kernel: 'W',
      bias: 'b',
      depthwise_kernel: 'depthwise_kernel',
      gamma: 'gamma',
      beta: 'beta',
      moving_mean: 'running_mean',
      moving_variance: 'running_std',
    } as Record<string, string>;
    const wn = weights.map(({ param }) =>
      naming === 'keras2' ? `${layer.name}/${param}:0` : naming === 'keras3' ? `${layer.name}/${param}` : `${layer.name}_${keras1[param]}`,
    );
    g.create_attribute('weight_names', wn.length ? wn : new Float64Array(0));
    weights.forEach(({ value }, i) => {
      const parts = wn[i]!.split('/');
      let at = g;
      for (const p of parts.slice(0, -1)) {
        if (!at.get(p)) at.create_group(p);
        at = at.get(p) as Group;
      }
      at.create_dataset({ name: parts[parts.length - 1]!, data: value.dataSync() as Float32Array, shape: value.shape });
    });
  }
  f.close();
}

describe('Keras .h5 model files', () => {
  jest.setTimeout(60_000);

  test.each(['keras2', 'keras3', 'keras1'] as Naming[])('%s naming: imports, exports its weights, and computes what tfjs-layers computes', async (naming) => {
    const model = await referenceModel();
    const path = join(DIR, `small-${naming}.h5`);
    await writeH5(model, path, naming);

    const r = importModelFile(path);
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.format).toBe('keras-h5');
    expect(r.model!.inputShape).toEqual([9, 8, 2]);
    expect(r.model!.parameterCount).toBe(model.countParams());

    // the pipeline `import` writes, with two frames, one selected, and the logits revealed
    const { text } = importPipelineText(path, { frames: 2, select: 1 });
    const checked = checkText(text.replace(/softmax relu_normalized/, 'logits'));
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const p = checked.pipeline!;
    const plan = buildPipeline(p).inputs;
    const bob = modelOwnerFile(p, { model: path, frames: '0' });

    let seed = 3;
    const frame = Float32Array.from({ length: 9 * 8 * 2 }, () => (seed = (seed * 16807) % 2147483647) / 2147483647);
    const video = new Float32Array(2 * frame.length);
    video.set(frame);
    const values = new Map<number, Float32Array>([
      [p.video.owner.id, video],
      [bob.party, bob.values],
    ]);
    const ours = await evaluateReference(p, plan, values);
    // tfjs-layers' own computation, up to the softmax the pipeline leaves out
    const logits = tfl.model({ inputs: model.inputs, outputs: model.getLayer('out').input as tfl.SymbolicTensor });
    const dense = model.getLayer('out');
    const hidden = Array.from((logits.predict(tf.tensor4d(frame, [1, 9, 8, 2])) as tf.Tensor).dataSync());
    const [W, b] = dense.getWeights().map((w) => w.dataSync());
    const want = Array.from({ length: 3 }, (_, j) => hidden.reduce((s, h, i) => s + h * W![i * 3 + j]!, b![j]!));
    expect(ours.perFrame[0]!.map((v) => v.toFixed(4))).toEqual(want.map((v) => v.toFixed(4)));
  });

  test('a weights-only file (model.save_weights) says so', async () => {
    const path = join(DIR, 'weights-only.h5');
    await writeH5(await referenceModel(), path, 'keras2', false);
    const r = importModelFile(path);
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('weights-only.h5: holds weights only (model.save_weights)');
  });

  test('a file that is not HDF5, and a .keras file that is not a zip, get clear errors', () => {
    const fake = join(DIR, 'fake.h5');
    writeFileSync(fake, '{"class_name": "Sequential"}');
    expect(
      importModelFile(fake)
        .diagnostics.map((d) => d.message)
        .join('\n'),
    ).toContain('fake.h5: not an HDF5 file (no HDF5 signature): a Keras .h5 model file was expected');
    const archive = join(DIR, 'model.keras');
    writeFileSync(archive, 'PK\u0003\u0004');
    const r = importModelFile(archive);
    expect(r.diagnostics[0]!.message).toContain('model.keras: not a zip archive (no end of central directory); a Keras 3 .keras archive is a zip file');
  });
});

/** A zip of stored entries, as Python's zipfile writes a .keras archive. */
function zipStored(files: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(n.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    central.push(entry, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe('Keras 3 .keras archives', () => {
  jest.setTimeout(60_000);

  // Keras 3 keys a layer's weights by its class in snake case, numbered per class in layer
  // order (conv2d, conv2d_1; dense, dense_1), never by its name: the names here differ on purpose.
  const CONFIG = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential_11',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { name: 'input_layer_4', batch_shape: [null, 7, 6, 1], dtype: 'float32' } },
        {
          module: 'keras.layers',
          class_name: 'Conv2D',
          config: { name: 'first', filters: 3, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', use_bias: true },
        },
        { module: 'keras.layers', class_name: 'BatchNormalization', config: { name: 'norm', axis: -1, epsilon: 0.001, center: true, scale: true } },
        {
          module: 'keras.layers',
          class_name: 'Conv2D',
          config: { name: 'second', filters: 4, kernel_size: [2, 2], strides: [1, 1], padding: 'same', activation: 'linear', use_bias: true },
        },
        { module: 'keras.layers', class_name: 'Flatten', config: { name: 'flat' } },
        { module: 'keras.layers', class_name: 'Dense', config: { name: 'hidden', units: 6, activation: 'relu', use_bias: true } },
        { module: 'keras.layers', class_name: 'Dense', config: { name: 'scores', units: 3, activation: 'linear', use_bias: true } },
      ],
    },
  };
  const KEYS: Record<string, string> = {
    first: 'conv2d',
    norm: 'batch_normalization',
    second: 'conv2d_1',
    flat: 'flatten',
    hidden: 'dense',
    scores: 'dense_1',
  };

  test('imports, exports its weights by class keys, and computes what tfjs-layers computes', async () => {
    const tfjsConfig = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: CONFIG.config.layers.map(({ class_name, config }) => ({
          class_name,
          config: class_name === 'InputLayer' ? { ...config, batch_input_shape: config.batch_shape } : config,
        })),
      },
    };
    const model = await tfjsModel(tfjsConfig, 11);
    // model.weights.h5 in Keras 3's layout: layers/<key>/vars/<i>
    await h5wasm.ready;
    const weightsPath = join(DIR, 'model.weights.h5');
    const f = new h5wasm.File(weightsPath, 'w');
    f.create_group('layers');
    const layersGroup = f.get('layers') as Group;
    for (const layer of model.layers) {
      const key = KEYS[layer.name]!;
      layersGroup.create_group(key);
      (layersGroup.get(key) as Group).create_group('vars');
      const vars = (layersGroup.get(key) as Group).get('vars') as Group;
      layer.getWeights().forEach((w, i) => vars.create_dataset({ name: String(i), data: w.dataSync() as Float32Array, shape: w.shape }));
    }
    f.create_group('optimizer');
    f.close();
    const path = join(DIR, 'small.keras');
    writeFileSync(
      path,
      zipStored([
        ['metadata.json', Buffer.from('{"keras_version": "3.4.1", "date_saved": "2024-07-01@15:08:29"}')],
        ['config.json', Buffer.from(JSON.stringify(CONFIG))],
        ['model.weights.h5', readFileSync(weightsPath)],
      ]),
    );

    const r = importModelFile(path);
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.format).toBe('keras-archive');
    expect(r.model!.kerasVersion).toBe('3.4.1');
    expect(r.model!.parameterCount).toBe(model.countParams());

    const { text } = importPipelineText(path, { frames: 2, select: 1 });
    const checked = checkText(text.replace(/softmax relu_normalized/, 'logits'));
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const p = checked.pipeline!;
    const bob = modelOwnerFile(p, { model: path, frames: '0' });
    let s = 5;
    const frame = Float32Array.from({ length: 7 * 6 }, () => (s = (s * 16807) % 2147483647) / 2147483647);
    const video = new Float32Array(2 * frame.length);
    video.set(frame);
    const ours = await evaluateReference(
      p,
      buildPipeline(p).inputs,
      new Map([
        [p.video.owner.id, video],
        [bob.party, bob.values],
      ]),
    );
    const want = Array.from((model.predict(tf.tensor4d(frame, [1, 7, 6, 1])) as tf.Tensor).dataSync());
    expect(ours.perFrame[0]!.map((v) => v.toFixed(4))).toEqual(want.map((v) => v.toFixed(4)));
  });

  test('an archive without model.weights.h5 names what it holds', () => {
    const path = join(DIR, 'config-only.keras');
    writeFileSync(path, zipStored([['config.json', Buffer.from(JSON.stringify(CONFIG))]]));
    expect(importModelFile(path).diagnostics[0]!.message).toContain(
      'config-only.keras: a .keras archive holds config.json and model.weights.h5; this one has config.json',
    );
  });
});
