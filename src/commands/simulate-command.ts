// `ppvc-dsl simulate <file> --video V --weights W`: the pipeline in the clear, twice: the float32
// reference and the fixed-point emulation of the generated MP-SPDZ program (src/simulate), with
// their per-frame outputs, aggregates, labels, largest difference and a per-layer range table.
// V is an MP-SPDZ input file, a real video (prepared as `prepare-video` does), or a folder of
// videos (batch: per-video labels, float/fixed agreement, accuracy against --labels or
// --label-rule). Registered in cli.ts (COMMANDS); errors are UserError
// (exit 1) or EnvironmentError (exit 2) for cli.ts's handler.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { buildPipeline } from '../compile.js';
import { type ProtocolName } from '../target/protocols.js';
import type { Pipeline } from '../ir/pipeline.js';
import type { InputPlan } from '../passes/plan-inputs.js';
import type { SimulateResult } from '../simulate/simulate.js';
import type { Rounding } from '../simulate/fixed-point.js';
import { assembleInputs, folderEntries, loadVideoValues, type VideoPreparation } from '../simulate/inputs.js';
import { readValues64 } from '../inputs/read-values.js';
import { missingPathMessage } from '../util/files.js';
import { refuseFileWithoutInput } from '../inputs/validate.js';
import { assertBoundsHold } from '../simulate/declared-bounds.js';
import { makeLabeller, parseClasses, type Labeller } from '../simulate/labels.js';
import { className, formatBatch, formatSimulation, summarise, type BatchEntry } from '../simulate/report.js';
import type { FaceDetector } from '../video/index.js';
import { checkedPipeline, checkedSeed } from './common.js';
import { ringFitOf } from '../ir/ring-fit.js';
import { fileArgument, protocolOption } from './options.js';
import { framesSpan, videoPreparationOf, videoPreparationOptions, type VideoPreparationArgs } from './video-options.js';

export interface SimulateArgs extends VideoPreparationArgs {
  file: string;
  video: string;
  weights: string;
  input?: string[];
  seed: number;
  rounding?: string;
  'fixed-only': boolean;
  labels?: string;
  'label-rule'?: string;
  classes?: string;
  protocol?: string;
  json?: boolean;
  force?: boolean;
}


/** `--input PARTY=FILE` for a party other than the video and model owners, read and checked (also the API's `inputs`). */
export function readOtherInputs(p: Pipeline, plan: InputPlan, specs: string[] | undefined, given: { video: string; weights: string }): Map<number, { path: string; values: Float64Array }> {
  const out = new Map<number, { path: string; values: Float64Array }>();
  // the files --video and --weights already give, as deploy does: a second file for a party is an error, never ignored
  const files = new Map<number, string>([
    [p.video.owner.id, `${given.video} (--video)`],
    [p.model.owner.id, `${given.weights} (--weights)`],
  ]);
  for (const spec of specs ?? []) {
    const m = /^(\w+)=(.+)$/.exec(spec);
    const party = m ? p.parties.find((x) => x.name === m[1] || String(x.id) === m[1]) : undefined;
    if (!m || !party) throw new UserError(`--input ${spec}: expected PARTY=FILE with a party name or id (${p.parties.map((x) => x.name).join(', ')})`);
    if (files.has(party.id)) throw new UserError(`--input ${spec}: party ${party.id} already has the input file ${files.get(party.id)}`);
    files.set(party.id, m[2]!);
    out.set(party.id, { path: m[2]!, values: readValues64(m[2]!) });
  }
  // checked before any video is prepared
  for (const [id, { path }] of out) refuseFileWithoutInput(p, plan, id, `--input ${p.parties.find((x) => x.id === id)!.name}=${path}`);
  return out;
}

/** Progress of a video's preparation on stderr: one updating line on a terminal, a few lines otherwise. */
export function progressPrinter(label: string, json: boolean): ((done: number, total: number) => void) & { finish(): void } {
  let last = 0;
  let printed = false;
  const tty = process.stderr.isTTY === true;
  const fn = ((done: number, total: number) => {
    if (json) return;
    const now = Date.now();
    if (now - last < (tty ? 100 : 2000) && done < total) return;
    last = now;
    printed = true;
    const msg = `${label}: frame ${done}/${total}`;
    process.stderr.write(tty ? `\r${msg}\x1b[K` : `${msg}\n`);
  }) as ((done: number, total: number) => void) & { finish(): void };
  fn.finish = () => {
    if (printed && tty && !json) process.stderr.write('\r\x1b[K');
  };
  return fn;
}

function resultJson(r: SimulateResult) {
  return {
    frames: r.fixed.frames,
    float: r.float ? { perFrame: r.float.perFrame, aggregate: r.float.aggregate, label: r.float.label, backend: r.float.backend } : undefined,
    fixed: { logits: r.fixed.logits, perFrame: r.fixed.perFrame, aggregate: r.fixed.aggregate, label: r.fixed.label, precision: r.fixed.precision },
    maxDifference: Number.isNaN(r.maxDifference) ? null : r.maxDifference,
    labelsAgree: r.labelsAgree,
    layers: r.layers,
    suggestion: r.suggestion,
    narrower: r.fixed.narrower,
    bounds: r.bounds,
    signal: r.fixed.signal,
    seconds: r.seconds,
  };
}

export const simulateCommand: CommandModule<object, SimulateArgs> = {
  command: 'simulate <file>',
  describe: 'run a pipeline in the clear on real inputs: the float reference next to a fixed-point emulation of the MP-SPDZ program, with a per-layer range analysis',
  builder: (y: Argv<object>) =>
    videoPreparationOptions(
      y
        .positional('file', fileArgument('the .ppvc pipeline'))
        .option('video', { type: 'string', demandOption: true, describe: "the video owner's MP-SPDZ input file, a video file (prepared for the pipeline), or a folder of videos (batch)" })
        .option('weights', { type: 'string', demandOption: true, describe: "the model owner's input file (selection matrix, then the weights), as export-weights / random-weights write it" })
        .option('input', { type: 'array', string: true, describe: 'PARTY=FILE for another party with inputs (repeatable)' })
        .option('seed', { type: 'number', default: 1, describe: "seed of the probabilistic truncation's coin flips: an integer from 0 to 4294967295" })
        .option('rounding', { choices: ['probabilistic', 'nearest', 'floor'], describe: "truncation after products (default: the pipeline's, from its 'trunc' or its protocol's default); floor for analysis" })
        .option('fixed-only', { type: 'boolean', default: false, describe: 'skip the float reference' })
        .option('labels', { type: 'string', describe: "CSV file 'video,label' with the true label of each video (class name or index)" })
        .option('label-rule', { choices: ['prefix'], describe: "'prefix': a video's label is its file name up to the first '-' (e.g. happy-clip.mp4)" })
        .option('classes', { type: 'string', describe: 'class names in class order, comma separated (e.g. angry,disgust,fear,happy,sad,surprise,neutral)' })
        .option('protocol', protocolOption),
      'videos: ',
    ) as unknown as Argv<SimulateArgs>,
  handler: async (a) => {
    const json = Boolean(a.json);
    if (a.labels && a['label-rule']) throw new UserError('give either --labels or --label-rule, not both');
    checkedSeed(a.seed);
    const prep = videoPreparationOf(a);
    const p = checkedPipeline(a.file, json, { protocol: a.protocol as ProtocolName | undefined, force: Boolean(a.force) })?.pipeline;
    if (!p) return;
    const plan = buildPipeline(p).inputs;
    const names = parseClasses(a.classes, p.classes);
    const labeller = a.labels ? makeLabeller({ kind: 'csv', path: a.labels }, p.classes, names) : a['label-rule'] ? makeLabeller({ kind: 'prefix' }, p.classes, names) : undefined;
    if (!existsSync(a.video)) throw new UserError(missingPathMessage(a.video, 'file or folder'));
    const weights = { path: a.weights, values: readValues64(a.weights) };
    const others = readOtherInputs(p, plan, a.input, { video: a.video, weights: a.weights });
    const simOpts = { seed: a.seed, rounding: (a.rounding ?? (p.target.truncation === 'nearest' ? 'nearest' : 'probabilistic')) as Rounding, fixedOnly: a['fixed-only'] };
    // TensorFlow.js loads only when a simulation runs (keeps every other command's start-up fast)
    const { simulate } = await import('../simulate/simulate.js');

    if (statSync(a.video).isDirectory()) {
      await runBatch(p, plan, a.video, { weights, others, prep, simOpts, json, names, labeller, simulate });
      return;
    }
    const progress = progressPrinter(`preparing ${basename(a.video)}`, json);
    const video = await loadVideoValues(a.video, p, { ...prep, onProgress: progress });
    progress.finish();
    const values = assembleInputs(p, plan, { video: { path: a.video, values: video.values }, weights, others });
    // weights that break a declared bound are refused, as run refuses them
    assertBoundsHold(p, plan, values, a.weights);
    const r = await simulate(p, plan, values, simOpts);
    // a lost signal is an error (the report names the layer and a precision that keeps it)
    if (r.fixed.signal?.lost) process.exitCode = 1;
    const truth = labeller?.labelOf(a.video);
    if (json) {
      process.stdout.write(
        JSON.stringify({ ok: true, pipeline: p.name, video: resolve(a.video), input: video.kind, preparation: video.prepared ? prep : undefined, prepared: video.prepared, truth, ...resultJson(r) }, null, 2) + '\n',
      );
      return;
    }
    const notes: string[] = [];
    if (video.prepared) {
      const pr = video.prepared;
      notes.push(`prepared the video: ${pr.framesDecoded} frames decoded, a face in ${pr.framesWithFace}, ${pr.framesUsed} used${framesSpan(pr)} (${pr.seconds.toFixed(1)} s)`);
      for (const n of pr.policyNotes) notes.push(n);
    }
    if (truth) notes.push(truth.index !== undefined ? `true label ${truth.text} (class ${truth.index})` : `no label among the classes for this video${truth.text ? ` ('${truth.text}')` : ''}`);
    process.stdout.write(formatSimulation(r, p, { source: basename(a.video), names, notes }) + '\n');
  },
};

async function runBatch(
  p: Pipeline,
  plan: InputPlan,
  folder: string,
  o: {
    weights: { path: string; values: Float64Array };
    others: Map<number, { path: string; values: Float64Array }>;
    prep: VideoPreparation;
    simOpts: { seed: number; rounding: Rounding; fixedOnly: boolean };
    json: boolean;
    names?: string[];
    labeller?: Labeller;
    simulate: typeof import('../simulate/simulate.js').simulate;
  },
): Promise<void> {
  const files = folderEntries(folder);
  const entries: BatchEntry[] = [];
  let detector: FaceDetector | undefined;
  let boundsChecked = false;
  let broken: unknown;
  try {
    for (const [i, file] of files.entries()) {
      const entry: BatchEntry = { file, truth: o.labeller?.labelOf(file) };
      entries.push(entry);
      const progress = progressPrinter(`[${i + 1}/${files.length}] ${basename(file)}`, o.json);
      try {
        if (!detector && !file.toLowerCase().endsWith('.txt')) {
          const { openFaceDetector } = await import('../video/index.js');
          // one detector for the whole batch, with the crop margin of --margin
          detector = await openFaceDetector({ margin: o.prep.margin });
        }
        const video = await loadVideoValues(file, p, { ...o.prep, detector, onProgress: progress });
        progress.finish();
        if (video.prepared) {
          entry.framesDecoded = video.prepared.framesDecoded;
          entry.framesWithFace = video.prepared.framesWithFace;
        }
        const values = assembleInputs(p, plan, { video: { path: file, values: video.values }, weights: o.weights, others: o.others });
        // the weights against the declared bounds, once (the same for every video): a
        // failure stops the batch, as it stops run
        if (!boundsChecked) {
          boundsChecked = true;
          try {
            assertBoundsHold(p, plan, values, o.weights.path);
          } catch (e) {
            broken = e;
            break;
          }
        }
        entry.result = await o.simulate(p, plan, values, o.simOpts);
        if (!o.json) process.stderr.write(`[${i + 1}/${files.length}] ${basename(file)}: label ${className(entry.result.fixed.label, o.names)}\n`);
      } catch (e) {
        progress.finish();
        // a video that cannot be used is reported and the batch goes on; the environment failing stops it
        if (!(e instanceof UserError)) throw e;
        entry.error = e.message;
        if (!o.json) process.stderr.write(`[${i + 1}/${files.length}] ${basename(file)}: ${e.message}\n`);
      }
    }
  } finally {
    await detector?.close();
  }
  if (broken) throw broken;
  const summary = summarise(entries, ringFitOf(p), p.video.range);
  if (summary.simulated === 0 || summary.signalLost > 0) process.exitCode = 1;
  if (o.json) {
    process.stdout.write(
      JSON.stringify(
        {
          ok: true,
          pipeline: p.name,
          folder: resolve(folder),
          preparation: o.prep,
          videos: entries.map((e) => ({
            file: e.file,
            truth: e.truth,
            framesDecoded: e.framesDecoded,
            framesWithFace: e.framesWithFace,
            error: e.error,
            ...(e.result ? resultJson(e.result) : {}),
          })),
          summary,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  process.stdout.write(formatBatch(entries, summary, p, { folder, names: o.names, labels: o.labeller?.describe }) + '\n');
}
