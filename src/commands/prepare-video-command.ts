// `ppvc-dsl prepare-video VIDEO --pipeline P.ppvc -o FILE`: the video owner's MP-SPDZ input file
// from a real video (src/video: N frames spread over the clip, the face found in each, cropped,
// grayscale or RGB, resized to the pipeline's h x w, normalised to its range). Its options are
// simulate's too (video-options.ts). Written atomically: a failure leaves no file behind.
// Registered in cli.ts (COMMANDS).
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { progressPrinter } from './simulate-command.js';
import { checkedPipeline, pipelineFiles } from './common.js';
import { refuseInputAsOutput } from '../util/files.js';
import { prepareOptionsFor } from '../simulate/inputs.js';
import { framesSpan, videoPreparationOf, videoPreparationOptions, type VideoPreparationArgs } from './video-options.js';
import { inputAndOutput } from './options.js';

export interface PrepareVideoArgs extends VideoPreparationArgs {
  video: string;
  pipeline: string;
  out: string;
  json?: boolean;
  force?: boolean;
}

export const prepareVideoCommand: CommandModule<object, PrepareVideoArgs> = {
  command: 'prepare-video <video>',
  describe: "turn a real video into the video owner's input file for a pipeline: face crops of N frames spread over the clip, h x w, normalised to its range",
  builder: (y: Argv<object>) =>
    videoPreparationOptions(
      inputAndOutput(y, { name: 'video', describe: 'the video (any format ffmpeg reads)' }, { describe: 'the input file to write (MP-SPDZ text, one value a line); nothing is written on failure', required: true })
        .option('pipeline', { type: 'string', demandOption: true, describe: 'the .ppvc pipeline: its video statement gives N, h, w, c and the range' }),
    ) as unknown as Argv<PrepareVideoArgs>,
  handler: async (a) => {
    const json = Boolean(a.json);
    const prep = videoPreparationOf(a);
    const p = checkedPipeline(a.pipeline, json, { force: Boolean(a.force) })?.pipeline;
    if (!p) return;
    refuseInputAsOutput(a.out, a.out, [a.video, ...pipelineFiles(p)]);
    const opts = prepareOptionsFor(p, prep);
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
      preparation: prep,
      framesInVideo: prepared.framesInVideo,
      framesDecoded: prepared.framesDecoded,
      framesWithFace: prepared.framesWithFace,
      framesUsed: prepared.framesUsed,
      frameIndices: prepared.frameIndices,
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
        `faces found in ${prepared.framesWithFace} of ${prepared.framesDecoded} decoded frames${pct}; ${prepared.framesUsed} distinct frames used${framesSpan(prepared)}; ` +
        `${prepared.source.width}x${prepared.source.height}${prepared.source.fps ? ` at ${Number(prepared.source.fps.toFixed(3))} fps` : ''}; ${prepared.source.detector}; ${prepared.seconds.toFixed(1)} s\n` +
        prepared.policyNotes.map((n) => `note: ${n}\n`).join(''),
    );
  },
};
