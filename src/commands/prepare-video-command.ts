// `ppvc-dsl prepare-video VIDEO --pipeline P.ppvc -o FILE`: the video owner's MP-SPDZ input file
// from a real video (src/video: decode, find the face in every frame, crop, grayscale or RGB,
// resize to the pipeline's h x w, normalise to its range, N frames). Written atomically: a
// failure leaves no file behind. Registered in cli.ts with `.command(prepareVideoCommand)`.
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { progressPrinter } from './simulate-command.js';
import { checkedPipeline, pipelineFiles } from './common.js';
import { refuseInputAsOutput } from '../util/files.js';
import { prepareOptionsFor } from '../simulate/inputs.js';
import type { FacePick } from '../video/index.js';

export interface PrepareVideoArgs {
  video: string;
  pipeline: string;
  out: string;
  'no-face': string;
  length: string;
  fps?: number;
  pick: string;
  margin?: number;
  json?: boolean;
}

export const prepareVideoCommand: CommandModule<object, PrepareVideoArgs> = {
  command: 'prepare-video <video>',
  describe: "turn a real video into the video owner's input file for a pipeline: face crops of its N frames, h x w, normalised to its range",
  builder: (y: Argv<object>) =>
    y
      // `--no-face skip` is an option of its own, not the negation of `--face`
      .parserConfiguration({ 'boolean-negation': false })
      .positional('video', { type: 'string', demandOption: true, describe: 'the video (any format ffmpeg reads)' })
      .option('pipeline', { type: 'string', demandOption: true, describe: 'the .ppvc pipeline: its video statement gives N, h, w, c and the range' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the input file to write (MP-SPDZ text, one value a line)' })
      .option('no-face', { choices: ['reuse-last', 'skip', 'fail'], default: 'reuse-last', describe: 'a frame without a face: crop it with the last face box, skip it, or fail' })
      .option('length', { choices: ['pad', 'trim', 'exact'], default: 'pad', describe: "fewer usable frames than N: 'pad' repeats the last; 'trim' and 'exact' fail (more: 'exact' fails, the others keep the first N)" })
      .option('fps', { type: 'number', describe: 'sample the video at this frame rate (default: every frame)' })
      .option('pick', { choices: ['prominent', 'largest', 'most-confident'], default: 'prominent', describe: 'which face of a frame with several' })
      .option('margin', { type: 'number', describe: 'margin around the detected face box, as a fraction of it (default 0.4)' }) as unknown as Argv<PrepareVideoArgs>,
  handler: async (a) => {
    const json = Boolean(a.json);
    for (const k of ['video', 'pipeline', 'out', 'no-face', 'length', 'fps', 'pick', 'margin'] as const) {
      if (Array.isArray(a[k])) throw new UserError(`--${k} is given more than once`);
    }
    if (a.fps !== undefined && !(Number.isFinite(a.fps) && a.fps > 0)) throw new UserError(`--fps ${a.fps}: expected a positive number`);
    const p = checkedPipeline(a.pipeline, json)?.pipeline;
    if (!p) return;
    refuseInputAsOutput(a.out, a.out, [a.video, ...pipelineFiles(p)]);
    const opts = prepareOptionsFor(p, {
      noFace: a['no-face'] as 'reuse-last' | 'skip' | 'fail',
      length: a.length as 'pad' | 'trim' | 'exact',
      fps: a.fps,
      pick: a.pick as FacePick,
      margin: a.margin,
    });
    const { prepareVideo, writePreparedVideo } = await import('../video/index.js');
    const progress = progressPrinter(`preparing ${a.video}`, json);
    const prepared = await prepareVideo(a.video, { ...opts, onProgress: progress });
    progress.finish();
    writePreparedVideo(a.out, prepared);
    const v = p.video;
    const summary = {
      ok: true,
      video: resolve(a.video),
      out: resolve(a.out),
      pipeline: p.name,
      shape: [v.frames, v.height, v.width, v.channels],
      range: v.range,
      values: prepared.values.length,
      framesDecoded: prepared.framesDecoded,
      framesWithFace: prepared.framesWithFace,
      framesUsed: prepared.framesUsed,
      notes: prepared.policyNotes,
      source: prepared.source,
      seconds: prepared.seconds,
    };
    if (json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return;
    }
    const pct = prepared.framesDecoded ? ` (${((prepared.framesWithFace / prepared.framesDecoded) * 100).toFixed(0)}%)` : '';
    process.stdout.write(
      `wrote ${a.out}: ${prepared.values.length} values, ${v.frames} frames of ${v.height}x${v.width}x${v.channels} in [${v.range[0]}, ${v.range[1]}] for pipeline ${p.name}\n` +
        `faces found in ${prepared.framesWithFace} of ${prepared.framesDecoded} decoded frames${pct}; ${prepared.framesUsed} distinct frames used; ` +
        `${prepared.source.width}x${prepared.source.height}${prepared.source.fps ? ` at ${Number(prepared.source.fps.toFixed(3))} fps` : ''}; ${prepared.source.detector}; ${prepared.seconds.toFixed(1)} s\n` +
        prepared.policyNotes.map((n) => `note: ${n}\n`).join(''),
    );
  },
};
