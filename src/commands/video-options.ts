// The options of a real video's preparation, defined once for `prepare-video` and `simulate` (a
// video file or a folder of videos), so both pass the same choices to the same prepareVideo
// (src/video/prepare.ts) and a crop setting that changes a label can be tried in either.
import type { Argv } from 'yargs';
import { UserError } from '../diagnostics.js';
import type { VideoPreparation } from '../simulate/inputs.js';
import type { PreparedVideo } from '../video/index.js';
import { DEFAULT_MARGIN, marginProblem } from '../video/image.js';

export interface VideoPreparationArgs {
  'no-face': string;
  length: string;
  sample: string;
  fps?: number;
  pick: string;
  margin?: number;
}

/** The options on a command's builder; `prefix` starts each description (simulate: 'videos: '). */
/** The preparation without options: prepare-video's and simulate's defaults, and calibration's. */
export const DEFAULT_PREPARATION = { noFace: 'reuse-last', length: 'trim', sample: 'spread', pick: 'prominent' } as const satisfies VideoPreparation;

export function videoPreparationOptions<T>(y: Argv<T>, prefix = ''): Argv<T & VideoPreparationArgs> {
  return (
    y
      // `--no-face skip` is an option of its own, not the negation of `--face`
      .parserConfiguration({ 'boolean-negation': false })
      .option('sample', {
        choices: ['spread', 'first'],
        default: DEFAULT_PREPARATION.sample,
        describe: `${prefix}which N frames (N: the pipeline's frame count): 'spread' the middle frame of each of N equal parts of the whole clip (its frames are counted first; with --no-face skip, of the frames with a face), 'first' the first N`,
      })
      .option('length', {
        choices: ['trim', 'pad', 'exact'],
        default: DEFAULT_PREPARATION.length,
        describe: `${prefix}fewer usable frames than N: 'trim' refuses the video, 'pad' fills up with copies of the last frame, 'exact' refuses any count but N (more than N: --sample picks N)`,
      })
      .option('fps', { type: 'number', describe: `${prefix}resample to this frame rate before sampling (default: every frame at the native rate)` })
      .option('no-face', { choices: ['reuse-last', 'skip', 'fail'], default: DEFAULT_PREPARATION.noFace, describe: `${prefix}a frame without a face: crop it with the last face box, skip it, or fail` })
      .option('pick', { choices: ['prominent', 'largest', 'most-confident'], default: DEFAULT_PREPARATION.pick, describe: `${prefix}which face of a frame with several` })
      .option('margin', { type: 'number', describe: `${prefix}margin around the detected face box, as a fraction of it (default ${DEFAULT_MARGIN}); the crop, and so the label, depends on it` }) as unknown as Argv<T & VideoPreparationArgs>
  );
}

/** The parsed options, checked, as prepareVideo's options. */
export function videoPreparationOf(a: VideoPreparationArgs): VideoPreparation {
  if (a.fps !== undefined && !(Number.isFinite(a.fps) && a.fps > 0)) throw new UserError(`--fps ${a.fps}: expected a positive number`);
  if (a.margin !== undefined && marginProblem(a.margin)) throw new UserError(`--margin ${a.margin}: expected a fraction of the face box in (-1, 10]`);
  return {
    noFace: a['no-face'] as VideoPreparation['noFace'],
    length: a.length as VideoPreparation['length'],
    sample: a.sample as VideoPreparation['sample'],
    fps: a.fps,
    pick: a.pick as VideoPreparation['pick'],
    margin: a.margin,
  };
}

/** Where the used frames lie in the video, e.g. " (frames 2 to 466 of 469, 0.07 to 15.55 s, sample 'spread')". */
export function framesSpan(p: Omit<PreparedVideo, 'values'>): string {
  const first = p.frameIndices[0];
  const last = p.frameIndices[p.frameIndices.length - 1];
  if (first === undefined || last === undefined) return '';
  const of = p.framesInVideo !== undefined ? ` of ${p.framesInVideo}` : '';
  const fps = p.source.fps;
  const at = fps ? `, ${(first / fps).toFixed(2)} to ${(last / fps).toFixed(2)} s` : '';
  return ` (frames ${first} to ${last}${of}${at}, sample '${p.sample}')`;
}
