// The model importer on ../shared/corpus/keras: 36 real Keras architecture files written by
// other people (Keras 1 to 3, TF.js, nested models, channels_first, custom layers). Each
// must import with meta/expected.json's shapes and parameter count, or be rejected with a
// diagnostic naming the layer and its class; none may throw. Also: malformed and fuzzed
// inputs never reach the importer's internal-error fallback.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { type ImportResult, importModelFile, importModelJson, readKerasJson, toChannelsLast } from '../src/import/keras-json.js';
import { describeUnless } from './helpers.js';
import { importPipelineText } from '../src/commands/model-import.js';
import { toDsl } from '../src/import/to-dsl.js';
import { checkSource } from '../src/compile.js';
import { parameterCount } from '../src/ir/pipeline.js';

const ROOT = resolve(import.meta.dirname, '..');
const CORPUS = resolve(ROOT, '..', 'shared', 'corpus', 'keras');
const EXPECTED_PATH = join(CORPUS, 'meta', 'expected.json');
const corpusAvailable = existsSync(EXPECTED_PATH);
const describeCorpus = describeUnless(corpusAvailable ? undefined : `the Keras corpus ${EXPECTED_PATH} is not there`);

interface Expected {
  file: string;
  input_shape: number[];
  output_shape: number[];
  params: number;
  layer_classes: Record<string, number>;
}

const expected: Expected[] = corpusAvailable ? (JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Expected[]) : [];

/** The files ppvc-dsl rejects, with the class of a layer the diagnostics must name. */
const REJECTED: Record<string, string> = {
  'basic-matthewzimmer-sequential-k1.1.2-doubleenc.json': 'Lambda',
  'cnn8x8-dl4j-sequential-k2.0.6-channelsfirst.json': 'Conv2D', // sigmoid activation
  'cropping-dventimiglia-sequential-k2.3.1.json': 'BatchNormalization', // over the height axis
  'fer4class-emopy-sequential-k2.0.6-mixeddataformat.json': 'MaxPooling2D', // channels_first among channels_last
  'nvidia-ncondo-sequential-k1.2.1-doubleenc.json': 'Lambda',
  'openface-serengil-functional-k2.2.0.json': 'Lambda',
  'qkeras-mnist-hls4ml-sequential-k2.4.0-customlayers.json': 'QConv2D',
  'resnet-kyle1213-functional-k2.3.0-tf-tfoplayer.json': 'TensorFlowOpLayer',
  'retina-unet-dl4j-functional-k1.0.5-th.json': 'UpSampling2D',
  'skincancer-vgg16-roshiettehadi-sequential-nested-functional-keras3.json': 'Dense', // sigmoid output
};

/**
 * Where meta/expected.json is wrong. retina-unet: the collector's pass took the Keras 1.0.5
 * UpSampling2D layers (which do not record dim_ordering; 1.0.5's default was 'th') as
 * channels-last, giving [256, 24, 12] and [128, 48, 12] and then concatenating them with
 * [64, 24, 24] and [32, 48, 48] without checking: an impossible graph. Channels-first
 * throughout, every shape agrees and the convolutions after the merges see 192 and 96
 * channels, not 320 and 160: 563,170 - 9*64*128 - 9*32*64 = 471,010 parameters.
 */
const EXPECTED_ERRATA: Record<string, { params: number }> = {
  'retina-unet-dl4j-functional-k1.0.5-th.json': { params: 471010 },
};

const LAYER_REF = /layer '([^']+)' \(([^)]+)\)/;

function namedLayers(r: ImportResult): { layer: string; className: string }[] {
  return r.diagnostics.flatMap((d) => {
    const m = LAYER_REF.exec(d.message);
    return d.severity === 'error' && m ? [{ layer: m[1]!, className: m[2]! }] : [];
  });
}

describeCorpus('Keras corpus (../shared/corpus/keras)', () => {
  test('meta/expected.json covers exactly the model files', () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();
    expect(expected.map((e) => e.file).sort()).toEqual(files);
    for (const f of Object.keys(REJECTED)) expect(files).toContain(f);
  });

  // describe.each refuses an empty table: without the corpus, describeCorpus skips anyway
  const rows = expected.length > 0 ? expected.map((e) => [e.file, e] as const) : [['(no corpus)', undefined as unknown as (typeof expected)[number]] as const];
  describe.each(rows)('%s', (file, e) => {
    const path = join(CORPUS, file);

    test(REJECTED[file] ? `is rejected, naming a ${REJECTED[file]} layer` : 'imports with the expected shapes and parameter count', () => {
      let r: ImportResult | undefined;
      expect(() => {
        r = importModelFile(path);
      }).not.toThrow();
      if (REJECTED[file]) {
        expect(r!.model).toBeUndefined();
        const named = namedLayers(r!);
        expect(named.map((n) => n.className)).toContain(REJECTED[file]);
        // The named layers really are in the file, under that class.
        const text = readFileSync(path, 'utf8');
        for (const n of named) {
          expect(text).toContain(n.layer.split('/').pop());
          expect(text).toContain(n.className);
        }
        for (const d of r!.diagnostics) expect(d.message.startsWith(`${path}: `)).toBe(true);
      } else {
        expect(r!.diagnostics).toEqual([]);
        expect(r!.model).toBeDefined();
        const m = r!.model!;
        expect(m.inputShape).toEqual(e.input_shape);
        expect(m.outputShape).toEqual(e.output_shape);
        expect(m.parameterCount).toBe(e.params);
      }
    });

    test('shape inference (support not checked) agrees with expected.json', () => {
      const r = readKerasJson(readFileSync(path, 'utf8'), file);
      expect(r.diagnostics).toEqual([]);
      const m = r.model!;
      expect(m.inputShape).toEqual(e.input_shape);
      expect(m.outputShape).toEqual(e.output_shape);
      expect(m.parameterCount).toBe(EXPECTED_ERRATA[file]?.params ?? e.params);
      // Graph sanity: unique names, edges point backwards, the output exists.
      const seen = new Set<string>();
      for (const l of m.layers) {
        for (const i of l.inputs) expect(seen.has(i)).toBe(true);
        expect(seen.has(l.name)).toBe(false);
        seen.add(l.name);
      }
      expect(seen.has(m.output)).toBe(true);
    });

    test('no layer is dropped: per-class counts match expected.json', () => {
      const m = readKerasJson(readFileSync(path, 'utf8'), file).model!;
      const counts: Record<string, number> = {};
      for (const l of m.layers) if (l.op !== 'input') counts[l.className] = (counts[l.className] ?? 0) + 1;
      // Nested models and their InputLayers are expanded / aliased, not layers of the graph.
      const want = Object.fromEntries(Object.entries(e.layer_classes).filter(([c]) => !['InputLayer', 'Sequential', 'Model', 'Functional'].includes(c)));
      expect(counts).toEqual(want);
      expect(m.layers.filter((l) => l.op === 'input')).toHaveLength(1);
    });
  });

  test('TF.js layers files: each parameter is one weightsManifest entry, and vice versa', () => {
    const tfjs = expected.filter((e) => readFileSync(join(CORPUS, e.file), 'utf8').includes('"weightsManifest"'));
    expect(tfjs.length).toBeGreaterThanOrEqual(7);
    for (const e of tfjs) {
      const text = readFileSync(join(CORPUS, e.file), 'utf8');
      const manifest = (JSON.parse(text) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] }).weightsManifest.flatMap((g) => g.weights);
      const m = readKerasJson(text, e.file).model!;
      const params = m.layers.flatMap((l) => l.params);
      expect({ file: e.file, unnamed: params.filter((p) => !p.source).length }).toEqual({ file: e.file, unnamed: 0 });
      const byName = new Map(manifest.map((w) => [w.name, w.shape]));
      expect(params.map((p) => [p.source, p.shape])).toEqual(params.map((p) => [p.source, byName.get(p.source!)]));
      expect(new Set(params.map((p) => p.source)).size).toBe(manifest.length);
    }
  });

  test('a channels_first (Keras 1 "th") model converts to channels-last', () => {
    const r = importModelFile(join(CORPUS, 'mnist-dl4j-sequential-k1.2.2-th.json'));
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.dataFormat).toBe('channels_first');
    const c = toChannelsLast(r.model!);
    expect(c.diagnostics).toEqual([]);
    const m = c.model!;
    expect(m.dataFormat).toBe('channels_last');
    expect(m.inputShape).toEqual([28, 28, 1]);
    expect(m.layers.find((l) => l.op === 'maxpool')!.outputShape).toEqual([12, 12, 32]);
    expect(m.layers.find((l) => l.name === 'dense_1')!.config.input_order).toEqual({ layout: 'chw', shape: [32, 12, 12] });
    expect(m.parameterCount).toBe(600810);
    expect(m.layers.every((l) => l.config.data_format !== 'channels_first')).toBe(true);
  });

  test('a channels_last model is returned unchanged by toChannelsLast', () => {
    const m = importModelFile(join(CORPUS, 'fer-serengil-sequential-k2.0.8.json')).model!;
    expect(toChannelsLast(m).model).toBe(m);
  });

  test('layer normalization: Keras 1 names, ReLU6, BatchNormalization flags, nested scopes', () => {
    const k1 = importModelFile(join(CORPUS, 'xception-kerasjs-functional-k1.1.0.json')).model!;
    const sep = k1.layers.find((l) => l.className === 'SeparableConvolution2D')!;
    expect(sep.op).toBe('separable_conv2d');
    expect(sep.config.use_bias).toBe(false);
    expect(sep.params.map((p) => p.name)).toEqual(['depthwise_kernel', 'pointwise_kernel']);
    expect(k1.layers.find((l) => l.className === 'Merge')!.op).toBe('add');

    const tm = importModelFile(join(CORPUS, 'teachablemachine-mobilenetv2-tfjs-layers1.3.1-nested.json')).model!;
    const relu6 = tm.layers.find((l) => l.className === 'ReLU')!;
    expect(relu6.config.max_value).toBe(6);
    const bn = tm.layers.find((l) => l.op === 'batchnorm')!;
    expect(bn.params.map((p) => p.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(bn.config.axis).toBe(2);
    const dw = tm.layers.find((l) => l.op === 'depthwise_conv2d')!;
    expect(dw.params.map((p) => p.name)).toEqual(['depthwise_kernel']);
    expect(tm.layers.find((l) => l.name === 'Conv1')!.scope).toEqual(['sequential_8', 'model3']);
    expect(tm.layers.find((l) => l.op === 'zeropad2d')!.config.zero_padding).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  // `import` and `check` count different things (the file's layers, the layer block's, the
  // program's after folding): import's message must say how each number follows from the last
  test('import explains its layer and parameter counts, and check counts what it says', () => {
    const imported = expected.filter((e) => !REJECTED[e.file]);
    expect(imported.length).toBeGreaterThanOrEqual(20);
    for (const e of imported) {
      const path = join(CORPUS, e.file);
      const { text, summary } = importPipelineText(path, { frames: 2, select: 1 });
      const { counts } = toDsl(toChannelsLast(importModelFile(path).model!).model!);
      const listed = (m: Map<string, string[]>) => [...m.values()].reduce((s, names) => s + names.length, 0);
      expect({ file: e.file, dsl: counts.file - listed(counts.omitted) + listed(counts.added) }).toEqual({ file: e.file, dsl: counts.dsl });
      expect(summary.layers).toHaveLength(counts.file);
      expect(summary.dsl).toHaveLength(counts.dsl);
      expect(summary.layerCount).toContain(`the model file's ${counts.file} layer${counts.file === 1 ? '' : 's'} ${counts.file === counts.dsl ? 'are' : 'become'} ${counts.dsl} ppvc-dsl layer`);
      const p = checkSource({ path: 'imported.ppvc', text }).pipeline!;
      // check's count: the block's, or the one import says after folding
      const folded = /check and build count (\d+)/.exec(summary.layerCount);
      expect({ file: e.file, check: p.model.layers.length }).toEqual({ file: e.file, check: folded ? Number(folded[1]) : counts.dsl });
      expect({ file: e.file, check: parameterCount(p.model) }).toEqual({ file: e.file, check: summary.pipelineParameters });
      if (summary.pipelineParameters !== summary.parameters) expect(summary.parameterCount).toContain(`${summary.parameters} parameters in the file, ${summary.pipelineParameters} in the pipeline`);
    }
  });

  test('docs/import-corpus.md lists every file with its current status', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'import-corpus.md'), 'utf8');
    for (const e of expected) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${e.file}\``));
      expect(row).toBeDefined();
      expect(row).toContain(REJECTED[e.file] ? '| rejected |' : '| imported |');
    }
  });
});

// ---------------------------------------------------------------------------------------
// Synthetic inputs: every wrapper form and every kind of malformed file, without the corpus.

const conv = (name: string, extra: object = {}) => ({
  class_name: 'Conv2D',
  config: { name, filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true, ...extra },
});

function sequential(layers: object[]): object {
  return { class_name: 'Sequential', config: { name: 'seq', layers } };
}

const SMALL = sequential([
  { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8, 8, 1] } },
  conv('c1'),
  { class_name: 'MaxPooling2D', config: { name: 'p1', pool_size: [2, 2], strides: null } },
  { class_name: 'Flatten', config: { name: 'f' } },
  { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'softmax' } },
]);

/** A Keras 3 functional model with a residual Add and __keras_tensor__ inbound nodes. */
function keras3Functional(inputLayers: unknown = [['in', 0, 0]]): object {
  const t = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 8, 8, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
  const layer = (l: { class_name: string; config: object }, inbound: object[]) => ({ module: 'keras.layers', ...l, name: (l.config as { name: string }).name, registered_name: null, inbound_nodes: inbound });
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'f3',
      layers: [
        layer({ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 8, 8, 4] } }, []),
        layer(conv('a'), [{ args: [t('in')], kwargs: {} }]),
        layer(conv('b', { dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } }), [{ args: [t('a')], kwargs: {} }]),
        layer({ class_name: 'Add', config: { name: 'add' } }, [{ args: [[t('a'), t('b')]], kwargs: {} }]),
        layer({ class_name: 'GlobalAveragePooling2D', config: { name: 'gap' } }, [{ args: [t('add')], kwargs: {} }]),
      ],
      input_layers: inputLayers,
      output_layers: [['gap', 0, 0]],
    },
  };
}

function errorsOf(r: ImportResult): string {
  return r.diagnostics.map((d) => d.message).join('\n');
}

describe('importer on synthetic models', () => {
  test('the wrapper forms all give the same model', () => {
    const json = JSON.stringify(SMALL);
    const forms = {
      plain: json,
      doubleEncoded: JSON.stringify(json),
      tfjs: JSON.stringify({ format: 'layers-model', modelTopology: { keras_version: '2.4.0', backend: 'tensorflow', model_config: SMALL }, weightsManifest: [] }),
      tfjsOld: JSON.stringify({ modelTopology: SMALL }),
      getConfig: JSON.stringify((SMALL as { config: object }).config),
      keras3: JSON.stringify({ module: 'keras', ...SMALL, registered_name: null, build_config: { input_shape: [null, 8, 8, 1] } }),
    };
    const formats: string[] = [];
    for (const [form, text] of Object.entries(forms)) {
      const r = importModelJson(text, `${form}.json`);
      expect({ form, errors: errorsOf(r) }).toEqual({ form, errors: '' });
      expect(r.model!.inputShape).toEqual([8, 8, 1]);
      expect(r.model!.outputShape).toEqual([3]);
      expect(r.model!.parameterCount).toBe(3 * 3 * 1 * 4 + 4 + 64 * 3 + 3);
      formats.push(r.model!.format);
    }
    expect(formats).toEqual(['keras-json', 'keras-json-double-encoded', 'tfjs-layers', 'tfjs-layers', 'keras-get-config', 'keras-json']);
  });

  test('Keras 3 functional graphs, with either input_layers form', () => {
    for (const inputs of [[['in', 0, 0]], ['in', 0, 0]]) {
      const r = importModelJson(JSON.stringify(keras3Functional(inputs)), 'k3.json');
      expect(errorsOf(r)).toBe('');
      expect(r.model!.layers.find((l) => l.name === 'add')!.inputs).toEqual(['a', 'b']);
      expect(r.model!.outputShape).toEqual([4]);
    }
  });

  test('a Sequential without InputLayer takes batch_input_shape from its first layer and ignores stale ones', () => {
    const m = importModelJson(
      JSON.stringify(sequential([conv('c1', { batch_input_shape: [null, 8, 8, 2] }), conv('c2', { batch_input_shape: [null, 99, 99, 9] })])),
      'x.json',
    ).model!;
    expect(m.layers[0]!.name).toBe('c1_input');
    expect(m.layers[2]!.inputShapes).toEqual([[8, 8, 4]]);
  });

  test('a nested model is flattened into the graph', () => {
    const inner = keras3Functional();
    const outer = sequential([{ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 8, 8, 4] } }, inner, { class_name: 'Dense', config: { name: 'out', units: 2 } }]);
    const m = importModelJson(JSON.stringify(outer), 'nested.json').model!;
    expect(m.layers.map((l) => l.name)).toEqual(['in', 'a', 'b', 'add', 'gap', 'out']);
    expect(m.layers.find((l) => l.name === 'a')!.inputs).toEqual(['in']);
    expect(m.layers.find((l) => l.name === 'a')!.scope).toEqual(['f3']);
    expect(m.outputShape).toEqual([2]);
  });

  test.each([
    ['not JSON', '{"class_name": ', /not valid JSON/],
    ['an array', '[1, 2]', /expected a JSON object/],
    ['a number', '42', /expected a JSON object/],
    ['an empty object', '{}', /not a Keras model/],
    ['a layer, not a model', '{"class_name": "Dense", "config": {}}', /'Dense', not a model/],
    ['a non-string class name', '{"class_name": 5}', /no "class_name"/],
    ['a config of the wrong type', '{"class_name": "Sequential", "config": 7}', /non-empty list of layers/],
    ['no input shape', JSON.stringify(sequential([conv('c1')])), /cannot find the input shape/],
    ['a None dimension', JSON.stringify(sequential([conv('c1', { batch_input_shape: [null, null, 8, 1] })])), /unknown \(None\) dimension/],
    ['a bad filter count', JSON.stringify(sequential([conv('c1', { batch_input_shape: [null, 8, 8, 1], filters: 'many' })])), /layer 'c1' \(Conv2D\): invalid config: filters must be a positive integer/],
    ['a kernel larger than the input', JSON.stringify(sequential([conv('c1', { batch_input_shape: [null, 2, 2, 1], padding: 'valid' })])), /window does not fit/],
    ['an unknown layer class', JSON.stringify(sequential([conv('c1', { batch_input_shape: [null, 8, 8, 1] }), { class_name: 'MyAttention', config: { name: 'att' } }])), /layer 'att' \(MyAttention\): unknown layer class/],
    ['a graph model given as text', '{"format": "graph-model", "modelTopology": {"node": []}}', /Placeholder/],
  ])('%s is reported, not thrown', (_what, text, message) => {
    let r: ImportResult | undefined;
    expect(() => {
      r = importModelJson(text, 'bad.json');
    }).not.toThrow();
    expect(r!.model).toBeUndefined();
    expect(errorsOf(r!)).toMatch(message);
    expect(errorsOf(r!)).not.toMatch(/internal error/);
  });

  test('functional graph problems: two inputs, shared layers, cycles, dangling inputs', () => {
    const base = keras3Functional() as { config: { layers: { name: string; inbound_nodes: object[] }[]; input_layers: unknown } };
    const twoInputs = structuredClone(base);
    twoInputs.config.input_layers = [['in', 0, 0], ['a', 0, 0]];
    expect(errorsOf(importModelJson(JSON.stringify(twoInputs), 'x.json'))).toMatch(/2 inputs/);

    const shared = structuredClone(base);
    shared.config.layers[1]!.inbound_nodes.push(shared.config.layers[1]!.inbound_nodes[0]!);
    expect(errorsOf(importModelJson(JSON.stringify(shared), 'x.json'))).toMatch(/layer 'a' \(Conv2D\): the layer is called 2 times/);

    const cycle = structuredClone(base);
    const t = (name: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } });
    cycle.config.layers[1]!.inbound_nodes = [{ args: [t('b')], kwargs: {} }];
    expect(errorsOf(importModelJson(JSON.stringify(cycle), 'x.json'))).toMatch(/cycle/);

    const dangling = structuredClone(base);
    dangling.config.layers[1]!.inbound_nodes = [{ args: [t('nowhere')], kwargs: {} }];
    expect(errorsOf(importModelJson(JSON.stringify(dangling), 'x.json'))).toMatch(/its input 'nowhere'/);
  });

  test('every unsupported layer is reported, not just the first', () => {
    const text = JSON.stringify(
      sequential([
        { class_name: 'Lambda', config: { name: 'norm', function: ['...'], output_shape: null, batch_input_shape: [null, 8, 8, 1] } },
        conv('c1', { activation: 'tanh' }),
        { class_name: 'UpSampling2D', config: { name: 'up', size: [2, 2] } },
        conv('c2', { dilation_rate: [2, 2] }),
      ]),
    );
    const named = namedLayers(importModelJson(text, 'x.json'));
    expect(named).toEqual([
      { layer: 'norm', className: 'Lambda' },
      { layer: 'c1', className: 'Conv2D' },
      { layer: 'up', className: 'UpSampling2D' },
      { layer: 'c2', className: 'Conv2D' },
    ]);
    // Shape inference alone still succeeds (Lambda assumed shape-preserving).
    expect(readKerasJson(text, 'x.json').model!.outputShape).toEqual([16, 16, 4]);
  });

  test('a missing file is a diagnostic', () => {
    const r = importModelFile(join(ROOT, 'no-such-model.json'));
    expect(errorsOf(r)).toMatch(/cannot read the model file: ENOENT/);
  });
});

describe('importer robustness (fast-check)', () => {
  const noInternalError = (text: string) => {
    let r: ImportResult | undefined;
    expect(() => {
      r = importModelJson(text, 'fuzz.json');
    }).not.toThrow();
    const messages = errorsOf(r!);
    expect(messages).not.toMatch(/internal error/);
    if (!r!.model) expect(r!.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  };

  test('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => noInternalError(JSON.stringify(v))),
      { numRuns: 300 },
    );
  });

  test('arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), noInternalError), { numRuns: 200 });
  });

  // Replace one value anywhere in a valid model with arbitrary JSON.
  const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
    v !== null && typeof v === 'object'
      ? [at, ...Object.entries(v as object).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))]
      : [at];
  const mutate = (model: object, path: (string | number)[], value: unknown): object => {
    if (path.length === 0) return value as object;
    const copy = structuredClone(model) as Record<string | number, unknown>;
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = value;
    return copy;
  };

  test.each([
    ['a Sequential model', SMALL],
    ['a Keras 3 functional model', keras3Functional()],
  ])('%s with one value replaced', (_what, model) => {
    const all = paths(model);
    fc.assert(
      fc.property(fc.nat({ max: all.length - 1 }), fc.jsonValue({ maxDepth: 2 }), (i, value) => noInternalError(JSON.stringify(mutate(model, all[i]!, value)))),
      { numRuns: 400 },
    );
  });
});
