// Layer statements -> IR layers, with every shape inferred and checked. A model is a graph:
// a layer reads the previous statement's output unless it says `from NAME`; `add` and
// `concat` name the layers they merge. `input` names the frames.
import { type Diagnostic, type Span, errorAt } from '../diagnostics.js';
import type { LayerStatement } from '../syntax/ast.js';
import type { Activation, Layer, Padding, Shape } from '../ir/pipeline.js';
import { INPUT, product } from '../ir/pipeline.js';
import { formatShape, windowOutput } from '../ir/shapes.js';
import { ArgReader, type Vocabulary } from './args.js';
import { didYouMean } from '../util/suggest.js';

export const LAYER_HELP: Record<string, string> = {
  conv2d: 'conv2d FILTERS kernel KxK [stride S|SxS] [valid|same] [relu] [nobias] [from NAME]',
  depthwise_conv2d: 'depthwise_conv2d kernel KxK [multiplier M] [stride S|SxS] [valid|same] [relu] [nobias] [from NAME]',
  dense: 'dense UNITS [relu] [nobias] [from NAME]',
  relu: 'relu [max V] [from NAME]',
  avgpool: 'avgpool KxK [stride S|SxS] [valid|same] [from NAME]',
  maxpool: 'maxpool KxK [stride S|SxS] [valid|same] [from NAME]',
  global_avgpool: 'global_avgpool [from NAME]',
  global_maxpool: 'global_maxpool [from NAME]',
  flatten: 'flatten [from NAME]',
  batchnorm: 'batchnorm [epsilon E] [from NAME]',
  zeropad: 'zeropad P | PxQ | [top, bottom, left, right] [from NAME]',
  crop: 'crop P | PxQ | [top, bottom, left, right] [from NAME]',
  reshape: 'reshape [d1, d2, ...] [from NAME]',
  dropout: 'dropout [RATE] [from NAME]',
  add: 'add NAME, NAME[, ...]',
  concat: 'concat NAME, NAME[, ...]',
};

export const LAYER_KINDS = Object.keys(LAYER_HELP);

/**
 * The keywords and flags of each layer kind (LAYER_HELP's lower-case words, and `linear`, the
 * activation a layer with a `relu` flag has without it): a word near one of them is taken for
 * a misspelling of it. add and concat take layer names only: none of theirs is corrected.
 */
const LAYER_WORDS: Record<string, Vocabulary | undefined> = Object.fromEntries(
  LAYER_KINDS.map((kind) => {
    if (kind === 'add' || kind === 'concat') return [kind, undefined];
    // the words outside bracketed lists ([top, bottom, left, right] are not keywords)
    const words = LAYER_HELP[kind]!.replace(/\[[a-z0-9]+(, [a-z0-9.]+)+\]/g, '').match(/\b[a-z][a-z0-9_]*\b/g)!.filter((w) => w !== kind);
    if (words.includes('relu')) words.push('linear');
    return [kind, { words, wordValued: ['from'] }];
  }),
);

/** Checks a layer graph from `inputShape` on; returns the layers, or undefined after errors. */
export function checkLayers(stmts: LayerStatement[], inputShape: Shape, diags: Diagnostic[]): Layer[] | undefined {
  const layers: Layer[] = [];
  const shapes = new Map<string, Shape>([[INPUT, inputShape]]);
  const counts = new Map<string, number>();
  let previous = INPUT;
  const errorsAtStart = diags.length;
  for (const st of stmts) {
    const kind = st.kind.text;
    if (!LAYER_KINDS.includes(kind)) {
      diags.push(
        errorAt(st.kind.span, `unknown layer '${kind}'${didYouMean(kind, LAYER_KINDS)}`, {
          expected: `one of ${LAYER_KINDS.join(', ')}`,
          found: `'${kind}'`,
          hints: kind === 'softmax' ? ["the per-frame softmax is chosen in 'classify each frame with MODEL, softmax relu_normalized|exact'"] : undefined,
        }),
      );
      return undefined;
    }
    let name: string;
    if (st.label) {
      if (shapes.has(st.label.text)) {
        diags.push(errorAt(st.label.span, st.label.text === INPUT ? "'input' names the frames; choose another layer name" : `layer name '${st.label.text}' is used twice`));
        return undefined;
      }
      name = st.label.text;
    } else {
      do {
        const n = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, n);
        name = `${kind}_${n}`;
      } while (shapes.has(name));
    }
    const before = diags.length;
    const layer = checkLayer(st, kind, name, previous, shapes, diags);
    if (!layer || diags.length > before) return undefined; // later shapes would be guesses
    layers.push(layer);
    shapes.set(name, layer.outShape);
    previous = name;
  }
  return diags.length > errorsAtStart ? undefined : layers;
}

function checkLayer(st: LayerStatement, kind: string, name: string, previous: string, shapes: Map<string, Shape>, diags: Diagnostic[]): Layer | undefined {
  const r = new ArgReader(st.args, kind, st.kind.span, diags, LAYER_WORDS[kind]);
  const help = LAYER_HELP[kind]!;
  const resolve = (ref: { text: string; span: Span }): Shape | undefined => {
    const s = shapes.get(ref.text);
    if (!s) {
      diags.push(
        errorAt(ref.span, `unknown layer '${ref.text}'${didYouMean(ref.text, shapes.keys())}`, {
          expected: `'input' or a layer defined above: ${[...shapes.keys()].slice(-6).join(', ')}`,
          found: `'${ref.text}'`,
        }),
      );
    }
    return s;
  };
  const base = (inputs: string[], inShape: Shape) => ({ name, inputs, inShape, span: st.span });

  if (kind === 'add' || kind === 'concat') return checkMerge(kind, r, help, st, resolve, base, diags);

  const from = r.keyedName('from');
  const inputName = from?.text ?? previous;
  const shape = from ? resolve(from) : shapes.get(previous)!;
  if (!shape) return undefined;
  const needImage = (): [number, number, number] | undefined => {
    if (shape.length !== 3) {
      diags.push(
        errorAt(st.kind.span, `${kind} needs an image-shaped input [h, w, c]`, {
          expected: '[h, w, c]',
          found: formatShape(shape),
          hints: ["convolutions and pooling must come before 'flatten' and 'dense'"],
        }),
      );
      return undefined;
    }
    return shape as [number, number, number];
  };
  const b = base([inputName], shape);
  return LAYER_RULES.get(kind)?.({ kind, r, help, st, b, shape, needImage, diags });
}

/** `add A, B, …` (one shape) and `concat A, B, …` (along the channel axis). */
function checkMerge(
  kind: 'add' | 'concat',
  r: ArgReader,
  help: string,
  st: LayerStatement,
  resolve: (ref: { text: string; span: Span }) => Shape | undefined,
  base: (inputs: string[], inShape: Shape) => { name: string; inputs: string[]; inShape: Shape; span: Span },
  diags: Diagnostic[],
): Layer | undefined {
  const refs = r.names();
  r.finish(help);
  if (refs.length < 2) {
    diags.push(errorAt(st.kind.span, `${kind} needs at least two layers to merge`, { expected: help }));
    return undefined;
  }
  const ins = refs.map(resolve);
  if (ins.some((s) => !s)) return undefined;
  const first = ins[0]!;
  for (let i = 1; i < ins.length; i++) {
    const s = ins[i]!;
    const ok = kind === 'add' ? formatShape(s) === formatShape(first) : s.length === first.length && s.slice(0, -1).every((d, j) => d === first[j]);
    if (!ok) {
      diags.push(
        errorAt(refs[i]!.span, kind === 'add' ? `add needs inputs of one shape` : 'concat needs inputs that differ only in their last (channel) axis', {
          expected: formatShape(first),
          found: formatShape(s),
        }),
      );
      return undefined;
    }
  }
  const out = kind === 'add' ? first : [...first.slice(0, -1), ins.reduce((s, x) => s + x![x!.length - 1]!, 0)];
  return { op: kind, ...base(refs.map((x) => x.text), first), outShape: out };
}

/** What a layer's rule reads: its arguments, the one input's shape, and the fields every layer has. */
interface LayerInput {
  kind: string;
  r: ArgReader;
  help: string;
  st: LayerStatement;
  /** name, inputs, inShape and span. */
  b: { name: string; inputs: string[]; inShape: Shape; span: Span };
  shape: Shape;
  /** The input as [h, w, c], or undefined (reported) if it is not an image. */
  needImage(): [number, number, number] | undefined;
  diags: Diagnostic[];
}

/** The arguments of one layer kind checked, and the layer with its output shape (undefined after an error). */
type LayerRule = (x: LayerInput) => Layer | undefined;

const conv2dLayer: LayerRule = ({ kind, r, help, st, b, needImage, diags }) => {
  const filters = kind === 'conv2d' ? r.positiveInt('the number of filters', true) : undefined;
  const kernel = r.keyedSize('kernel', undefined, true);
  const multiplier = kind === 'depthwise_conv2d' ? r.keyedInt('multiplier', 1) : undefined;
  const strides = r.keyedSize('stride', [1, 1])!;
  const padding = r.flag<Padding>(['valid', 'same'], 'valid');
  const activation = r.flag<Activation>(['relu', 'linear'], 'linear');
  const useBias = !r.word('nobias');
  r.finish(help);
  const img = needImage();
  if (!img || kernel === undefined || (kind === 'conv2d' && filters === undefined)) return undefined;
  const out = spatialOut(img, kernel, strides, padding);
  if (!out) {
    diags.push(windowTooLarge(st, 'kernel', kernel, img));
    return undefined;
  }
  if (kind === 'conv2d') return { op: 'conv2d', ...b, filters: filters!, kernel, strides, padding, useBias, activation, outShape: [out[0], out[1], filters!] };
  return { op: 'depthwise_conv2d', ...b, multiplier: multiplier!, kernel, strides, padding, useBias, activation, outShape: [out[0], out[1], img[2] * multiplier!] };
};

const denseLayer: LayerRule = ({ r, help, st, b, shape, diags }) => {
  const units = r.positiveInt('the number of units', true);
  const activation = r.flag<Activation>(['relu', 'linear'], 'linear');
  const useBias = !r.word('nobias');
  r.finish(help);
  if (units === undefined) return undefined;
  if (shape.length !== 1) {
    diags.push(errorAt(st.kind.span, 'dense needs a flat input', { expected: '[d]', found: formatShape(shape), hints: ["add 'flatten' before the first dense layer"] }));
    return undefined;
  }
  return { op: 'dense', ...b, units, useBias, activation, outShape: [units] };
};

function poolLayer(op: 'avgpool' | 'maxpool'): LayerRule {
  return ({ r, help, st, b, needImage, diags }) => {
    const pool = r.positionalSize('the pool size', true);
    const strides = r.keyedSize('stride', pool);
    const padding = r.flag<Padding>(['valid', 'same'], 'valid');
    r.finish(help);
    const img = needImage();
    if (!img || !pool || !strides) return undefined;
    const out = spatialOut(img, pool, strides, padding);
    if (!out) {
      diags.push(windowTooLarge(st, 'pool', pool, img));
      return undefined;
    }
    return { op, ...b, pool, strides, padding, outShape: [out[0], out[1], img[2]] };
  };
}

function globalPoolLayer(op: 'global_avgpool' | 'global_maxpool'): LayerRule {
  return ({ r, help, b, needImage }) => {
    r.finish(help);
    const img = needImage();
    return img ? { op, ...b, outShape: [img[2]] } : undefined;
  };
}

const reluLayer: LayerRule = ({ r, help, b, shape }) => {
  const max = r.keyedNumber('max', undefined, 'positive');
  r.finish(help);
  return { op: 'relu', ...b, outShape: shape, ...(max !== undefined ? { max } : {}) };
};

const flattenLayer: LayerRule = ({ r, help, b, shape }) => {
  r.finish(help);
  return { op: 'flatten', ...b, outShape: [product(shape)] };
};

const dropoutLayer: LayerRule = ({ r, help, b, shape }) => {
  r.positionalFraction('rate');
  r.finish(help);
  return { op: 'dropout', ...b, outShape: shape };
};

const batchnormLayer: LayerRule = ({ r, help, b, shape }) => {
  const epsilon = r.keyedNumber('epsilon', 1e-3, 0)!;
  r.finish(help);
  return { op: 'batchnorm', ...b, epsilon, outShape: shape };
};

const zeropadLayer: LayerRule = ({ kind, r, help, st, b, needImage, diags }) => {
  const sizes = fourSides(r, kind);
  r.finish(help);
  const img = needImage();
  if (!img || !sizes) return undefined;
  const [t, bo, l, ri] = sizes;
  const sign = kind === 'zeropad' ? 1 : -1;
  const out: Shape = [img[0] + sign * (t + bo), img[1] + sign * (l + ri), img[2]];
  if (out[0]! < 1 || out[1]! < 1) {
    diags.push(errorAt(st.span, `crop removes the whole ${img[0]}x${img[1]} input`, { found: `[${sizes.join(', ')}]` }));
    return undefined;
  }
  return kind === 'zeropad' ? { op: 'zeropad', ...b, pad: sizes, outShape: out } : { op: 'crop', ...b, crop: sizes, outShape: out };
};

const reshapeLayer: LayerRule = ({ r, help, b, shape, diags }) => {
  const target = r.list('the new shape', true);
  r.finish(help);
  if (!target) return undefined;
  if (target.values.length === 0 || target.values.some((d) => d < 1) || product(target.values) !== product(shape)) {
    diags.push(errorAt(target.span, `cannot reshape ${formatShape(shape)} (${product(shape)} values) to [${target.values.join(', ')}]`, { expected: `positive sizes whose product is ${product(shape)}` }));
    return undefined;
  }
  return { op: 'reshape', ...b, outShape: target.values };
};

/** The rule of each layer kind with one input (add and concat: checkMerge). */
const LAYER_RULES: ReadonlyMap<string, LayerRule> = new Map<string, LayerRule>([
  ['conv2d', conv2dLayer],
  ['depthwise_conv2d', conv2dLayer],
  ['dense', denseLayer],
  ['avgpool', poolLayer('avgpool')],
  ['maxpool', poolLayer('maxpool')],
  ['global_avgpool', globalPoolLayer('global_avgpool')],
  ['global_maxpool', globalPoolLayer('global_maxpool')],
  ['relu', reluLayer],
  ['flatten', flattenLayer],
  ['dropout', dropoutLayer],
  ['batchnorm', batchnormLayer],
  ['zeropad', zeropadLayer],
  ['crop', zeropadLayer],
  ['reshape', reshapeLayer],
]);

/** `P`, `PxQ` (top/bottom P, left/right Q) or `[top, bottom, left, right]`. */
function fourSides(r: ArgReader, what: string): [number, number, number, number] | undefined {
  const list = r.list(`the ${what} sizes`, false);
  if (list) {
    if (list.values.length !== 4) {
      r.finish(`${what} [top, bottom, left, right]`);
      return undefined;
    }
    return list.values as [number, number, number, number];
  }
  const size = r.positionalSize(`the ${what} size`, true);
  return size ? [size[0], size[0], size[1], size[1]] : undefined;
}

function spatialOut(img: [number, number, number], window: [number, number], strides: [number, number], padding: Padding): [number, number] | undefined {
  const h = windowOutput(img[0], window[0], strides[0], padding);
  const w = windowOutput(img[1], window[1], strides[1], padding);
  return h >= 1 && w >= 1 ? [h, w] : undefined;
}

function windowTooLarge(st: LayerStatement, what: string, win: [number, number], img: [number, number, number]): Diagnostic {
  return errorAt(st.span, `${st.kind.text}: the ${win[0]}x${win[1]} ${what} does not fit its ${img[0]}x${img[1]} input`, {
    expected: `a ${what} no larger than ${img[0]}x${img[1]} (or 'same' padding)`,
    found: `${win[0]}x${win[1]}`,
  });
}
