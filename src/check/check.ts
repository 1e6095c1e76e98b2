// AST -> Pipeline IR: names, ownership, selection, the model's shapes, the per-frame output,
// aggregation, reveals and the target. Reports every error it finds, not just the first.
import { type Diagnostic, type SourceFile, type Span, errorAt, warningAt } from '../diagnostics.js';
import type * as A from '../syntax/ast.js';
import type {
  Aggregation, FrameOutput, FrameSelection, Layer, Model, Party, Pipeline, Reveal, Shape, Target, Truncation, ValueBound, VideoInput,
} from '../ir/pipeline.js';
import { formatShape } from '../ir/shapes.js';
import { layerParams, product } from '../ir/pipeline.js';
import { FIELD_BITS_BUILT, FIELD_PRIME_EXTRA_BITS, PROTOCOLS, PROTOCOL_NAMES, builtFor, domainPhrase, type ProtocolName, type ProtocolProfile } from '../target/protocols.js';
import { resolveOptimizations, type OptimizationSet } from '../target/optimizations.js';
import { ArgReader } from './args.js';
import { TARGET_OPTION_KEYS, VIDEO_OPTION_KEYS } from '../syntax/option-keys.js';
import { didYouMean } from '../util/suggest.js';
import { checkLayers } from './layers.js';
import { checkBoundDeclarations } from './bounds.js';
import { productBits, softmaxSumBits } from '../ir/ring-fit.js';

export interface CheckResult {
  pipeline?: Pipeline;
  diagnostics: Diagnostic[];
}

/** The largest video dimension (frames, height, width or channels): 2^20. */
export const MAX_DIMENSION = 1 << 20;

function parameterCountOf(l: Layer): number {
  return layerParams(l).reduce((s, t) => s + product(t.shape), 0);
}

/**
 * Target settings given outside the file (`--protocol`, the API's options for a sweep): they
 * replace the target statement's before any of its checks run, so an override that does not fit
 * (a precision too wide for the ring) is the same error the statement would get.
 */
export interface TargetSettings {
  protocol?: ProtocolName;
  ringBits?: number;
  precision?: { f: number; k: number };
  /** compile.py's budget instead of the statement's `budget N`. */
  budget?: number;
  /** The optimisations: the style's (`seed`: none), with these switched on or off (`--opt`). */
  style?: 'seed' | 'optimized';
  optimizations?: Partial<OptimizationSet>;
}

/**
 * `modelFile`: the layers of the model file the pipeline names, read before the check
 * (import/model-file.ts resolveModelFile); check/ reads no files.
 */
export function checkPipeline(file: SourceFile, ast: A.PipelineAst, overrides: TargetSettings = {}, modelFile?: A.ModelFileLayers): CheckResult {
  return new PipelineChecker(file, ast, overrides, modelFile).run();
}

/** The check of one pipeline, a statement kind at a time; every error is collected in `diags`. */
class PipelineChecker {
  private readonly diags: Diagnostic[] = [];
  private readonly parties = new Map<string, Party>();

  constructor(
    private readonly file: SourceFile,
    private readonly ast: A.PipelineAst,
    private readonly overrides: TargetSettings,
    private readonly modelFile: A.ModelFileLayers | undefined,
  ) {}

  run(): CheckResult {
    const ast = this.ast;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ast.name.text)) {
      this.err(ast.name.span, 'the pipeline name must be letters, digits and underscores (it names the MP-SPDZ program)', {
        found: `'${ast.name.text}'`,
      });
    }
    this.checkParties();
    const video = this.checkVideo();
    const selection = this.checkSelection(video);
    const model = this.checkModel(video, selection);
    const frameOutput = this.checkClassify();
    const aggregation = this.checkAggregation();
    const reveals = this.checkReveals(aggregation, video);
    const diags = this.diags;
    const target = checkTarget(this.single('target', "'target' block", false), this.parties, { frameOutput, classes: model?.outputShape[0] }, diags, this.overrides);
    if (target && model) checkBoundDeclarations(target, model, diags);
    if (diags.some((d) => d.severity === 'error') || !video || !selection || !model || !target) return { diagnostics: diags };
    return {
      diagnostics: diags,
      pipeline: {
        name: ast.name.text,
        sourcePath: this.file.path,
        parties: [...this.parties.values()].sort((x, y) => x.id - y.id),
        video,
        selection,
        model,
        frameOutput,
        classes: model.outputShape[0]!,
        aggregation,
        reveals,
        target,
      },
    };
  }

  private err(span: Span | undefined, msg: string, extra: Partial<Diagnostic> = {}): void {
    this.diags.push(errorAt(span, msg, extra));
  }

  /** The statements of one kind, in order. */
  private of<K extends A.Statement['kind']>(k: K): Extract<A.Statement, { kind: K }>[] {
    return this.ast.statements.filter((s): s is Extract<A.Statement, { kind: K }> => s.kind === k);
  }

  /** The one statement of a kind: a second one is an error, and so is none where one is required. */
  private single<K extends A.Statement['kind']>(k: K, what: string, required: boolean): Extract<A.Statement, { kind: K }> | undefined {
    const list = this.of(k);
    for (const extra of list.slice(1)) this.err(extra.span, `a pipeline has one ${what}; this is a second one`, { hints: [`the first is at line ${list[0]!.span.line}`] });
    if (required && list.length === 0) this.err(this.ast.name.span, `the pipeline has no ${what}`, { hints: [missingHelp[k] ?? ''] });
    return list[0];
  }

  /** `party NAME = ID`: names and ids unique, ids from 0 to 63. */
  private checkParties(): void {
    const ids = new Map<number, string>();
    for (const p of this.of('party')) {
      if (!Number.isInteger(p.id.value) || p.id.value < 0 || p.id.value > 63) {
        this.err(p.id.span, `party ids are whole numbers from 0`, { found: p.id.text });
        continue;
      }
      if (this.parties.has(p.name.text)) {
        this.err(p.name.span, `party '${p.name.text}' is declared twice`);
        continue;
      }
      if (ids.has(p.id.value)) {
        // still declared, so later uses of the name do not cascade into more errors
        this.err(p.id.span, `party id ${p.id.value} is already '${ids.get(p.id.value)}'`, { expected: 'a different id for each party' });
      }
      ids.set(p.id.value, p.name.text);
      this.parties.set(p.name.text, { name: p.name.text, id: p.id.value, span: p.span });
    }
  }

  /** A party named in a statement: undefined, reported, if none is declared so. */
  private party(n: A.Name, role: string): Party | undefined {
    const p = this.parties.get(n.text);
    if (!p) {
      this.err(n.span, `unknown party '${n.text}' (${role})${didYouMean(n.text, this.parties.keys())}`, {
        expected: this.parties.size ? `one of ${[...this.parties.keys()].join(', ')}` : "a party declared with 'party NAME = ID'",
        found: `'${n.text}'`,
      });
    }
    return p;
  }

  /** `video NAME: [N, h, w, c] from PARTY, range [LO, HI]`. */
  private checkVideo(): VideoInput | undefined {
    let video: VideoInput | undefined;
    const v = this.single('video', "'video' input", true);
    if (v) {
      const owner = this.party(v.owner, 'the video owner');
      const dims = v.shape.map((d) => d.value);
      const wholeDims = dims.length === 4 && v.shape.every((d) => Number.isInteger(d.value) && d.value >= 1);
      const shapeOk = wholeDims && dims.every((d) => d <= MAX_DIMENSION);
      if (!wholeDims) {
        this.err(v.shapeSpan, `the video shape must be [N, h, w, c]: frames, height, width, channels, each a whole number from 1 to ${MAX_DIMENSION} (2^20)`, {
          expected: '[N, h, w, c], e.g. [97, 48, 48, 1]',
          found: `[${v.shape.map((d) => d.text).join(', ')}]`,
        });
      } else if (!shapeOk) {
        const names = ['frame count', 'height', 'width', 'channel count'];
        const over = v.shape.map((d, i) => ({ d, name: names[i]! })).filter((x) => x.d.value > MAX_DIMENSION);
        for (const { d, name } of over) {
          this.err(d.span, `the video's ${name}, ${d.text}, is above the limit of ${MAX_DIMENSION} (2^20) per dimension`, {
            expected: `at most ${MAX_DIMENSION}`,
            found: d.text,
          });
        }
      }
      const r = new ArgReader(v.options, 'video', v.name.span, this.diags, { words: [...VIDEO_OPTION_KEYS] });
      const range = r.keyedRange('range');
      r.finish("'range [LOW, HIGH]' (the values the frames are normalised to)");
      let rng: [number, number] = [0, 1];
      if (range) {
        if (!Number.isFinite(range[0]) || !Number.isFinite(range[1])) this.err(range[2], 'the value range must be finite', { expected: "'range [LOW, HIGH]' with finite numbers, e.g. [0, 1]", found: `[${range[0]}, ${range[1]}]` });
        else if (!(range[0] < range[1])) this.err(range[2], 'the value range must be [LOW, HIGH] with LOW < HIGH', { found: `[${range[0]}, ${range[1]}]` });
        else rng = [range[0], range[1]];
      }
      if (shapeOk && dims.reduce((a, b) => a * b, 1) >= 2 ** 31) {
        this.err(v.shapeSpan, `the video is too large: ${dims.join(' x ')} values`, { expected: 'fewer than 2^31 values' });
      } else if (owner && shapeOk) {
        video = { name: v.name.text, owner, frames: dims[0]!, height: dims[1]!, width: dims[2]!, channels: dims[3]!, range: rng };
      }
    }
    return video;
  }

  /** `select …`: oblivious, a public list or every k-th frame. */
  private checkSelection(video: VideoInput | undefined): FrameSelection | undefined {
    let selection: FrameSelection | undefined;
    const s = this.single('select', "'select' statement", true);
    if (s) {
      if (s.mode === 'oblivious') {
        const chooser = this.party(s.chooser, 'who chooses the frames');
        const n = s.count.value;
        if (!Number.isInteger(n) || n < 1) this.err(s.count.span, 'the number of selected frames must be a positive whole number', { found: s.count.text });
        else if (video && n > video.frames) {
          this.err(s.count.span, `cannot select ${n} frames from a video of ${video.frames}`, { expected: `at most ${video.frames}`, found: String(n) });
        } else if (chooser) selection = { kind: 'oblivious', count: n, chooser };
      } else if (s.mode === 'public-list') {
        const idx: number[] = [];
        if (s.indices.length === 0) this.err(s.listSpan, 'the list of selected frames is empty', { expected: 'at least one frame index' });
        for (const i of s.indices) {
          if (!Number.isInteger(i.value) || i.value < 0 || (video && i.value >= video.frames)) {
            this.err(i.span, 'frame index out of range', { expected: video ? `a whole number from 0 to ${video.frames - 1}` : 'a whole number from 0', found: i.text });
          } else {
            if (idx.includes(i.value)) this.diags.push(warningAt(i.span, `frame ${i.value} is selected twice; it will count twice in the aggregation`));
            idx.push(i.value);
          }
        }
        if (idx.length === s.indices.length && idx.length > 0) selection = { kind: 'public', indices: idx };
      } else {
        const k = s.step.value;
        if (!Number.isInteger(k) || k < 1) this.err(s.step.span, 'the step must be a positive whole number', { found: s.step.text });
        else if (video) selection = { kind: 'public', indices: Array.from({ length: Math.ceil(video.frames / k) }, (_, i) => i * k) };
      }
    }
    return selection;
  }

  /** `model NAME by PARTY { … }` or `from "file"`: the layers, their shapes and sizes. */
  private checkModel(video: VideoInput | undefined, selection: FrameSelection | undefined): Model | undefined {
    let model: Model | undefined;
    const m = this.single('model', "'model'", true);
    if (m) {
      const owner = this.party(m.owner, 'the model owner');
      const inputShape = video ? [video.height, video.width, video.channels] : undefined;
      let layers: Layer[] | undefined;
      let source: Model['source'] = { kind: 'inline' };
      const errorsBefore = this.diags.filter((d) => d.severity === 'error').length;
      if (m.layers) {
        if (m.layers.length === 0) this.err(m.span, `model '${m.name.text}' has no layers`);
        else if (inputShape) layers = checkLayers(m.layers, inputShape, this.diags);
      } else if (m.file && inputShape) {
        source = { kind: 'file', path: m.file.path };
        layers = modelFileLayers(m.file, this.modelFile, inputShape, this.diags);
      }
      const layersOk = this.diags.filter((d) => d.severity === 'error').length === errorsBefore;
      if (layers && layers.length > 0 && layersOk && owner && inputShape) {
        const outputShape = layers[layers.length - 1]!.outShape;
        model = { name: m.name.text, owner, layers, inputShape, outputShape, source };
        if (outputShape.length !== 1 || outputShape[0]! < 2) {
          this.err(m.layers?.[m.layers.length - 1]?.span ?? m.span, 'the model must end in one score per class', {
            expected: '[C] with C >= 2 classes (e.g. a final dense layer)',
            found: formatShape(outputShape),
          });
          model = undefined;
        }
      }
      // MP-SPDZ addresses memory with 64-bit registers but allocates every tensor up front:
      // anything near 2^31 values is far beyond what a run can hold, and a sign of a typo
      const limit = 2 ** 31;
      const n = selection?.kind === 'oblivious' ? selection.count : selection?.indices.length ?? 1;
      const big = model?.layers.find((l) => product(l.outShape) * n >= limit || parameterCountOf(l) >= limit);
      if (big && model) {
        const params = parameterCountOf(big);
        const what =
          params >= limit
            ? `${params.toLocaleString('en-US')} parameters (${layerParams(big).map((t) => `${t.name} ${formatShape(t.shape)}`).join(', ')})`
            : `${formatShape(big.outShape)} per frame for ${n} frames`;
        this.err(big.span ?? m.span, `layer '${big.name}' is too large: ${what}`, { expected: `fewer than 2^31 values per tensor` });
        model = undefined;
      }
      if (video && owner && video.owner.name === owner.name) {
        this.diags.push(warningAt(m.owner.span, `'${owner.name}' owns both the video and the model: nothing is private from anyone`));
      }
    }
    return model;
  }

  /** `classify each frame with MODEL, …`: the per-frame output. */
  private checkClassify(): FrameOutput {
    let frameOutput: FrameOutput = 'relu_normalized';
    const c = this.single('classify', "'classify' statement", true);
    // the first model statement (a second one is reported by checkModel)
    const m = this.of('model')[0];
    if (c) {
      if (m && c.model.text !== m.name.text) {
        this.err(c.model.span, `unknown model '${c.model.text}'${didYouMean(c.model.text, [m.name.text])}`, { expected: `'${m.name.text}'`, found: `'${c.model.text}'` });
      }
      const r = new ArgReader(c.options, 'classify', c.model.span, this.diags, { words: ['softmax', 'logits'], wordValued: ['softmax'] });
      const sm = r.keyedWord('softmax', ['relu_normalized', 'exact'] as const, undefined);
      const logits = r.word('logits');
      r.finish("', softmax relu_normalized' (default), ', softmax exact' or ', logits'");
      if (sm && logits) this.err(c.span, "choose either a softmax or 'logits', not both");
      frameOutput = logits ? 'logits' : sm === 'exact' ? 'softmax' : 'relu_normalized';
    }
    return frameOutput;
  }

  /** `LABEL = argmax(sum|votes)`. */
  private checkAggregation(): Aggregation {
    let aggregation: Aggregation = { kind: 'sum', labelName: 'label' };
    const b = this.single('binding', "aggregation such as 'label = argmax(sum)'", false);
    if (b) {
      if (b.func.text !== 'argmax') this.err(b.func.span, `unknown aggregation function '${b.func.text}'${didYouMean(b.func.text, ['argmax'])}`, { expected: 'argmax', found: `'${b.func.text}'` });
      if (b.arg.text !== 'sum' && b.arg.text !== 'votes') {
        this.err(b.arg.span, `unknown aggregate '${b.arg.text}'${didYouMean(b.arg.text, ['sum', 'votes'])}`, {
          expected: "'sum' (sum of per-frame outputs, the paper's) or 'votes' (majority vote of per-frame labels)",
          found: `'${b.arg.text}'`,
        });
      } else if (b.name.text === 'sum' || b.name.text === 'votes') {
        this.err(b.name.span, `'${b.name.text}' names an aggregate; call the label something else`);
      } else aggregation = { kind: b.arg.text, labelName: b.name.text };
    }
    return aggregation;
  }

  /** `reveal VALUE to PARTY, …` (by default the label to the video's owner). */
  private checkReveals(aggregation: Aggregation, video: VideoInput | undefined): Reveal[] {
    const reveals: Reveal[] = [];
    for (const r of this.of('reveal')) {
      const to = r.parties.map((p) => this.party(p, 'who receives the output')).filter((p): p is Party => !!p);
      let value: Reveal['value'] | undefined;
      if (r.value.text === aggregation.labelName) value = 'label';
      else if (r.value.text === aggregation.kind) value = 'scores';
      else {
        this.err(r.value.span, `unknown output '${r.value.text}'${didYouMean(r.value.text, [aggregation.labelName, aggregation.kind])}`, {
          expected: `'${aggregation.labelName}' (the label) or '${aggregation.kind}' (the aggregated per-class vector)`,
          found: `'${r.value.text}'`,
        });
      }
      if (value === 'scores') this.diags.push(warningAt(r.value.span, `revealing '${r.value.text}' opens the aggregated per-class vector, not just the label`));
      if (value && to.length === r.parties.length) {
        const dup = reveals.find((x) => x.value === value);
        if (dup) this.err(r.span, `'${r.value.text}' is revealed twice; list every receiver in one 'reveal' statement`);
        else reveals.push({ value, name: r.value.text, to });
      }
    }
    if (this.of('reveal').length === 0 && video) reveals.push({ value: 'label', name: aggregation.labelName, to: [video.owner] });
    return reveals;
  }
}

/** The model file's layers checked as if written inline, once its frame size matches the video's. */
function modelFileLayers(
  named: NonNullable<A.ModelStatement['file']>,
  resolved: A.ModelFileLayers | undefined,
  inputShape: Shape,
  diags: Diagnostic[],
): Layer[] | undefined {
  for (const a of named.options) diags.push(errorAt(a.span, `unexpected argument '${a.text}' after the model file`, { expected: 'end of line' }));
  if (!resolved) throw new Error(`internal: the model file '${named.path}' was not read before the check (import/model-file.ts resolveModelFile)`);
  diags.push(...resolved.diagnostics);
  if (!resolved.layers) return undefined;
  const fileShape = resolved.layers.inputShape;
  if (formatShape(fileShape) !== formatShape(inputShape)) {
    diags.push(
      errorAt(named.span, `the model in '${named.path}' takes ${formatShape(fileShape)} frames, but the video's frames are ${formatShape(inputShape)}`, {
        expected: formatShape(fileShape),
        found: formatShape(inputShape),
        hints: ['change the video statement to the model\'s frame size (prepare-video resizes frames)'],
      }),
    );
    return undefined;
  }
  return checkLayers(resolved.layers.statements, inputShape, diags);
}

const missingHelp: Partial<Record<A.Statement['kind'], string>> = {
  video: "add e.g. 'video frames: [97, 48, 48, 1] from alice'",
  select: "add e.g. 'select 7 frames by bob' (oblivious) or 'select public every 15'",
  model: "add e.g. 'model cnn by bob { ... }' or 'model cnn by bob from \"model.json\"'",
  classify: "add e.g. 'classify each frame with cnn, softmax relu_normalized'",
};

// Long: the target statement's options read, the overrides applied, then what protocol, ring,
// precision and output require of one another: one place, so an override gets the statement's messages.
function checkTarget(
  t: A.TargetStatement | undefined,
  parties: Map<string, Party>,
  output: { frameOutput: FrameOutput; classes: number | undefined },
  diags: Diagnostic[],
  overrides: TargetSettings,
): Target | undefined {
  const { frameOutput, classes } = output;
  const err = (span: Span | undefined, msg: string, extra: Partial<Diagnostic> = {}) => diags.push(errorAt(span, msg, extra));
  let protocol: ProtocolName = 'replicated-ring';
  let ringBits = 64;
  let f = 16;
  let k = 31;
  let threads = 1;
  let truncation: Truncation | undefined;
  let budget: number | undefined;
  let bounds: ValueBound[] = [];
  let spanOf: Partial<Record<string, Span>> = {};
  if (t) {
    if (t.backend.text !== 'mp-spdz') err(t.backend.span, `unknown target '${t.backend.text}'${didYouMean(t.backend.text, ['mp-spdz'])}`, { expected: 'mp-spdz', found: `'${t.backend.text}'` });
    const r = new ArgReader(t.options, 'target', t.backend.span, diags, { words: [...TARGET_OPTION_KEYS], wordValued: ['protocol', 'trunc', 'bound'] });
    // first: a layer named like a key ('ring') must not be taken for that key
    bounds = r.keyedNamedNumbers('bound', "'bound conv2d_1 4': every value of conv2d_1 lies in (-4, 4)", TARGET_OPTION_KEYS).map((b) => ({ layer: b.name, value: b.value, span: b.nameSpan }));
    protocol = r.keyedWord('protocol', PROTOCOL_NAMES, 'replicated-ring')!;
    ringBits = r.keyedInt('ring', 64, { min: 8, max: 256 })!;
    const prec = r.keyedPair('precision');
    if (prec) {
      [f, k] = [prec[0], prec[1]];
      spanOf.precision = prec[2];
    }
    threads = r.keyedInt('threads', 1, { min: 1, max: 64 })!;
    truncation = r.keyedWord('trunc', ['probabilistic', 'nearest'] as const, undefined);
    budget = r.keyedInt('budget', undefined, { min: 1, max: 100_000_000 });
    r.finish('protocol NAME, ring BITS, precision F K, threads N, trunc probabilistic|nearest, budget N, bound LAYER B');
    const at = (key: string) => t.options.find((a) => a.kind === 'word' && a.text === key)?.span ?? t.backend.span;
    spanOf = { ...spanOf, ring: at('ring'), trunc: at('trunc'), protocol: at('protocol') };
  }
  if (overrides.protocol) protocol = overrides.protocol;
  if (overrides.budget !== undefined) budget = overrides.budget;
  // an overridden value is not in the file: its messages point at the whole target statement (if any) and say so
  if (overrides.ringBits !== undefined) [ringBits, spanOf.ring] = [overrides.ringBits, t?.span];
  if (overrides.precision) [f, k, spanOf.precision] = [overrides.precision.f, overrides.precision.k, t?.span];
  const overridden = overrides.ringBits !== undefined || overrides.precision ? { hints: ["the precision or ring is the caller's override, not the target statement's"] } : {};
  const profile = PROTOCOLS[protocol];
  if (!(f >= 1 && f < k)) err(spanOf.precision ?? t?.span, 'sfix precision needs 0 < f < k', { expected: 'precision F K with 0 < F < K, e.g. precision 16 31', found: `precision ${f} ${k}`, ...overridden });
  if (productBits({ f, k }) >= ringBits) {
    // the same integer bits with fewer fractional ones, where that leaves any
    const intBits = k - f;
    const fewerF = Math.floor((ringBits - 1 - intBits) / 2);
    err(spanOf.precision ?? spanOf.ring ?? t?.span, `precision ${f} ${k} does not fit ${domainPhrase(profile, ringBits)}: a fixed-point product needs k + f < ring bits`, {
      expected: fewerF >= 1 ? `precision ${fewerF} ${fewerF + intBits} (the same ${intBits} integer bits), or a larger ring` : 'a larger ring',
      found: `k + f = ${k + f}`,
      ...overridden,
    });
  } else if (frameOutput === 'softmax' && 2 * k > ringBits) {
    // the exponentials and the division of MP-SPDZ's softmax work on 2k bits
    err(spanOf.precision ?? spanOf.ring ?? t?.span, `precision ${f} ${k} does not fit ${domainPhrase(profile, ringBits)} for 'softmax exact': MP-SPDZ's softmax needs 2k <= ring bits`, {
      expected: `k <= ${Math.floor(ringBits / 2)}, a larger ring, or 'softmax relu_normalized'`,
      found: `k = ${k}, 2k = ${2 * k}`,
      ...overridden,
    });
  } else if (frameOutput !== 'logits' && classes !== undefined && softmaxSumBits({ k, classes, exactSoftmax: frameOutput === 'softmax' }) + 1 >= ringBits) {
    // the per-frame softmax sums its C values as an integer of softmaxSumBits, which Norm
    // scales with one bit more: beyond the ring, the sum would wrap (ir/ring-fit.ts)
    const sumBits = softmaxSumBits({ k, classes, exactSoftmax: frameOutput === 'softmax' });
    const fitK = ringBits - 2 - (sumBits - k);
    err(spanOf.precision ?? spanOf.ring ?? t?.span, `precision ${f} ${k} does not fit ${domainPhrase(profile, ringBits)} for the softmax of ${classes} classes: a frame's sum needs ${sumBits} bits and its normalisation one more`, {
      expected: fitK > f ? `k <= ${fitK} (precision ${f} ${fitK}), or a larger ring` : 'a larger ring',
      found: `${sumBits} + 1 bits in a ${ringBits}-bit ring`,
      ...overridden,
    });
  }
  if (!builtFor(profile, ringBits) && (t || overrides.ringBits !== undefined)) diags.push(warningAt(spanOf.ring, unbuiltRingWarning(profile, ringBits)));
  for (const p of parties.values()) {
    if (p.id >= profile.parties) {
      err(p.span, `party '${p.name}' has id ${p.id}, but ${protocol} runs ${profile.parties} parties`, {
        expected: `an id from 0 to ${profile.parties - 1}`,
        found: String(p.id),
      });
    }
  }
  if (diags.some((d) => d.severity === 'error')) return undefined;
  return {
    backend: 'mp-spdz',
    protocol,
    ringBits,
    f,
    k,
    threads,
    truncation: truncation ?? profile.defaultTruncation,
    budget,
    bounds,
    optimizations: resolveOptimizations(protocol, overrides.style, overrides.optimizations),
    declared: t !== undefined,
  };
}

/** What a ring (or field values) the default build of the party program does not take needs. */
function unbuiltRingWarning(profile: ProtocolProfile, bits: number): string {
  if (profile.domain === 'field') {
    return `ring ${bits}: ${profile.name} computes in a prime field, and ${bits}-bit values need a prime of ${bits + FIELD_PRIME_EXTRA_BITS} bits; MP-SPDZ builds ${profile.binary} for primes up to 128 bits (values up to ${FIELD_BITS_BUILT}); a larger one needs 'MOD = -DGFP_MOD_SZ=...' in its CONFIG.mine before the build`;
  }
  return `ring ${bits}: MP-SPDZ builds ${profile.binary} for rings of ${profile.builtInRings.join(', ')} bits; this one needs 'MY_CFLAGS += -DRING_SIZE=${bits}' in its CONFIG.mine before the build`;
}
