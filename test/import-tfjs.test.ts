// TF.js models: the Human library's emotion classifier (a TF.js *graph* model: frozen
// GraphDef with fused ops) imports into the normalized graph, its weights are read, and the
// imported graph computes what TF.js's own GraphModel computes. Also: the channels-first ->
// channels-last conversion computes what tfjs-layers computes on the channels_first model.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { samePadding } from '../src/ir/shapes.js';
import { type ImportedLayer, type ImportedModel, importModelFile, importModelJson, toChannelsLast } from '../src/import/keras-json.js';
import { readTfjsWeights } from '../src/import/tfjs-graph.js';
import { decodeWeights, halfToFloat } from '../src/import/tfjs-weights.js';
import { describeUnless, testUnless } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '..');
const HUMAN_MODELS = join(ROOT, 'node_modules', '@vladmandic', 'human', 'models');
const EMOTION = join(HUMAN_MODELS, 'emotion.json');
const HUMAN_TFJS = join(ROOT, 'node_modules', '@vladmandic', 'human', 'dist', 'tfjs.esm.js');
const humanAvailable = existsSync(EMOTION);
const describeHuman = describeUnless(humanAvailable ? undefined : `${EMOTION} is not there (is @vladmandic/human installed?)`);

const short = (name: string) => name.replace('StatefulPartitionedCall/model_1/', '');

describeHuman('the Human emotion graph model', () => {
  const r = humanAvailable ? importModelFile(EMOTION) : { diagnostics: [] };
  const model = r.model!;

  test('imports: 64x64x1 in, 7 classes out, NHWC', () => {
    expect(r.diagnostics).toEqual([]);
    expect(model.format).toBe('tfjs-graph');
    expect(model.inputShape).toEqual([64, 64, 1]);
    expect(model.outputShape).toEqual([7]);
    expect(model.dataFormat).toBe('channels_last');
    expect(short(model.output)).toBe('predictions/Softmax');
  });

  test('the layer list: a mini-Xception with BatchNormalization folded into the convolutions', () => {
    const rows = model.layers.map((l) => `${l.op} ${JSON.stringify(l.outputShape)}${l.config.activation && l.config.activation !== 'linear' ? ` ${l.config.activation}` : ''}`);
    expect(rows).toEqual([
      'input [64,64,1]',
      'conv2d [31,31,32] relu',
      'conv2d [29,29,64] relu',
      'depthwise_conv2d [29,29,64]',
      'conv2d [15,15,128]', // residual 1x1, stride 2
      'conv2d [29,29,128] relu',
      'depthwise_conv2d [29,29,128]',
      'conv2d [29,29,128]',
      'maxpool [15,15,128]',
      'add [15,15,128]',
      'relu [15,15,128]',
      'conv2d [8,8,256]', // residual 1x1, stride 2
      'depthwise_conv2d [15,15,128]',
      'conv2d [15,15,256] relu',
      'depthwise_conv2d [15,15,256]',
      'conv2d [15,15,256]',
      'maxpool [8,8,256]',
      'add [8,8,256]',
      'conv2d [8,8,7]',
      'global_avgpool [7]',
      'activation [7] softmax',
    ]);
    expect(model.parameterCount).toBe(205127);
  });

  test('its weights are read: every parameter found, with its shape, and nothing else', () => {
    const weights = readTfjsWeights(EMOTION);
    let used = 0;
    for (const l of model.layers) {
      for (const p of l.params) {
        const w = weights.get(p.source!);
        expect({ layer: short(l.name), param: p.name, shape: w?.shape }).toEqual({ layer: short(l.name), param: p.name, shape: p.shape });
        expect(w!.values.every(Number.isFinite)).toBe(true);
        used += w!.values.length;
      }
    }
    expect(used).toBe(model.parameterCount);
    // The only weight no layer uses is the Mean's int32 reduction axes ([1, 2]).
    const floats = [...weights.values()].filter((w) => w.values.length > 0).reduce((s, w) => s + w.values.length, 0);
    expect(floats - used).toBe(2);
    expect(Array.from(weights.get('StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean/reduction_indices')!.values)).toEqual([1, 2]);
  });

  test('importModelJson without the weight shards reports the constant it cannot resolve', () => {
    const res = importModelJson(readFileSync(EMOTION, 'utf8'), 'emotion.json');
    expect(res.model).toBeUndefined();
    expect(res.diagnostics.map((d) => d.message).join('\n')).toMatch(/global_average_pooling2d_1\/Mean' \(Mean\): the value of constant .* weight shards/);
  });

  testUnless(existsSync(HUMAN_TFJS) ? undefined : `Human's TF.js bundle ${HUMAN_TFJS} is not there`)('the imported graph computes what TF.js GraphModel computes', () => {
    const input = pseudoRandom(64 * 64, 7);
    const expected = runGraphModel(EMOTION, input, [1, 64, 64, 1]);
    const weights = readTfjsWeights(EMOTION);
    const got = evaluate(model, input, (_l, p) => weights.get(p.source!)!.values);
    expect(got).toHaveLength(7);
    for (let i = 0; i < 7; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
  });
});

/**
 * Runs a graph model with TF.js's own GraphModel executor: the one in Human's bundled TF.js
 * (tfjs-converter is not a dependency). The bundle only initialises as a browser build and
 * would share the engine of the tfjs-core loaded here, so it runs in a child process.
 */
function runGraphModel(modelJson: string, input: Float32Array, shape: number[]): number[] {
  const script = `
    globalThis.window = globalThis; globalThis.document = {};
    const { readFileSync } = await import('node:fs');
    const tfx = await import(${JSON.stringify(HUMAN_TFJS)});
    await tfx.setBackend('cpu');
    const json = JSON.parse(readFileSync(${JSON.stringify(modelJson)}, 'utf8'));
    const bin = readFileSync(${JSON.stringify(modelJson.replace(/\.json$/, '.bin'))});
    const model = await tfx.loadGraphModel(tfx.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    const input = JSON.parse(readFileSync(0, 'utf8'));
    const out = model.predict(tfx.tensor(input, ${JSON.stringify(shape)}));
    process.stdout.write(JSON.stringify(Array.from(out.dataSync())));
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(Array.from(input)), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60000 });
  return JSON.parse(stdout) as number[];
}

describe('channels_first models converted to channels-last', () => {
  // A Keras 2 channels_first model: conv -> pool -> flatten -> dense, with the Flatten in
  // memory (C,H,W) order or, with data_format channels_first, transposed to H,W,C first.
  const kerasJson = (flattenFormat: string | undefined) => ({
    class_name: 'Sequential',
    keras_version: '2.2.4',
    config: {
      name: 'cf',
      layers: [
        { class_name: 'Conv2D', config: { name: 'conv', batch_input_shape: [null, 2, 7, 6], filters: 3, kernel_size: [3, 2], strides: [1, 1], padding: 'same', data_format: 'channels_first', activation: 'relu', use_bias: true } },
        { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_first' } },
        { class_name: 'Flatten', config: flattenFormat ? { name: 'flat', data_format: flattenFormat } : { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'dense', units: 4, activation: 'linear', use_bias: true } },
      ],
    },
  });

  test.each([
    ['in C,H,W order (no data_format)', undefined, true],
    ['after transposing (data_format channels_first)', 'channels_first', false],
  ])('Flatten %s', async (_what, flattenFormat, permuted) => {
    await tf.setBackend('cpu');
    const json = kerasJson(flattenFormat);
    const imported = importModelJson(JSON.stringify(json), 'cf.json');
    expect(imported.diagnostics).toEqual([]);
    expect(imported.model!.inputShape).toEqual([2, 7, 6]);
    expect(imported.model!.layers.find((l) => l.op === 'flatten')!.outputShape).toEqual([3 * 3 * 3]);
    const converted = toChannelsLast(imported.model!);
    expect(converted.diagnostics).toEqual([]);
    const m = converted.model!;
    expect(m.inputShape).toEqual([7, 6, 2]);
    expect(m.layers.find((l) => l.op === 'dense')!.config.input_order).toEqual(permuted ? { layout: 'chw', shape: [3, 3, 3] } : undefined);

    // tfjs-layers runs the channels_first model from the same JSON, with random weights.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void (String(args[0]).includes('running TensorFlow.js in Node.js') || warn(...args));
    const keras = await tfl.models.modelFromJSON(json as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]).finally(() => (console.warn = warn));
    const chw = pseudoRandom(2 * 7 * 6, 3);
    const want = (keras.predict(tf.tensor4d(chw, [1, 2, 7, 6])) as tf.Tensor).dataSync();
    const weights = new Map(keras.layers.map((l) => [l.name, l.getWeights().map((w) => w.dataSync() as Float32Array)]));
    const got = evaluate(m, chwToHwc(chw, 2, 7, 6), (l, p) => weights.get(l.name)![l.params.indexOf(p)]!);
    expect(Array.from(got).map((v) => v.toFixed(4))).toEqual(Array.from(want).map((v) => v.toFixed(4)));
  });
});

describe('TF.js weight shards', () => {
  test('float32, int32, and uint8 / uint16 / float16 quantized weights', () => {
    const shard = new DataView(new ArrayBuffer(4 * 2 + 4 + 3 + 2 * 2 + 2 * 2));
    let at = 0;
    for (const v of [1.5, -2]) (shard.setFloat32(at, v, true), (at += 4));
    shard.setInt32(at, -7, true), (at += 4);
    for (const v of [0, 1, 255]) shard.setUint8(at++, v);
    for (const v of [0, 65535]) (shard.setUint16(at, v, true), (at += 2));
    for (const v of [0x3c00, 0xc000]) (shard.setUint16(at, v, true), (at += 2)); // 1.0, -2.0
    const bytes = new Uint8Array(shard.buffer);
    const manifest = [
      {
        paths: ['a.bin', 'b.bin'],
        weights: [
          { name: 'f', shape: [2], dtype: 'float32' },
          { name: 'i', shape: [], dtype: 'int32' },
          { name: 'q8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
          { name: 'q16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', min: 0, scale: 2 } },
          { name: 'h', shape: [1, 2], dtype: 'float32', quantization: { dtype: 'float16' } },
        ],
      },
    ];
    // The group's bytes are split over two shards, as the converter does at 4 MB.
    const r = decodeWeights(manifest, (p) => (p === 'a.bin' ? bytes.slice(0, 5) : bytes.slice(5)), 'model.json');
    expect(r.diagnostics).toEqual([]);
    const get = (n: string) => Array.from(r.weights!.get(n)!.values);
    expect(get('f')).toEqual([1.5, -2]);
    expect(get('i')).toEqual([-7]);
    expect(get('q8')).toEqual([-1, -0.5, 126.5]);
    expect(get('q16')).toEqual([0, 131070]);
    expect(get('h')).toEqual([1, -2]);
    expect(r.weights!.get('h')!.shape).toEqual([1, 2]);
    expect(halfToFloat(0x7bff)).toBe(65504);
  });

  test('problems are diagnostics: short shards, unknown dtypes, bad manifests', () => {
    const short = decodeWeights([{ paths: ['a'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }], () => new Uint8Array(8), 'm.json');
    expect(short.weights).toBeUndefined();
    expect(short.diagnostics[0]!.message).toMatch(/weight 'w' needs bytes 0..16 but the shards of group 0 hold 8/);
    const dtype = decodeWeights([{ paths: ['a'], weights: [{ name: 'w', shape: [1], dtype: 'string' }] }], () => new Uint8Array(8), 'm.json');
    expect(dtype.diagnostics[0]!.message).toMatch(/dtype 'string' is not supported/);
    expect(decodeWeights({}, () => new Uint8Array(), 'm.json').diagnostics[0]!.message).toMatch(/must be a list of groups/);
    const missing = decodeWeights([{ paths: ['nope.bin'], weights: [] }], () => {
      throw Object.assign(new Error('x'), { code: 'ENOENT' });
    }, 'm.json');
    expect(missing.diagnostics[0]!.message).toBe("m.json: weight shard 'nope.bin' is missing: the model's weightsManifest names it, so it must be at nope.bin, beside the model file (ENOENT)");
    expect(missing.diagnostics[0]!.hints).toEqual(['put the shard there, beside m.json: a TF.js model is its model.json and every shard that names, in one directory']);
    expect(() => readTfjsWeights(join(ROOT, 'no-such-model.json'))).toThrow(/ENOENT/);
    // a device as a shard would be read forever (reached through a link beside model.json:
    // an absolute shard path is refused before anything is read)
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-shard-'));
    symlinkSync('/dev/zero', join(dir, 'zero.bin'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['zero.bin'], weights: [] }] }));
    expect(() => readTfjsWeights(join(dir, 'model.json'))).toThrow('zero.bin: not a regular file');
  });

  test('shards longer than the manifest, and shard paths outside the model directory, are errors', () => {
    const w = [{ name: 'w', shape: [2], dtype: 'float32' }];
    const long = decodeWeights([{ paths: ['a.bin'], weights: w }], () => new Uint8Array(12), 'dir/m.json');
    expect(long.weights).toBeUndefined();
    expect(long.diagnostics[0]!.message).toBe('dir/m.json: dir/a.bin has 12 bytes, the manifest describes 8');
    const two = decodeWeights([{ paths: ['a', 'b'], weights: w }], () => new Uint8Array(5), 'm.json');
    expect(two.diagnostics[0]!.message).toMatch(/the shards of group 0 \(a, b\) have 10 bytes, the manifest describes 8/);
    for (const p of ['/etc/passwd', '../w.bin', 'x/../../w.bin', '..\\w.bin', 'C:\\w.bin']) {
      let read = false;
      const r = decodeWeights([{ paths: [p], weights: w }], () => ((read = true), new Uint8Array(8)), 'm.json');
      expect(read).toBe(false);
      expect(r.diagnostics[0]!.message).toContain(`weight shard '${p}' is outside the model's directory`);
    }
    // a path that stays inside is fine
    expect(decodeWeights([{ paths: ['x/../w.bin'], weights: w }], () => new Uint8Array(8), 'm.json').diagnostics).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// A deliberately naive evaluator of channels-last ImportedModels (loops, float64), written
// from the TensorFlow op definitions: the reference the importers are checked against.

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648;
  }
  return out;
}

function chwToHwc(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let xi = 0; xi < w; xi++) out[(y * w + xi) * c + ci] = x[(ci * h + y) * w + xi]!;
  return out;
}

type Weight = (layer: ImportedLayer, param: ImportedLayer['params'][number]) => Float32Array;

function evaluate(model: ImportedModel, input: Float32Array, weight: Weight): Float32Array {
  const values = new Map<string, Float32Array>();
  for (const l of model.layers) {
    const x = values.get(l.inputs[0] ?? '')!;
    const inShape = l.inputShapes[0]!;
    const w = (name: string) => weight(l, l.params.find((p) => p.name === name)!);
    const c = l.config;
    let out: Float32Array;
    switch (l.op) {
      case 'input':
        out = input;
        break;
      case 'conv2d':
      case 'depthwise_conv2d':
        out = convolve(x, inShape, l.outputShape, w(l.op === 'conv2d' ? 'kernel' : 'depthwise_kernel'), c.use_bias ? w('bias') : undefined, l.op === 'depthwise_conv2d', c.kernel!, c.strides!, c.padding!);
        break;
      case 'maxpool':
        out = maxPool(x, inShape, l.outputShape, c.pool!, c.strides!, c.padding!);
        break;
      case 'add':
        out = x.map((v, i) => v + values.get(l.inputs[1]!)![i]!);
        break;
      case 'relu':
        out = x.map((v) => Math.min(Math.max(v, 0), c.max_value ?? Infinity));
        break;
      case 'global_avgpool': {
        const ch = inShape[2]!;
        out = new Float32Array(ch);
        for (let i = 0; i < x.length; i++) out[i % ch] += x[i]! / (x.length / ch);
        break;
      }
      case 'flatten':
      case 'dropout':
      case 'activation':
        out = x;
        break;
      case 'dense': {
        const k = w('kernel');
        const units = c.units!;
        const rowOf = rowOrder(c.input_order, x.length);
        out = c.use_bias ? Float32Array.from(w('bias')) : new Float32Array(units);
        for (let j = 0; j < x.length; j++) for (let u = 0; u < units; u++) out[u] += x[j]! * k[rowOf[j]! * units + u]!;
        break;
      }
      default:
        throw new Error(`the test evaluator has no '${l.op}'`);
    }
    values.set(l.name, activate(out, c.activation ?? 'linear'));
  }
  return values.get(model.output)!;
}

/** input_order: the file's kernel row for each position of the channels-last flat input. */
function rowOrder(order: ImportedLayer['config']['input_order'], n: number): number[] {
  if (!order) return Array.from({ length: n }, (_, j) => j);
  const [C, H, W] = order.shape;
  const rows: number[] = [];
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let ch = 0; ch < C; ch++) rows.push((ch * H + h) * W + w);
  return rows;
}

function activate(x: Float32Array, activation: string): Float32Array {
  if (activation === 'relu') return x.map((v) => Math.max(v, 0));
  if (activation === 'softmax') {
    const m = Math.max(...x);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }
  if (activation !== 'linear') throw new Error(`the test evaluator has no activation '${activation}'`);
  return x;
}

function convolve(
  x: Float32Array,
  [H, W, C]: number[],
  [OH, OW, OC]: number[],
  kernel: Float32Array,
  bias: Float32Array | undefined,
  depthwise: boolean,
  [KH, KW]: [number, number],
  [SH, SW]: [number, number],
  padding: string,
): Float32Array {
  const top = padding === 'same' ? samePadding(H!, KH, SH).before : 0;
  const left = padding === 'same' ? samePadding(W!, KW, SW).before : 0;
  const dm = depthwise ? OC! / C! : 1;
  const out = new Float32Array(OH! * OW! * OC!);
  for (let oy = 0; oy < OH!; oy++)
    for (let ox = 0; ox < OW!; ox++)
      for (let oc = 0; oc < OC!; oc++) {
        let s = bias ? bias[oc]! : 0;
        for (let ky = 0; ky < KH; ky++)
          for (let kx = 0; kx < KW; kx++) {
            const iy = oy * SH + ky - top;
            const ix = ox * SW + kx - left;
            if (iy < 0 || iy >= H! || ix < 0 || ix >= W!) continue;
            if (depthwise) {
              const ci = Math.floor(oc / dm);
              s += x[(iy * W! + ix) * C! + ci]! * kernel[((ky * KW + kx) * C! + ci) * dm + (oc % dm)]!;
            } else {
              for (let ci = 0; ci < C!; ci++) s += x[(iy * W! + ix) * C! + ci]! * kernel[((ky * KW + kx) * C! + ci) * OC! + oc]!;
            }
          }
        out[(oy * OW! + ox) * OC! + oc] = s;
      }
  return out;
}

function maxPool(x: Float32Array, [H, W, C]: number[], [OH, OW]: number[], [PH, PW]: [number, number], [SH, SW]: [number, number], padding: string): Float32Array {
  const top = padding === 'same' ? samePadding(H!, PH, SH).before : 0;
  const left = padding === 'same' ? samePadding(W!, PW, SW).before : 0;
  const out = new Float32Array(OH! * OW! * C!).fill(-Infinity);
  for (let oy = 0; oy < OH!; oy++)
    for (let ox = 0; ox < OW!; ox++)
      for (let py = 0; py < PH; py++)
        for (let px = 0; px < PW; px++) {
          const iy = oy * SH + py - top;
          const ix = ox * SW + px - left;
          if (iy < 0 || iy >= H! || ix < 0 || ix >= W!) continue;
          for (let ch = 0; ch < C!; ch++) {
            const o = (oy * OW! + ox) * C! + ch;
            out[o] = Math.max(out[o]!, x[(iy * W! + ix) * C! + ch]!);
          }
        }
  return out;
}
