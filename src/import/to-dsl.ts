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
  /**
   * Why the layer block has more or fewer layers than the file: each layer of the file that
   * gets no line of its own, and each line that is not one layer of the file, with the reason.
   */
  counts: LayerCounts;
}

export interface LayerCounts {
  /** The file's layers, its input layer included (what Keras's model.layers lists). */
  file: number;
  /** The layer block's lines (what the pipeline's model has before any optimisation). */
  dsl: number;
  /** Reason -> the layers of the file it applies to: not written, or written as two lines. */
  omitted: Map<CountReason, string[]>;
  added: Map<CountReason, string[]>;
}

/** Why a layer of the file is not one line of the layer block: [one, several, why]. */
const REASONS = {
  input: ['the input layer', 'input layers', "the video's frames"],
  dropout: ['the dropout or noise layer', 'dropout or noise layers', 'the identity at inference'],
  linear: ['the linear activation', 'linear activations', 'the identity'],
  softmax: ['the final softmax', 'final softmaxes', "'classify' chooses the per-frame output"],
  after: ['the layer', 'layers', 'after the output'],
  unsupported: ['the layer', 'layers', 'no ppvc-dsl form'],
  separable: ['the separable convolution', 'separable convolutions', 'a depthwise and a 1x1 convolution'],
  keepdims: ['the global pooling', 'global poolings', 'keeps its dimensions: the pooling and a reshape'],
} as const;
export type CountReason = keyof typeof REASONS;

/** `the model file's 21 layers become 19 ppvc-dsl layers (not written: ...)`: why the two counts differ. */
export function formatLayerCounts(c: LayerCounts): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const head = `the model file's ${plural(c.file, 'layer')} ${c.file === c.dsl ? 'are' : 'become'} ${plural(c.dsl, 'ppvc-dsl layer')}`;
  const group = (m: Map<CountReason, string[]>) =>
    [...m].map(([reason, names]) => {
      const [one, several, why] = REASONS[reason];
      if (names.length === 1) return `${one} ${names[0]} (${why})`;
      return names.length <= 3 ? `the ${several} ${names.join(', ')} (${why})` : `${names.length} ${several} (${why})`;
    });
  const parts = [
    ...(c.omitted.size ? [`not written: ${group(c.omitted).join('; ')}`] : []),
    ...(c.added.size ? [`written as two: ${group(c.added).join('; ')}`] : []),
  ];
  return parts.length ? `${head} (${parts.join('; ')})` : head;
}

const size = (s: [number, number]) => (s[0] === s[1] ? `${s[0]}x${s[0]}` : `${s[0]}x${s[1]}`);

// Long: one case per imported op, each the DSL line it prints, sharing the names chosen so far;
// a table of per-op writers (as import/tfjs-ops.ts) is the next step if more ops come.
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
  const omitted = new Map<CountReason, string[]>();
  const added = new Map<CountReason, string[]>();
  const note = (m: Map<CountReason, string[]>, why: CountReason, name: string) => m.set(why, [...(m.get(why) ?? []), name]);
  for (const l of model.layers.slice(outputIndex + 1)) note(omitted, 'after', l.name);

  for (const [index, l] of layers.entries()) {
    const c = l.config;
    const isLast = index === layers.length - 1;
    const ins = l.inputs.map((i) => names.get(i) ?? 'input');
    if (l.op === 'input') {
      note(omitted, 'input', l.name);
      names.set(l.name, 'input');
      continue;
    }
    // layers that are the identity at inference: the name stands for their input
    const identity = l.op === 'dropout' || (l.op === 'activation' && c.activation === 'linear') || (l.op === 'activation' && c.activation === 'softmax' && isLast);
    if (identity) {
      if (l.op === 'activation' && c.activation === 'softmax') finalSoftmax = true;
      note(omitted, l.op === 'dropout' ? 'dropout' : c.activation === 'linear' ? 'linear' : 'softmax', l.name);
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
        note(added, 'separable', l.name);
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
          note(added, 'keepdims', l.name);
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
        note(omitted, 'unsupported', l.name);
        continue;
    }
    names.set(l.name, previous);
  }
  if (finalSoftmax) notes.push("the model's final softmax is not part of the layer stack: the pipeline's 'classify' statement chooses the per-frame output");
  return { lines, sources, finalSoftmax, notes, counts: { file: model.layers.length, dsl: lines.length, omitted, added } };
}
