// From a real video to the video owner's MP-SPDZ input: choose N frames (spread over the clip,
// or its first N), decode them (ffmpeg), find the face in each (Human's BlazeFace), crop it with
// a margin, grayscale or RGB, resize to the pipeline's h x w, normalise to its range, and lay the
// N frames out frame-major, row-major [N, h, w, c]. Fewer than N is refused unless padding is
// asked for: a silently padded video would look prepared while holding a fraction of the clip.
import { UserError } from '../diagnostics.js';
import { formatValues } from '../inputs/text-format.js';
import { writeFileAtomic } from '../util/files.js';
import { openFaceDetector, type FaceDetector } from './detector.js';
import { countFrames, decodeFrames, probeVideo, type VideoInfo } from './ffmpeg.js';
import { centreBox, DEFAULT_MARGIN, faceInput, fitLength, marginProblem, pickFace, spreadIndices, type Box, type FacePick } from './image.js';

/** Which frames become the pipeline's N (see PrepareOptions.sample). */
export type FrameSampling = 'spread' | 'first';

export interface PrepareOptions {
  /** The pipeline's [N, h, w, c]. */
  frames: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Normalise pixel values to this range, e.g. [0, 1] (seed) or [-1, 1] (Human's emotion model). */
  range: [number, number];
  /** A frame where no face is found: 'reuse-last' crops it with the last face box (the centre
   *  square before any face), 'skip' drops it, 'fail' is an error. */
  noFace: 'reuse-last' | 'skip' | 'fail';
  /** N versus the usable frame count: 'pad' repeats the last frame if there are fewer, 'trim'
   *  refuses fewer (nothing is padded unless asked for); both keep N of more (`sample` says
   *  which). 'exact' requires exactly N. */
  length: 'pad' | 'trim' | 'exact';
  /** Which N frames: 'spread' (default) the middle frame of each of N equal parts of the clip,
   *  found by counting its frames first (with noFace 'skip': of the frames with a face, so every
   *  frame is examined); 'first' the first N usable frames (decoding stops there). Both count
   *  frames after the fps filter; with N or fewer frames both take all of them. */
  sample?: FrameSampling;
  /** Sample the video at this rate (ffmpeg's fps filter); default: every frame at the native rate. */
  fps?: number;
  /** Box margin as a fraction of the detected face box; default 0.4 (Human's `face.detector.scale` 1.4). */
  margin?: number;
  /** Called after each decoded frame; `total` is the count of frames to examine ('spread'), else an estimate from the container's duration. */
  onProgress?: (done: number, total: number) => void;
  /** With several faces in a frame: 'prominent' (default: the largest confidence x box area),
   *  'largest' (the biggest box: the choice behind ../shared/media/human-crops) or
   *  'most-confident' (Human's own `maxDetected: 1` choice). See pickFace. */
  pick?: FacePick;
  /** A detector to reuse across videos (its margin must match); default: one opened and closed per call. */
  detector?: FaceDetector;
}

export interface PreparedVideo {
  /** N * h * w * c values, frame-major then row-major, channels last. */
  values: Float32Array;
  /** Frames read from ffmpeg and examined for a face (fewer than the video has when 'first'
   *  stops early or 'spread' picks N of more). */
  framesDecoded: number;
  /** The video's frame count after the fps filter, where known ('spread' counts it; otherwise
   *  known when every frame was examined). */
  framesInVideo?: number;
  /** Decoded frames in which a face was found. */
  framesWithFace: number;
  /** Distinct decoded frames in the output (N minus padding). */
  framesUsed: number;
  /** The index (after the fps filter) of each distinct frame in the output, in output order. */
  frameIndices: number[];
  /** How the frames were chosen. */
  sample: FrameSampling;
  /** What the no-face, sampling and length policies did, in words. */
  policyNotes: string[];
  /** Wall time of the whole preparation. */
  seconds: number;
  /** The decoded frame size and the detector used, for reports. */
  source: { width: number; height: number; fps?: number; detector: string };
}

/** Frames in flight between the decoder and the detector worker. */
const PIPELINE_DEPTH = 6;

/** Which frames to decode and examine, decided before any face detection. */
interface FramePlan {
  sample: FrameSampling;
  /** Only these frames (ascending indices after the fps filter); undefined: every frame in order. */
  select?: number[];
  /** Stop decoding once this many usable frames are collected. */
  stopAt: number;
  /** The video's frame count after the fps filter, when counted. */
  total?: number;
}

/** What examining the decoded frames gave. */
interface Examined {
  used: { index: number; values: Float32Array }[];
  decoded: number;
  withFace: number;
  reused: number;
  centred: number;
  skipped: number;
  stoppedEarly: boolean;
}

export async function prepareVideo(path: string, opts: PrepareOptions): Promise<PreparedVideo> {
  const started = performance.now();
  checkOptions(opts);
  const margin = opts.margin ?? DEFAULT_MARGIN;
  const info = await probeVideo(path); // missing file / not a video: UserError
  if (opts.detector && Math.abs(opts.detector.margin - margin) > 1e-12) {
    throw new RangeError(`the given face detector uses margin ${opts.detector.margin}, the options ask for ${margin}`);
  }
  // counted and checked before the detector starts: a video too short is refused at once
  const plan = await planFrames(path, info, opts);
  const detector = opts.detector ?? (await openFaceDetector({ margin }));
  let seen: Examined;
  try {
    seen = await examineFrames(path, info, detector, opts, plan);
  } finally {
    if (!opts.detector) await detector.close();
  }
  const result = fitFrames(path, info, opts, plan, seen);
  return { ...result, seconds: (performance.now() - started) / 1000, source: { width: info.width, height: info.height, fps: opts.fps ?? info.fps, detector: detector.description } };
}

async function planFrames(path: string, info: VideoInfo, opts: PrepareOptions): Promise<FramePlan> {
  const sample = opts.sample ?? 'spread';
  if (sample === 'first') return { sample, stopAt: opts.length === 'exact' ? Infinity : opts.frames };
  // which frames have a face is known only after detection: examine all, spread over those afterwards
  if (opts.noFace === 'skip') return { sample, stopAt: Infinity };
  const total = await countFrames(path, { fps: opts.fps });
  if (total === 0) throw noFrames(path, opts);
  // every frame is usable under 'reuse-last' and 'fail' (which stops at a frame without a face)
  checkFrameCount(path, info, opts, total, { total });
  // N or fewer frames: all of them, without a select expression naming each
  return { sample, select: total > opts.frames ? spreadIndices(total, opts.frames) : undefined, stopAt: Infinity, total };
}

/** Decodes the planned frames and crops each one's face; detection runs in the worker while the next frames are decoded. */
async function examineFrames(path: string, info: VideoInfo, detector: FaceDetector, opts: PrepareOptions, plan: FramePlan): Promise<Examined> {
  const shape = { height: opts.height, width: opts.width, channels: opts.channels, range: opts.range } as const;
  const { width: W, height: H } = info;
  const rate = opts.fps ?? info.fps;
  const estimate = plan.select?.length ?? plan.total ?? (info.duration !== undefined ? Math.max(1, Math.round(info.duration * (rate ?? 25))) : opts.frames);
  const seen: Examined = { used: [], decoded: 0, withFace: 0, reused: 0, centred: 0, skipped: 0, stoppedEarly: false };
  let lastBox: Box | undefined;

  // results are consumed in decoding order
  const inFlight: { index: number; frame: Uint8Array; face: ReturnType<FaceDetector['detect']> }[] = [];
  const consume = async (): Promise<void> => {
    const { index, frame, face: pending } = inFlight.shift()!;
    const face = pickFace(await pending, opts.pick ?? 'prominent');
    let box: Box;
    if (face) {
      seen.withFace++;
      box = face.box;
      lastBox = box;
    } else if (opts.noFace === 'fail') {
      throw new UserError({
        severity: 'error',
        message: `${path}: no face found in frame ${index}${frameTime(index, rate)} (noFace policy 'fail')`,
        hints: ["use the 'reuse-last' or 'skip' policy to tolerate frames without a face"],
      });
    } else if (opts.noFace === 'skip') {
      seen.skipped++;
      return;
    } else if (lastBox) {
      seen.reused++;
      box = lastBox;
    } else {
      seen.centred++;
      box = centreBox(W, H);
    }
    if (seen.used.length < plan.stopAt) seen.used.push({ index, values: faceInput(frame, W, H, box, shape) });
  };

  try {
    for await (const frame of decodeFrames(path, info, { fps: opts.fps, select: plan.select })) {
      const index = plan.select ? plan.select[seen.decoded]! : seen.decoded;
      seen.decoded++;
      inFlight.push({ index, frame, face: detector.detect(frame, W, H) });
      // Keep the promise from being reported as unhandled while it waits in the queue.
      inFlight[inFlight.length - 1]!.face.catch(() => undefined);
      if (inFlight.length >= PIPELINE_DEPTH) await consume();
      opts.onProgress?.(seen.decoded, Math.max(estimate, seen.decoded));
      if (seen.used.length + inFlight.length >= plan.stopAt) {
        while (inFlight.length > 0 && seen.used.length < plan.stopAt) await consume();
        if (seen.used.length >= plan.stopAt) {
          seen.stoppedEarly = true;
          seen.decoded -= inFlight.length; // decoded ahead but never examined: not counted
          break; // stops ffmpeg
        }
      }
    }
    while (inFlight.length > 0) await consume();
  } finally {
    inFlight.length = 0;
  }
  opts.onProgress?.(seen.decoded, seen.decoded);
  return seen;
}

/** The N frames from what was examined: the policies' notes, spreading, the length check, padding. */
function fitFrames(path: string, info: VideoInfo, opts: PrepareOptions, plan: FramePlan, seen: Examined): Omit<PreparedVideo, 'seconds' | 'source'> {
  if (seen.decoded === 0) throw noFrames(path, opts);
  if (seen.withFace === 0) throw noFaceAnywhere(path, opts, plan, seen);
  // every frame was decoded unless 'first' stopped early or 'spread' selected some
  const total = plan.total ?? (seen.stoppedEarly ? undefined : seen.decoded);
  const notes = policyNotes(info, opts, plan, seen, total);
  let used = seen.used;
  if (plan.sample === 'spread' && !plan.select && used.length > opts.frames && opts.length !== 'exact') {
    used = spreadIndices(used.length, opts.frames).map((i) => used[i]!);
    notes.push(`spread ${opts.frames} frames over the ${seen.used.length} frames with a face`);
  }
  checkFrameCount(path, info, opts, used.length, { skipped: seen.skipped, total });
  // checkFrameCount refused every count fitLength cannot fit; used is not empty (a face was found)
  const fitted = fitLength(used.map((u) => u.values), opts.frames, opts.length)!;
  if (fitted.padded > 0) notes.push(`padded with ${fitted.padded} copies of the last frame to reach ${opts.frames} (length 'pad')`);
  return {
    values: fitted.values,
    framesDecoded: seen.decoded,
    framesInVideo: total,
    framesWithFace: seen.withFace,
    // never more than N: 'first' stops at N, 'spread' picks N, 'exact' refused any other count
    framesUsed: used.length,
    frameIndices: used.map((u) => u.index),
    sample: plan.sample,
    policyNotes: notes,
  };
}

function policyNotes(info: VideoInfo, opts: PrepareOptions, plan: FramePlan, seen: Examined, total: number | undefined): string[] {
  const notes: string[] = [];
  if (seen.stoppedEarly) notes.push(`stopped decoding after frame ${seen.decoded - 1}: ${opts.frames} usable frames collected (sample 'first')`);
  if (plan.select) notes.push(`spread ${opts.frames} frames over the video's ${plan.total}`);
  if (seen.reused > 0) notes.push(`${seen.reused} frame(s) without a face reused the last face box`);
  if (seen.centred > 0) notes.push(`${seen.centred} frame(s) without a face before the first detection used the centre square crop`);
  if (seen.skipped > 0) notes.push(`${seen.skipped} frame(s) without a face were skipped`);
  const short = total !== undefined ? truncationNote(info, opts, total) : undefined;
  if (short) notes.push(short);
  return notes;
}

/**
 * Refuses a frame count the length policy cannot fit to N: 'exact' needs N, 'trim' at least N
 * (padding only when asked for, `length: 'pad'`). Named for the CLI's `--length`.
 */
function checkFrameCount(path: string, info: VideoInfo, opts: PrepareOptions, have: number, ctx: { skipped?: number; total?: number }): void {
  const n = opts.frames;
  if (opts.length === 'pad' || (opts.length === 'trim' && have >= n) || (opts.length === 'exact' && have === n)) return;
  const rate = opts.fps !== undefined ? ` at ${opts.fps} fps` : '';
  const skipNote = ctx.skipped ? ` (${ctx.skipped} frame(s) without a face were skipped)` : '';
  const short = ctx.total !== undefined ? truncationNote(info, opts, ctx.total) : undefined;
  const hints = [
    ...(short ? [short] : []),
    have < n ? `\`--length pad\` fills up with ${n - have} copies of the last frame` : '',
    opts.fps !== undefined && have < n ? 'a higher --fps gives more frames' : '',
  ].filter(Boolean);
  throw new UserError({
    severity: 'error',
    message:
      opts.length === 'exact'
        ? `${path}: the video gives ${have} usable frames${rate}${skipNote}, but the pipeline takes exactly ${n} (length 'exact')`
        : `${path}: the video gives only ${have} usable frames${rate}${skipNote}, fewer than the pipeline's ${n} (length 'trim'): it would need ${n - have} copies of the last frame`,
    hints,
  });
}

/** A note when ffmpeg decodes clearly fewer frames than the container's duration promises (a truncated or damaged file). */
function truncationNote(info: VideoInfo, opts: PrepareOptions, total: number): string | undefined {
  const rate = opts.fps ?? info.fps;
  if (info.duration === undefined || !rate) return undefined;
  const expected = Math.round(info.duration * rate);
  if (total >= expected * 0.9 || expected - total < 2) return undefined;
  return `ffmpeg decodes ${total} frames (${(total / rate).toFixed(1)} s), but the container says ${info.duration.toFixed(2)} s (about ${expected} frames): the file may be truncated or damaged`;
}

function noFrames(path: string, opts: PrepareOptions): UserError {
  return new UserError(`${path}: ffmpeg decoded no frames from the video${opts.fps !== undefined ? ` at ${opts.fps} fps` : ''}`);
}

function noFaceAnywhere(path: string, opts: PrepareOptions, plan: FramePlan, seen: Examined): UserError {
  const examined = seen.stoppedEarly
    ? [`only the first ${seen.decoded} frames were examined: sample 'first' stops once ${opts.frames} frames are collected`]
    : plan.select
      ? [`only ${seen.decoded} frames spread over the video's ${plan.total} were examined (sample 'spread')`]
      : [];
  return new UserError({
    severity: 'error',
    message: `${path}: no face found in any of the ${seen.decoded} decoded frames`,
    hints: ['the video must show a face; a small or turned face may need a higher resolution video', ...examined],
  });
}

/** Writes the prepared frames as MP-SPDZ text input (one number a line), atomically. */
export function writePreparedVideo(path: string, prepared: Pick<PreparedVideo, 'values'>): void {
  writeFileAtomic(path, formatValues(prepared.values));
}

function frameTime(index: number, fps: number | undefined): string {
  return fps ? ` (at ${(index / fps).toFixed(2)} s)` : '';
}

function checkOptions(o: PrepareOptions): void {
  const bad = (what: string) => {
    throw new UserError(`video preparation: ${what}`);
  };
  for (const [k, v] of [
    ['frames', o.frames],
    ['height', o.height],
    ['width', o.width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) bad(`${k} must be a positive integer, got ${v}`);
  }
  if (o.channels !== 1 && o.channels !== 3) bad(`channels must be 1 or 3, got ${String(o.channels)}`);
  if (!Array.isArray(o.range) || o.range.length !== 2 || !o.range.every(Number.isFinite) || !(o.range[0] < o.range[1])) {
    bad(`range must be [lo, hi] with lo < hi, got ${JSON.stringify(o.range)}`);
  }
  if (!['reuse-last', 'skip', 'fail'].includes(o.noFace)) bad(`noFace must be 'reuse-last', 'skip' or 'fail', got '${String(o.noFace)}'`);
  if (o.pick !== undefined && !['prominent', 'largest', 'most-confident'].includes(o.pick)) bad(`pick must be 'prominent', 'largest' or 'most-confident', got '${String(o.pick)}'`);
  if (!['pad', 'trim', 'exact'].includes(o.length)) bad(`length must be 'pad', 'trim' or 'exact', got '${String(o.length)}'`);
  if (o.fps !== undefined && !(Number.isFinite(o.fps) && o.fps > 0)) bad(`fps must be a positive number, got ${o.fps}`);
  if (o.sample !== undefined && !['spread', 'first'].includes(o.sample)) bad(`sample must be 'spread' or 'first', got '${String(o.sample)}'`);
  const marginWrong = o.margin !== undefined ? marginProblem(o.margin) : undefined;
  if (marginWrong) bad(marginWrong);
}
