// The inputs of a simulation: the video owner's values (an MP-SPDZ input file, or a real video
// prepared as `prepare-video` would), the model owner's file, any other party's file, checked
// against inputs.json exactly as `run` checks them.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Pipeline } from '../ir/pipeline.js';
import { frameSize } from '../ir/pipeline.js';
import { inputParty, type InputPlan, type PartyInputs } from '../passes/plan-inputs.js';
import { UserError } from '../diagnostics.js';
import { validatePartyInput } from '../inputs/validate.js';
import { looksLikeValues, readValues64 } from '../inputs/read-values.js';
import type { FaceDetector, PrepareOptions, PreparedVideo } from '../video/index.js';
import { statInput } from '../util/files.js';

/** File extensions a folder scan treats as videos (anything ffmpeg reads would do; these are the usual ones). */
export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.avi', '.mkv', '.webm', '.mpg', '.mpeg', '.wmv', '.flv', '.3gp', '.ogv', '.gif'];

export type VideoPreparation = Pick<PrepareOptions, 'noFace' | 'length' | 'sample' | 'fps' | 'pick' | 'margin'>;

export interface VideoValues {
  values: Float64Array;
  /** 'values' for an MP-SPDZ input file, 'video' for a prepared video. */
  kind: 'values' | 'video';
  prepared?: Omit<PreparedVideo, 'values'>;
}

/** Whether a file is an MP-SPDZ text input (numbers only in its first 64 KiB) rather than a video. */
export function isValuesFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(65536);
    const got = readSync(fd, head, 0, head.length, 0);
    return got > 0 && looksLikeValues(head.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

/** The pipeline's video shape as prepareVideo options. */
export function prepareOptionsFor(p: Pipeline, prep: VideoPreparation): PrepareOptions {
  const v = p.video;
  if (v.channels !== 1 && v.channels !== 3) {
    throw new UserError(`video '${v.name}' has ${v.channels} channels: a real video can be prepared for 1 (grayscale) or 3 (RGB) channels only`);
  }
  return { frames: v.frames, height: v.height, width: v.width, channels: v.channels, range: v.range, ...prep };
}

/** The video owner's values from an input file or a real video (then prepared for the pipeline). */
export async function loadVideoValues(
  path: string,
  p: Pipeline,
  prep: VideoPreparation & { detector?: FaceDetector; onProgress?: (done: number, total: number) => void },
): Promise<VideoValues> {
  const st = statInput(path);
  if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected a video or an input file`);
  // an input file with one bad token is still an input file: its own message, not ffmpeg's
  if (extname(path).toLowerCase() === '.txt' || isValuesFile(path)) return { values: readValues64(path), kind: 'values' };
  const { prepareVideo } = await import('../video/index.js');
  const { values, ...prepared } = await prepareVideo(path, { ...prepareOptionsFor(p, prep), detector: prep.detector, onProgress: prep.onProgress });
  // the file prepare-video writes holds each float32 exactly (formatValues), so this is what MP-SPDZ reads
  return { values: Float64Array.from(values), kind: 'video', prepared };
}

/** The videos (and input files, *.txt) of a folder, sorted by name; not recursive. */
export function folderEntries(dir: string): string[] {
  const names = readdirSync(dir).filter((name) => {
    const ext = extname(name).toLowerCase();
    if (!VIDEO_EXTENSIONS.includes(ext) && ext !== '.txt') return false;
    try {
      return statSync(join(dir, name)).isFile();
    } catch {
      return false;
    }
  });
  if (names.length === 0) {
    throw new UserError(`${dir}: no videos (${VIDEO_EXTENSIONS.join(' ')}) or input files (.txt) in this folder`);
  }
  return names.sort().map((n) => join(dir, n));
}

const describeTensors = (party: PartyInputs, skip?: string) =>
  party.tensors
    .filter((t) => t.name !== skip)
    .map((t) => `${t.name} [${t.shape.join(', ')}]`)
    .slice(0, 4)
    .join(', ') + (party.tensors.length > 4 ? `, ... (${party.tensors.length} tensors)` : '');

export interface InputFiles {
  video: { path: string; values: Float64Array };
  weights: { path: string; values: Float64Array };
  /** Other parties' files (a chooser who does not own the model), by party id. */
  others?: Map<number, { path: string; values: Float64Array }>;
}

/**
 * Every party's whole input file, in the order of inputs.json, checked like `run` checks them
 * (element counts, values sfix can hold, the video's range, one 1 per selection row). When the
 * video owner's file also holds the model (one party owns both, or emulate.x reads every input
 * from party 0), it is the video followed by the weights file.
 */
export function assembleInputs(p: Pipeline, plan: InputPlan, files: InputFiles): Map<number, Float64Array> {
  const videoParty = inputParty(p, p.video.owner.id);
  const modelParty = inputParty(p, p.model.owner.id);
  const videoElements = p.video.frames * frameSize(p.video);
  if (files.video.values.length !== videoElements) {
    const v = p.video;
    throw new UserError({
      severity: 'error',
      message: `${files.video.path}: ${files.video.values.length} values, but video '${v.name}' [${v.frames}, ${v.height}, ${v.width}, ${v.channels}] has ${videoElements}`,
      expected: `${videoElements} values, frame-major then row-major [N, h, w, c]`,
      found: `${files.video.values.length} values`,
    });
  }
  const out = new Map<number, Float64Array>();
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    let values: Float64Array;
    let path: string;
    if (party.party === videoParty && party.party === modelParty) {
      const want = party.elements - videoElements;
      if (files.weights.values.length !== want) {
        throw new UserError({
          severity: 'error',
          message: `${files.weights.path}: ${files.weights.values.length} values, but the model owner's file of party ${party.party} (${party.name}) must hold ${want} after the video`,
          expected: `${want} values: ${describeTensors(party, 'video')}`,
          found: `${files.weights.values.length} values`,
        });
      }
      values = new Float64Array(party.elements);
      values.set(files.video.values, 0);
      values.set(files.weights.values, videoElements);
      path = `${files.video.path} + ${files.weights.path}`;
    } else if (party.party === videoParty) {
      values = files.video.values;
      path = files.video.path;
    } else if (party.party === modelParty) {
      values = files.weights.values;
      path = files.weights.path;
      if (values.length !== party.elements) {
        throw new UserError({
          severity: 'error',
          message: `${path}: ${values.length} values, but the model owner ${party.name} (party ${party.party}) must provide ${party.elements}`,
          expected: `${party.elements} values: ${describeTensors(party)}`,
          found: `${values.length} values`,
          hints: ['write it with `ppvc-dsl export-weights` or `ppvc-dsl random-weights` for this pipeline'],
        });
      }
    } else {
      const other = files.others?.get(party.party);
      if (!other) {
        throw new UserError(`party ${party.party} (${party.name}) provides ${party.tensors.map((t) => t.name).join(', ')}: give its file with --input ${party.name}=FILE`);
      }
      values = other.values;
      path = other.path;
    }
    validatePartyInput(path, party, values instanceof Float32Array ? values : Float32Array.from(values), p.target);
    out.set(party.party, values);
  }
  return out;
}

/** The file name without its extension. */
export function stem(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}
