// `ppvc-dsl random-weights FILE -o OUT`: a model owner's input file with random weights at a
// trained model's scales (inputs/random-inputs.ts), and with --video-out a random video.
// Registered in cli.ts (COMMANDS).
import { resolve } from 'node:path';
import { UserError, diagnosticToJson } from '../diagnostics.js';
import { randomVideo } from '../inputs/random-inputs.js';
import { buildPipeline } from '../compile.js';
import { refuseInputAsOutput } from '../util/files.js';
import { checked, checkedSeed, pipelineFiles, printBoundSuggestions, printCalibration, writeJson } from './common.js';
import { calibrate, calibrationOption, calibrationRequest } from './calibration.js';
import { randomModelOwnerValues } from './stages.js';
import { type Command, inputAndOutput, protocolOption } from './options.js';

export const randomWeightsCommand: Command = {
  command: 'random-weights <file>',
  describe: "write a model owner's input file with random weights at a trained model's scales (He-uniform per layer kind, LeCun for the output layer, batch normalisation as identity; fixed seed) and a frame selection, for tests and benchmarks",
  builder: (y) =>
    inputAndOutput(y, { name: 'file' }, { describe: 'output file', required: true })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the random weights: an integer from 0 to 4294967295' })
      .option('frames', { type: 'string', default: 'even', describe: "selection: 'even' (evenly spaced), 'every:K' (every K-th from 0), or a list '0,15,30'" })
      .option('protocol', protocolOption)
      .option('calibration', calibrationOption)
      .option('video-out', { type: 'string', describe: "also write the video owner's input file: a random video in the pipeline's declared range (from the same seed), for a first run without a clip" }),
  handler: async (a) => {
    const seed = checkedSeed(a.seed);
    const calibration = calibrationRequest(a.calibration);
    const r = checked(a);
    if (!r) return;
    const p = r.pipeline;
    const videoOut = a['video-out'] as string | undefined;
    if (videoOut !== undefined && p.video.owner.id === p.model.owner.id) {
      throw new UserError(`--video-out: ${p.video.owner.name} owns both the video and the model, so ${a.out} already holds a random video (before the weights)`);
    }
    const artifacts = buildPipeline(p);
    const { party, values, frames, bounds: suggestions } = await randomModelOwnerValues(p, artifacts.inputs, seed, a.frames as string);
    const { formatValues } = await import('../inputs/text-format.js');
    const { writeFileAtomic } = await import('../util/files.js');
    for (const out of [a.out as string, ...(videoOut !== undefined ? [videoOut] : [])]) refuseInputAsOutput(out, out, pipelineFiles(p));
    writeFileAtomic(a.out as string, formatValues(values));
    const video = videoOut !== undefined ? randomVideo(p, seed) : undefined;
    if (video) writeFileAtomic(videoOut!, formatValues(video));
    const calibrated = calibration && (await calibrate(artifacts, values, { videos: calibration, weightsSource: `random weights (seed ${seed})` }));
    if (a.json) {
      const videoJson = video ? { videoOut: resolve(videoOut!), videoValues: video.length } : {};
      writeJson({ ok: true, out: resolve(a.out as string), values: values.length, party, seed, frames, bounds: suggestions, ...videoJson, calibration: calibrated, diagnostics: r.diagnostics.map(diagnosticToJson) });
      return;
    }
    process.stdout.write(`wrote ${values.length} values for party ${party} to ${a.out}\n`);
    if (video) process.stdout.write(`wrote ${video.length} values for party ${p.video.owner.id} (a random video in [${p.video.range.join(', ')}]) to ${videoOut}\n`);
    printBoundSuggestions(suggestions, p);
    if (calibrated) printCalibration(calibrated);
  },
};
