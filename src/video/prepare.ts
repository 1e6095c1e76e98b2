// From a real video to the video owner's MP-SPDZ input: decode (ffmpeg), find the face in every
// frame (Human's BlazeFace), crop it with a margin, grayscale or RGB, resize to the pipeline's
// h x w, normalise to its range, and lay the N frames out frame-major, row-major [N, h, w, c].
import { UserError } from '../diagnostics.js';
import { formatValues } from '../inputs/text-format.js';
import { writeFileAtomic } from '../util/files.js';
import { openFaceDetector, type FaceDetector } from './detector.js';
import { decodeFrames, probeVideo } from './ffmpeg.js';
import { centreBox, DEFAULT_MARGIN, faceInput, fitLength, pickFace, type Box, type FacePick } from './image.js';

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
  /** N versus the usable frame count: 'pad' repeats the last frame if there are fewer (and keeps
   *  the first N if there are more), 'trim' keeps the first N (fewer is an error), 'exact'
   *  requires exactly N. 'pad' and 'trim' stop decoding once N frames are collected. */
  length: 'pad' | 'trim' | 'exact';
  /** Sample the video at this rate (ffmpeg's fps filter); default: every frame at the native rate. */
  fps?: number;
  /** Box margin as a fraction of the detected face box; default 0.4 (Human's `face.detector.scale` 1.4). */
  margin?: number;
  /** Called after each decoded frame; `total` is an estimate from the container's duration. */
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
  /** Frames read from ffmpeg (fewer than the video has if decoding stopped early). */
  framesDecoded: number;
  /** Decoded frames in which a face was found. */
  framesWithFace: number;
  /** Distinct decoded frames in the output (N minus padding). */
  framesUsed: number;
  /** What the no-face and length policies did, in words. */
  policyNotes: string[];
  /** Wall time of the whole preparation. */
  seconds: number;
  /** The decoded frame size and the detector used, for reports. */
  source: { width: number; height: number; fps?: number; detector: string };
}

/** Frames in flight between the decoder and the detector worker. */
const PIPELINE_DEPTH = 6;

export async function prepareVideo(path: string, opts: PrepareOptions): Promise<PreparedVideo> {
  const started = performance.now();
  checkOptions(opts);
  const margin = opts.margin ?? DEFAULT_MARGIN;
  const info = await probeVideo(path); // missing file / not a video: UserError
  const ownDetector = !opts.detector;
  if (opts.detector && Math.abs(opts.detector.margin - margin) > 1e-12) {
    throw new RangeError(`the given face detector uses margin ${opts.detector.margin}, the options ask for ${margin}`);
  }
  const detector = opts.detector ?? (await openFaceDetector({ margin }));
  const shape = { height: opts.height, width: opts.width, channels: opts.channels, range: opts.range } as const;
  const { width: W, height: H } = info;
  const estimate = info.duration !== undefined ? Math.max(1, Math.round(info.duration * (opts.fps ?? info.fps ?? 25))) : opts.frames;
  const stopAt = opts.length === 'exact' ? Infinity : opts.frames;

  const used: Float32Array[] = [];
  const notes: string[] = [];
  let decoded = 0;
  let withFace = 0;
  let reused = 0;
  let centred = 0;
  let skipped = 0;
  let lastBox: Box | undefined;
  let stoppedEarly = false;

  // Detection runs in the worker while the next frames are decoded; results are consumed in order.
  const inFlight: { index: number; frame: Uint8Array; face: ReturnType<FaceDetector['detect']> }[] = [];
  const consume = async (): Promise<void> => {
    const { index, frame, face: pending } = inFlight.shift()!;
    const face = pickFace(await pending, opts.pick ?? 'prominent');
    let box: Box;
    if (face) {
      withFace++;
      box = face.box;
      lastBox = box;
    } else if (opts.noFace === 'fail') {
      throw new UserError({
        severity: 'error',
        message: `${path}: no face found in frame ${index}${frameTime(index, opts.fps ?? info.fps)} (noFace policy 'fail')`,
        hints: ["use the 'reuse-last' or 'skip' policy to tolerate frames without a face"],
      });
    } else if (opts.noFace === 'skip') {
      skipped++;
      return;
    } else if (lastBox) {
      reused++;
      box = lastBox;
    } else {
      centred++;
      box = centreBox(W, H);
    }
    if (used.length < stopAt) used.push(faceInput(frame, W, H, box, shape));
  };

  try {
    const frames = decodeFrames(path, info, { fps: opts.fps });
    for await (const frame of frames) {
      const index = decoded++;
      inFlight.push({ index, frame, face: detector.detect(frame, W, H) });
      // Keep the promise from being reported as unhandled while it waits in the queue.
      inFlight[inFlight.length - 1]!.face.catch(() => undefined);
      if (inFlight.length >= PIPELINE_DEPTH) await consume();
      opts.onProgress?.(decoded, Math.max(estimate, decoded));
      if (used.length + inFlight.length >= stopAt) {
        while (inFlight.length > 0 && used.length < stopAt) await consume();
        if (used.length >= stopAt) {
          stoppedEarly = true;
          decoded -= inFlight.length; // decoded ahead but never examined: not counted
          break; // stops ffmpeg
        }
      }
    }
    while (inFlight.length > 0) await consume();
  } finally {
    inFlight.length = 0;
    if (ownDetector) await detector.close();
  }
  opts.onProgress?.(decoded, decoded);

  if (decoded === 0) throw new UserError(`${path}: ffmpeg decoded no frames from the video${opts.fps !== undefined ? ` at ${opts.fps} fps` : ''}`);
  if (withFace === 0) {
    throw new UserError({
      severity: 'error',
      message: `${path}: no face found in any of the ${decoded} decoded frames`,
      hints: [
        'the video must show a face; a small or turned face may need a higher resolution video',
        ...(stoppedEarly ? [`only the first ${decoded} frames were examined: length '${opts.length}' stops once ${opts.frames} frames are collected`] : []),
      ],
    });
  }
  if (stoppedEarly) notes.push(`stopped decoding after frame ${decoded - 1}: ${opts.frames} usable frames collected (length '${opts.length}')`);
  if (reused > 0) notes.push(`${reused} frame(s) without a face reused the last face box`);
  if (centred > 0) notes.push(`${centred} frame(s) without a face before the first detection used the centre square crop`);
  if (skipped > 0) notes.push(`${skipped} frame(s) without a face were skipped`);

  const usable = used.length;
  const fitted = fitLength(used, opts.frames, opts.length);
  if (!fitted) {
    const skipNote = skipped > 0 ? ` (${skipped} frame(s) without a face were skipped)` : '';
    throw new UserError({
      severity: 'error',
      message:
        opts.length === 'exact'
          ? `${path}: the video gives ${usable} usable frames${skipNote}, but the pipeline takes exactly ${opts.frames} (length 'exact')`
          : `${path}: the video gives only ${usable} usable frames${skipNote}, fewer than the pipeline's ${opts.frames} (length 'trim')`,
      hints: [`use length 'pad' or 'trim', or change the sampling rate (fps)`],
    });
  }
  if (fitted.padded > 0) notes.push(`padded with ${fitted.padded} copies of the last frame to reach ${opts.frames}`);
  if (fitted.dropped > 0) notes.push(`kept the first ${opts.frames} of ${usable} usable frames`);
  return {
    values: fitted.values,
    framesDecoded: decoded,
    framesWithFace: withFace,
    framesUsed: Math.min(usable, opts.frames),
    policyNotes: notes,
    seconds: (performance.now() - started) / 1000,
    source: { width: W, height: H, fps: opts.fps ?? info.fps, detector: detector.description },
  };
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
  if (o.margin !== undefined && !(Number.isFinite(o.margin) && o.margin > -1 && o.margin <= 10)) bad(`margin must be a fraction in (-1, 10], got ${o.margin}`);
}
