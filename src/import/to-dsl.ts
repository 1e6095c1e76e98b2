// An imported model (channels-last, supported by ppvc-dsl) -> the DSL's layer block. The text
// is what `ppvc-dsl import` prints and what a pipeline's `model ... from "file"` compiles, so
// both give the same program. Layer names are the file's (made identifiers); a layer that
// does not read the line before says `from NAME`.
import type { ImportedLayer, ImportedModel } from './imported-model.js';

export interface DslModel {
  /** The lines of the layer block, without braces or indentation. */
  lines: string[];
  /** DSL layer name -> the imported layer (and part of it) its parameters come from. */
  sources: Map<string, { layer: ImportedLayer; part?: 'depthwise' | 'pointwise' }>;
  /** The file ended in a softmax, which the pipeline's `classify` statement replaces. */
  finalSoftmax: boolean;
  notes: string[];
}

const size = (s: [number, number]) => (s[0] === s[1] ? `${s[0]}x${s[0]}` : `${s[0]}x${s[1]}`);

export function toDsl(model: ImportedModel): DslModel {
  const names = new Map<string, string>();
  const used = new Set<string>(['input']);
  const ident = (raw: string) => {
    let base = raw.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    if (!/^[A-Za-z_]/.test(base)) base = `l_${base}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const lines: string[] = [];
  const sources: DslModel['sources'] = new Map();
  const notes: string[] = [];
  let previous = 'input';
  let finalSoftmax = false;
  const outputIndex = model.layers.findIndex((l) => l.name === model.output);
  const layers = model.layers.slice(0, outputIndex + 1);

  for (const [index, l] of layers.entries()) {
    const c = l.config;
    const isLast = index === layers.length - 1;
    const ins = l.inputs.map((i) => names.get(i) ?? 'input');
    if (l.op === 'input') {
      names.set(l.name, 'input');
      continue;
    }
    // layers that are the identity at inference: the name stands for their input
    const identity = l.op === 'dropout' || (l.op === 'activation' && c.activation === 'linear') || (l.op === 'activation' && c.activation === 'softmax' && isLast);
    if (identity) {
      if (l.op === 'activation' && c.activation === 'softmax') finalSoftmax = true;
      names.set(l.name, ins[0]!);
      continue;
    }
    const from = ins.length === 1 && ins[0] !== previous ? ` from ${ins[0]}` : '';
    const act = (a: string | undefined) => {
      if (a === 'relu') return ' relu';
      if (a === 'softmax' && isLast) finalSoftmax = true;
      return '';
    };
    const stride = (s: [number, number] | undefined) => (s && (s[0] !== 1 || s[1] !== 1) ? ` stride ${size(s)}` : '');
    const pad = c.padding === 'same' ? ' same' : '';
    const bias = c.use_bias === false ? ' nobias' : '';
    const emit = (name: string, text: string, part?: 'depthwise' | 'pointwise') => {
      lines.push(`${name}: ${text}`);
      sources.set(name, { layer: l, part });
      previous = name;
    };
    const name = ident(l.name);
    switch (l.op) {
      case 'conv2d':
        emit(name, `conv2d ${c.filters} kernel ${size(c.kernel!)}${stride(c.strides)}${pad}${act(c.activation)}${bias}${from}`);
        break;
      case 'depthwise_conv2d':
        emit(name, `depthwise_conv2d kernel ${size(c.kernel!)}${c.depth_multiplier && c.depth_multiplier !== 1 ? ` multiplier ${c.depth_multiplier}` : ''}${stride(c.strides)}${pad}${act(c.activation)}${bias}${from}`);
        break;
      case 'separable_conv2d': {
        const dw = ident(`${l.name}_depthwise`);
        emit(dw, `depthwise_conv2d kernel ${size(c.kernel!)}${c.depth_multiplier && c.depth_multiplier !== 1 ? ` multiplier ${c.depth_multiplier}` : ''}${stride(c.strides)}${pad} nobias${from}`, 'depthwise');
        emit(name, `conv2d ${c.filters} kernel 1x1${act(c.activation)}${bias}`, 'pointwise');
        break;
      }
      case 'dense':
        emit(name, `dense ${c.units}${act(c.activation)}${bias}${from}`);
        break;
      case 'activation':
        emit(name, `relu${from}`); // support.ts admits relu, and linear/softmax were handled above
        break;
      case 'relu':
        emit(name, `relu${c.max_value !== undefined && c.max_value !== null ? ` max ${c.max_value}` : ''}${from}`);
        break;
      case 'maxpool':
      case 'avgpool': {
        const s = c.strides ?? c.pool!;
        emit(name, `${l.op} ${size(c.pool!)}${s[0] === c.pool![0] && s[1] === c.pool![1] ? '' : ` stride ${size(s)}`}${pad}${from}`);
        break;
      }
      case 'global_avgpool':
      case 'global_maxpool':
        emit(name, `${l.op}${from}`);
        if (c.keepdims) {
          const keep = ident(`${l.name}_keepdims`);
          lines.push(`${keep}: reshape [${l.outputShape.join(', ')}]`);
          previous = keep;
          names.set(l.name, keep);
          continue;
        }
        break;
      case 'zeropad2d': {
        const [[t, b], [lf, r]] = c.zero_padding!;
        emit(name, `zeropad [${t}, ${b}, ${lf}, ${r}]${from}`);
        break;
      }
      case 'crop2d': {
        const [[t, b], [lf, r]] = c.cropping!;
        emit(name, `crop [${t}, ${b}, ${lf}, ${r}]${from}`);
        break;
      }
      case 'flatten':
        emit(name, `flatten${from}`);
        break;
      case 'reshape':
        emit(name, `reshape [${l.outputShape.join(', ')}]${from}`);
        break;
      case 'batchnorm':
        emit(name, `batchnorm epsilon ${c.epsilon ?? 0.001}${from}`);
        break;
      case 'add':
        emit(name, `add ${ins.join(', ')}`);
        break;
      case 'concatenate':
        emit(name, `concat ${ins.join(', ')}`);
        break;
      default:
        notes.push(`layer '${l.name}' (${l.className}) has no ppvc-dsl form`);
        continue;
    }
    names.set(l.name, previous);
  }
  if (finalSoftmax) notes.push("the model's final softmax is not part of the layer stack: the pipeline's 'classify' statement chooses the per-frame output");
  return { lines, sources, finalSoftmax, notes };
}
