// Inline layer statements -> IR layers, with every shape inferred and checked.
import { type Diagnostic, errorAt } from '../diagnostics.js';
import type { LayerStatement } from '../syntax/ast.js';
import type { Activation, Layer, Padding, Shape } from '../ir/pipeline.js';
import { product } from '../ir/pipeline.js';
import { formatShape, windowOutput } from '../ir/shapes.js';
import { ArgReader } from './args.js';

export const LAYER_KINDS = ['conv2d', 'dense', 'relu', 'avgpool', 'maxpool', 'flatten'] as const;

const LAYER_HELP: Record<string, string> = {
  conv2d: "conv2d FILTERS kernel KxK [stride S|SxS] [valid|same] [relu] [nobias]",
  dense: 'dense UNITS [relu] [nobias]',
  relu: 'relu',
  avgpool: 'avgpool KxK [stride S|SxS] [valid|same]',
  maxpool: 'maxpool KxK [stride S|SxS] [valid|same]',
  flatten: 'flatten',
};

/** Checks a layer stack from `inputShape` on; returns the layers (possibly partial on error). */
export function checkLayers(stmts: LayerStatement[], inputShape: Shape, diags: Diagnostic[]): Layer[] {
  const layers: Layer[] = [];
  const counts = new Map<string, number>();
  const labels = new Set<string>();
  let shape = inputShape;
  for (const st of stmts) {
    const kind = st.kind.text;
    if (!(LAYER_KINDS as readonly string[]).includes(kind)) {
      diags.push(
        errorAt(st.kind.span, `unknown layer '${kind}'`, {
          expected: `one of ${LAYER_KINDS.join(', ')}`,
          found: `'${kind}'`,
          hints: kind === 'softmax' ? ["the per-frame softmax is chosen in 'classify each frame with MODEL, softmax relu_normalized|exact'"] : undefined,
        }),
      );
      return layers;
    }
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    let name = `${kind}_${n}`;
    if (st.label) {
      if (labels.has(st.label.text)) diags.push(errorAt(st.label.span, `layer name '${st.label.text}' is used twice`));
      labels.add(st.label.text);
      name = st.label.text;
    }
    const r = new ArgReader(st.args, kind, st.kind.span, diags);
    const errorsBefore = diags.length;
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
    let layer: Layer | undefined;
    switch (kind) {
      case 'conv2d': {
        const filters = r.positiveInt('the number of filters', true);
        const kernel = r.keyedSize('kernel', undefined, true);
        const strides = r.keyedSize('stride', [1, 1])!;
        const padding = r.flag<Padding>(['valid', 'same'], 'valid');
        const activation = r.flag<Activation>(['relu', 'linear'], 'linear');
        const useBias = !r.word('nobias');
        r.finish(LAYER_HELP[kind]!);
        const img = needImage();
        if (!img || filters === undefined || kernel === undefined) break;
        const out = spatialOut(img, kernel, strides, padding);
        if (!out) {
          diags.push(windowTooLarge(st, 'kernel', kernel, img));
          break;
        }
        layer = { op: 'conv2d', name, filters, kernel, strides, padding, useBias, activation, inShape: shape, outShape: [out[0], out[1], filters], span: st.span };
        break;
      }
      case 'dense': {
        const units = r.positiveInt('the number of units', true);
        const activation = r.flag<Activation>(['relu', 'linear'], 'linear');
        const useBias = !r.word('nobias');
        r.finish(LAYER_HELP[kind]!);
        if (units === undefined) break;
        if (shape.length !== 1) {
          diags.push(
            errorAt(st.kind.span, 'dense needs a flat input', {
              expected: '[d]',
              found: formatShape(shape),
              hints: ["add 'flatten' before the first dense layer"],
            }),
          );
          break;
        }
        layer = { op: 'dense', name, units, useBias, activation, inShape: shape, outShape: [units], span: st.span };
        break;
      }
      case 'avgpool':
      case 'maxpool': {
        const pool = r.positionalSize('the pool size', true);
        const strides = r.keyedSize('stride', pool);
        const padding = r.flag<Padding>(['valid', 'same'], 'valid');
        r.finish(LAYER_HELP[kind]!);
        const img = needImage();
        if (!img || !pool || !strides) break;
        const out = spatialOut(img, pool, strides, padding);
        if (!out) {
          diags.push(windowTooLarge(st, 'pool', pool, img));
          break;
        }
        layer = { op: kind, name, pool, strides, padding, inShape: shape, outShape: [out[0], out[1], img[2]], span: st.span };
        break;
      }
      case 'relu':
        r.finish(LAYER_HELP[kind]!);
        layer = { op: 'relu', name, inShape: shape, outShape: shape, span: st.span };
        break;
      case 'flatten':
        r.finish(LAYER_HELP[kind]!);
        layer = { op: 'flatten', name, inShape: shape, outShape: [product(shape)], span: st.span };
        break;
    }
    if (!layer || diags.length > errorsBefore) return layers; // later shapes would be guesses
    layers.push(layer);
    shape = layer.outShape;
  }
  return layers;
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
