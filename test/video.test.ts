// Video preparation (src/video): the pure image functions on synthetic arrays, the ffmpeg +
// Human BlazeFace pipeline on the shared media videos (skipped, saying so, when
// ../shared/media is absent), the MP-SPDZ text layout against ../shared/seed/sample_video.txt,
// agreement with Human's own face crops (../shared/media/human-crops), and the user errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../src/diagnostics.js';
import { readValues } from '../src/inputs/text-format.js';
import {
  boxArea,
  centreBox,
  countFrames,
  cropAndResize,
  decodeFrames,
  enlargeSquareBox,
  faceInput,
  ffmpegPath,
  fitLength,
  LUMA,
  normaliseToRange,
  openFaceDetector,
  parseFfmpegInfo,
  pickFace,
  prepareVideo,
  probeVideo,
  resizeBilinear,
  spreadIndices,
  toGrayscale,
  writePreparedVideo,
  type DetectedFace,
  type FaceDetector,
  type PrepareOptions,
} from '../src/video/index.js';
import { describeUnless, testUnless } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '..', 'shared');
const MEDIA = join(SHARED, 'media');
const SEED = join(SHARED, 'seed', 'sample_video.txt');
const haveMedia = existsSync(join(MEDIA, 'SOURCES.md'));
const describeMedia = describeUnless(haveMedia ? undefined : `the shared videos ${MEDIA} are not there`);

let tmp: string;
let detector: FaceDetector;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ppvc-video-'));
  detector = await openFaceDetector(); // shared by every test below: one start-up (~1 s)
}, 120_000);

afterAll(async () => {
  await detector?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i]!);
    hi = Math.max(hi, a[i]!);
  }
  return [lo, hi];
}

async function expectUserError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  expect((e as Error).message).toMatch(pattern);
}

describe('image functions', () => {
  // A 3x4 RGB image whose channels are distinguishable: v(y, x, c) = 100 y + 10 x + c.
  const W = 4;
  const H = 3;
  const img = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = 100 * y + 10 * x + c;

  test('cropAndResize of the whole frame at its own size is the identity', () => {
    expect(Array.from(cropAndResize(img, W, H, 3, { x1: 0, y1: 0, x2: W, y2: H }, H, W))).toEqual(Array.from(img));
  });

  test('cropAndResize interpolates bilinearly with TensorFlow coordinates (v * (size - 1))', () => {
    // A 2x2 one-channel image, box = the frame, 3x3 output: corners, edge midpoints, centre.
    const out = cropAndResize([0, 10, 20, 30], 2, 2, 1, { x1: 0, y1: 0, x2: 2, y2: 2 }, 3, 3);
    expect(Array.from(out)).toEqual([0, 5, 10, 10, 15, 20, 20, 25, 30]);
  });

  test('cropAndResize fills samples outside the frame with 0 (extrapolation), as Human crops at the border', () => {
    const ones = new Float32Array(10 * 10).fill(1);
    const out = cropAndResize(ones, 10, 10, 1, { x1: -10, y1: 0, x2: 10, y2: 10 }, 5, 5);
    for (let y = 0; y < 5; y++) {
      expect(out[y * 5 + 0]).toBe(0); // x = -10 * 9/10 ... left of the frame
      expect(out[y * 5 + 4]).toBe(1);
    }
  });

  test('resizeBilinear (alignCorners = false) samples at r * in/out', () => {
    const out = resizeBilinear([0, 1, 2, 3], 2, 2, 1, 4, 4);
    expect(Array.from(out)).toEqual([0, 0.5, 1, 1, 1, 1.5, 2, 2, 2, 2.5, 3, 3, 2, 2.5, 3, 3]);
    // An integer down-scale keeps every k-th pixel exactly (Human's 256 -> 64 emotion input).
    const big = Float32Array.from({ length: 16 * 16 }, (_, i) => i);
    const small = resizeBilinear(big, 16, 16, 1, 4, 4);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(small[r * 4 + c]).toBe(big[4 * r * 16 + 4 * c]);
  });

  test('toGrayscale uses Human\'s luma weights', () => {
    expect(Array.from(toGrayscale([1, 0, 0, 0, 1, 0, 0, 0, 1]))).toEqual(LUMA.map((w) => Math.fround(w)));
    expect(toGrayscale([1, 1, 1])[0]).toBeCloseTo(0.9999, 6);
    expect(() => toGrayscale([1, 2])).toThrow(RangeError);
  });

  test('normaliseToRange maps [0, 1] onto the range, (v - 0.5) * 2 for [-1, 1], and clamps', () => {
    expect(Array.from(normaliseToRange(Float32Array.from([0, 0.25, 1]), [-1, 1]))).toEqual([-1, -0.5, 1]);
    expect(Array.from(normaliseToRange(Float32Array.from([0, 0.5, 1]), [0, 1]))).toEqual([0, 0.5, 1]);
    expect(Array.from(normaliseToRange(Float32Array.from([-0.1, 1.2]), [0, 255]))).toEqual([0, 255]);
    expect(() => normaliseToRange(new Float32Array(1), [1, 1])).toThrow(RangeError);
  });

  test('centreBox and enlargeSquareBox (Human\'s enlargeBox + squarifyBox)', () => {
    expect(centreBox(640, 480)).toEqual({ x1: 80, y1: 0, x2: 560, y2: 480 });
    expect(centreBox(100, 300)).toEqual({ x1: 0, y1: 100, x2: 100, y2: 200 });
    // Centre (150, 125), size 100x50, x1.4 -> 140x70, square 140.
    expect(enlargeSquareBox({ x1: 100, y1: 100, x2: 200, y2: 150 }, 0.4)).toEqual({ x1: 80, y1: 55, x2: 220, y2: 195 });
  });

  test('faceInput: crop 256, resize, grayscale, range; shape [h, w, c]', () => {
    const fw = 64;
    const fh = 48;
    const frame = new Uint8Array(fw * fh * 3);
    for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) frame.set([x * 4, y * 5, 128], (y * fw + x) * 3);
    const box = { x1: 8, y1: 0, x2: 56, y2: 48 };
    const gray = faceInput(frame, fw, fh, box, { height: 48, width: 48, channels: 1, range: [0, 1] });
    expect(gray.length).toBe(48 * 48);
    const [lo, hi] = minMax(gray);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    const rgb = faceInput(frame, fw, fh, box, { height: 10, width: 12, channels: 3, range: [-1, 1] });
    expect(rgb.length).toBe(10 * 12 * 3);
    expect(rgb[2]).toBeCloseTo((128 / 255 - 0.5) * 2, 5); // the blue channel is constant
    // At 64x64 it is exactly Human's 256x256 crop with every 4th pixel, grayscale, (g - 0.5) * 2.
    const at64 = faceInput(frame, fw, fh, box, { height: 64, width: 64, channels: 1, range: [-1, 1] });
    const crop = cropAndResize(frame, fw, fh, 3, box, 256, 256);
    for (const [r, c] of [
      [0, 0],
      [10, 33],
      [63, 63],
    ] as const) {
      const i = (4 * r * 256 + 4 * c) * 3;
      const g = (crop[i]! / 255) * LUMA[0] + (crop[i + 1]! / 255) * LUMA[1] + (crop[i + 2]! / 255) * LUMA[2];
      expect(at64[r * 64 + c]).toBeCloseTo((g - 0.5) * 2, 5);
    }
  });

  test('fitLength: pad repeats the last frame, trim keeps the first N, exact requires N', () => {
    const f = [Float32Array.of(1, 1), Float32Array.of(2, 2), Float32Array.of(3, 3)];
    expect(Array.from(fitLength(f, 5, 'pad')!.values)).toEqual([1, 1, 2, 2, 3, 3, 3, 3, 3, 3]);
    expect(fitLength(f, 5, 'pad')!.padded).toBe(2);
    expect(Array.from(fitLength(f, 2, 'pad')!.values)).toEqual([1, 1, 2, 2]);
    expect(Array.from(fitLength(f, 2, 'trim')!.values)).toEqual([1, 1, 2, 2]);
    expect(fitLength(f, 2, 'trim')!.dropped).toBe(1);
    expect(fitLength(f, 4, 'trim')).toBeNull();
    expect(fitLength(f, 3, 'exact')!.values.length).toBe(6);
    expect(fitLength(f, 2, 'exact')).toBeNull();
    expect(fitLength([], 2, 'pad')).toBeNull();
  });

  test('spreadIndices: the middle frame of each of N equal parts; every frame when there are N or fewer', () => {
    expect(spreadIndices(20, 4)).toEqual([2, 7, 12, 17]);
    expect(spreadIndices(469, 6)).toEqual([39, 117, 195, 273, 351, 429]);
    expect(spreadIndices(10, 4)).toEqual([1, 3, 6, 8]);
    expect(spreadIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(spreadIndices(3, 8)).toEqual([0, 1, 2]);
    expect(spreadIndices(0, 2)).toEqual([]);
    // N of M > N: distinct, ascending, the first in the first part and the last in the last
    for (const [m, n] of [
      [98, 97],
      [469, 97],
      [1000, 7],
    ] as const) {
      const ix = spreadIndices(m, n);
      expect(ix).toHaveLength(n);
      expect(ix.every((v, i) => i === 0 || v > ix[i - 1]!)).toBe(true);
      expect(ix[0]!).toBeLessThan(m / n);
      expect(ix[n - 1]!).toBeGreaterThanOrEqual(m - m / n);
    }
    expect(() => spreadIndices(5, 0)).toThrow(RangeError);
  });

  test('pickFace: prominent, largest, most-confident', () => {
    const big = { box: { x1: 0, y1: 0, x2: 100, y2: 100 }, score: 0.3 };
    const small = { box: { x1: 0, y1: 0, x2: 50, y2: 50 }, score: 0.9 };
    const weakHuge = { box: { x1: 0, y1: 0, x2: 300, y2: 300 }, score: 0.21 };
    expect(boxArea(big.box)).toBe(10_000);
    expect(pickFace([small, big], 'largest')).toBe(big);
    expect(pickFace([small, big], 'most-confident')).toBe(small);
    expect(pickFace([small, big], 'prominent')).toBe(big); // 3000 > 2250
    expect(pickFace([small, weakHuge], 'prominent')).toBe(weakHuge);
    expect(pickFace([], 'prominent')).toBeUndefined();
  });

  test('parseFfmpegInfo reads size, fps, duration, rotation and rejects non-video input', () => {
    const mp4 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
  Duration: 00:00:15.65, start: 0.000000, bitrate: 1064 kb/s
    Stream #0:0(und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p, 480x272 [SAR 1:1 DAR 30:17], 1061 kb/s, 29.97 fps, 29.97 tbr, 29970 tbn, 59.94 tbc (default)
    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)`;
    expect(parseFfmpegInfo(mp4)).toEqual({ width: 480, height: 272, fps: 29.97, duration: 15.65, rotation: 0, codec: 'h264', format: ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2'] });
    const rotated = `Input #0, mov,mp4, from 'p.mp4':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 1 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080, 17000 kb/s, 30 fps, 30 tbr, 90k tbn, 180k tbc (default)
    Metadata:
      rotate          : 90
    Side data:
      displaymatrix: rotation of -90.00 degrees`;
    expect(parseFfmpegInfo(rotated)).toMatchObject({ width: 1080, height: 1920, rotation: 90 });
    expect(parseFfmpegInfo(`x.txt: Invalid data found when processing input`)).toBeNull();
    expect(parseFfmpegInfo(`Input #0, mp3, from 'a.mp3':\n    Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s`)).toBeNull();
  });
});

describe('errors', () => {
  const opts: PrepareOptions = { frames: 4, height: 48, width: 48, channels: 1, range: [0, 1], noFace: 'reuse-last', length: 'pad', fps: 5 };

  test('a missing file is a UserError', async () => {
    await expectUserError(prepareVideo(join(tmp, 'no-such-video.mp4'), { ...opts, detector }), /no-such-video\.mp4: no such file/);
  });

  test('a text file is not a video (also the names ffmpeg renders as text, .nfo/.asc)', async () => {
    for (const name of ['notes.txt', 'readme.md', 'banner.nfo']) {
      const p = join(tmp, name);
      writeFileSync(p, 'This is a text file, not a video.\n');
      await expectUserError(prepareVideo(p, { ...opts, detector }), new RegExp(`${name.replace('.', '\\.')}: not a video file`));
    }
  });

  test('a directory and an empty file are not videos', async () => {
    const dir = join(tmp, 'a-directory.mp4');
    mkdirSync(dir, { recursive: true });
    await expectUserError(prepareVideo(dir, { ...opts, detector }), /not a video file \(it is a directory\)/);
    const empty = join(tmp, 'empty.mp4');
    writeFileSync(empty, '');
    await expectUserError(prepareVideo(empty, { ...opts, detector }), /not a video file \(it is empty\)/);
  });

  test('invalid options are UserErrors', async () => {
    await expectUserError(prepareVideo('x.mp4', { ...opts, frames: 0 }), /frames must be a positive integer/);
    await expectUserError(prepareVideo('x.mp4', { ...opts, range: [1, 0] }), /range must be/);
    await expectUserError(prepareVideo('x.mp4', { ...opts, noFace: 'ignore' as 'skip' }), /noFace must be/);
    await expectUserError(prepareVideo('x.mp4', { ...opts, sample: 'random' as 'first' }), /sample must be 'spread' or 'first', got 'random'/);
    await expectUserError(prepareVideo('x.mp4', { ...opts, margin: -1 }), /margin must be a fraction in \(-1, 10\], got -1/);
  });

  describe('on a synthetic video without a face (made with ffmpeg)', () => {
    let blank: string;
    beforeAll(() => {
      blank = join(tmp, 'blank.mp4');
      execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=160x120:d=1:r=5', '-c:v', 'mpeg4', '-pix_fmt', 'yuv420p', blank]);
    });

    test('it decodes: 5 frames of 160x120', async () => {
      const info = await probeVideo(blank);
      expect([info.width, info.height]).toEqual([160, 120]);
      let n = 0;
      for await (const f of decodeFrames(blank, info)) {
        expect(f.length).toBe(160 * 120 * 3);
        n++;
      }
      expect(n).toBe(5);
    });

    test.each(['reuse-last', 'skip', 'fail'] as const)('no face in any frame is a UserError (noFace %s)', async (noFace) => {
      const pattern = noFace === 'fail' ? /no face found in frame 0 .*'fail'/ : /no face found in any of the 5 decoded frames/;
      await expectUserError(prepareVideo(blank, { ...opts, frames: 10, noFace, fps: undefined, detector }), pattern);
    });
  });
});

/**
 * A face detector that finds the whole frame as the face, except at the calls `faceless` names
 * (detection runs in decoding order, so call k is the k-th examined frame); counts its calls.
 */
function stubDetector(faceless: (call: number) => boolean = () => false): FaceDetector & { calls: number } {
  const stub = {
    margin: 0.4,
    backend: 'stub',
    description: 'stub detector',
    calls: 0,
    detect: async (_frame: Uint8Array, width: number, height: number): Promise<DetectedFace[]> => (faceless(stub.calls++) ? [] : [{ box: { x1: 0, y1: 0, x2: width, y2: height }, score: 1 }]),
    close: async () => undefined,
  };
  return stub;
}

/** Frame j of a prepared video (h * w * c values). */
const frameOf = (values: Float32Array, j: number, size: number) => Array.from(values.subarray(j * size, (j + 1) * size));

describe('frame sampling (a synthetic 2 s video of 20 frames, each brighter than the last; a stub detector)', () => {
  const shape = { height: 8, width: 8, channels: 1 as const, range: [0, 1] as [number, number] };
  const size = 8 * 8;
  let ramp: string;
  let all: Float32Array; // every frame, in order: what each sampled frame must equal
  beforeAll(async () => {
    ramp = join(tmp, 'ramp.mp4');
    // moov first (faststart), so a truncated copy still has its index: ffmpeg then decodes what is there
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', "nullsrc=s=64x48:d=2:r=10,geq=lum='16+N*10':cb=128:cr=128", '-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', ramp]);
    all = (await prepareVideo(ramp, { ...shape, frames: 20, noFace: 'reuse-last', length: 'exact', sample: 'first', detector: stubDetector() })).values;
  });

  test('countFrames counts what decoding gives; select decodes exactly the chosen frames', async () => {
    expect(await countFrames(ramp)).toBe(20);
    expect(await countFrames(ramp, { fps: 5 })).toBe(10);
    const info = await probeVideo(ramp);
    const mean = (f: Uint8Array) => f.reduce((a, v) => a + v, 0) / f.length;
    const every: number[] = [];
    for await (const f of decodeFrames(ramp, info)) every.push(mean(f));
    expect(every.every((m, i) => i === 0 || m > every[i - 1]!)).toBe(true); // the frames are told apart by brightness
    const chosen: number[] = [];
    for await (const f of decodeFrames(ramp, info, { select: [1, 7, 19] })) chosen.push(mean(f));
    expect(chosen).toEqual([every[1], every[7], every[19]]);
  });

  test("'spread' (the default) takes the middle frame of each of N parts; 'first' the opening N; the same every time", async () => {
    const spread = await prepareVideo(ramp, { ...shape, frames: 4, noFace: 'reuse-last', length: 'trim', detector: stubDetector() });
    expect(spread.sample).toBe('spread');
    expect(spread.frameIndices).toEqual([2, 7, 12, 17]);
    expect(spread.framesInVideo).toBe(20);
    expect(spread.framesDecoded).toBe(4); // only the chosen frames are decoded for detection
    expect(spread.policyNotes).toContain("spread 4 frames over the video's 20");
    for (const [j, index] of spread.frameIndices.entries()) expect(frameOf(spread.values, j, size)).toEqual(frameOf(all, index, size));
    const again = await prepareVideo(ramp, { ...shape, frames: 4, noFace: 'reuse-last', length: 'trim', detector: stubDetector() });
    expect(Array.from(again.values)).toEqual(Array.from(spread.values));
    const first = await prepareVideo(ramp, { ...shape, frames: 4, noFace: 'reuse-last', length: 'trim', sample: 'first', detector: stubDetector() });
    expect(first.frameIndices).toEqual([0, 1, 2, 3]);
    expect(Array.from(first.values)).toEqual(Array.from(all.subarray(0, 4 * size)));
    // at 5 fps: 10 frames, spread over those
    const slow = await prepareVideo(ramp, { ...shape, frames: 4, noFace: 'reuse-last', length: 'trim', fps: 5, detector: stubDetector() });
    expect(slow.frameIndices).toEqual([1, 3, 6, 8]);
    expect(slow.framesInVideo).toBe(10);
  });

  test("'spread' with noFace 'skip' spreads N over the frames with a face (every frame is examined)", async () => {
    const stub = stubDetector((call) => call % 2 === 1); // faces in frames 0, 2, ..., 18
    const r = await prepareVideo(ramp, { ...shape, frames: 4, noFace: 'skip', length: 'trim', detector: stub });
    expect(stub.calls).toBe(20);
    expect(r.framesWithFace).toBe(10);
    expect(r.frameIndices).toEqual([2, 6, 12, 16]); // faces 1, 3, 6, 8 of 10
    for (const [j, index] of r.frameIndices.entries()) expect(frameOf(r.values, j, size)).toEqual(frameOf(all, index, size));
    expect(r.policyNotes).toEqual(['10 frame(s) without a face were skipped', 'spread 4 frames over the 10 frames with a face']);
    // fewer frames with a face than N: refused, naming both counts
    await expectUserError(prepareVideo(ramp, { ...shape, frames: 12, noFace: 'skip', length: 'trim', detector: stubDetector((c) => c % 2 === 1) }), /gives only 10 usable frames \(10 frame\(s\) without a face were skipped\), fewer than the pipeline's 12/);
  });

  test('a truncated copy: refused before any face detection, naming the frames found and needed; padded only when asked', async () => {
    const bytes = readFileSync(ramp);
    const cut = join(tmp, 'ramp-truncated.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const found = await countFrames(cut);
    expect(found).toBeGreaterThan(0);
    expect(found).toBeLessThan(18); // well short of the 20 the container's 2 s promise
    for (const sample of ['spread', 'first'] as const) {
      const stub = stubDetector();
      const e = await prepareVideo(cut, { ...shape, frames: 20, noFace: 'reuse-last', length: 'trim', sample, detector: stub }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).message).toBe(`${cut}: the video gives only ${found} usable frames, fewer than the pipeline's 20 (length 'trim'): it would need ${20 - found} copies of the last frame`);
      const hints = (e as UserError).diagnostics[0]!.hints ?? [];
      expect(hints).toContain(`\`--length pad\` fills up with ${20 - found} copies of the last frame`);
      // 'spread' counts the frames first, so it refuses before detecting anything and knows the file is short
      if (sample === 'spread') {
        expect(stub.calls).toBe(0);
        expect(hints.some((h) => h.includes('the container says 2.00 s (about 20 frames): the file may be truncated'))).toBe(true);
      }
    }
    await expectUserError(prepareVideo(cut, { ...shape, frames: 20, noFace: 'reuse-last', length: 'exact', detector: stubDetector() }), new RegExp(`gives ${found} usable frames, but the pipeline takes exactly 20`));
    const padded = await prepareVideo(cut, { ...shape, frames: 20, noFace: 'reuse-last', length: 'pad', detector: stubDetector() });
    expect(padded.framesUsed).toBe(found);
    expect(padded.policyNotes).toContain(`padded with ${20 - found} copies of the last frame to reach 20 (length 'pad')`);
    expect(padded.policyNotes.some((n) => n.includes('the file may be truncated'))).toBe(true);
  });

  test('a video with enough frames is not refused and gets no truncation note', async () => {
    const r = await prepareVideo(ramp, { ...shape, frames: 20, noFace: 'reuse-last', length: 'trim', detector: stubDetector() });
    expect(r.framesUsed).toBe(20);
    expect(r.policyNotes).toEqual([]);
  });
});

// The layout the 'written file' test below checks (97 frames of 48x48x1) is the seed sample's.
testUnless(existsSync(SEED) ? undefined : `the seed sample ${SEED} is not there`)('../shared/seed/sample_video.txt is 97 frames of 48x48x1 in [0, 1], one value a line', () => {
  const seed = readFileSync(SEED, 'utf8').split('\n');
  expect(seed.pop()).toBe('');
  expect(seed.length).toBe(97 * 48 * 48);
  const [lo, hi] = minMax(readValues(SEED));
  expect(lo).toBeGreaterThanOrEqual(0);
  expect(hi).toBeLessThanOrEqual(1);
});

describeMedia('real videos (../shared/media)', () => {
  const paper = { height: 48, width: 48, channels: 1 as const, range: [0, 1] as [number, number] };
  const videos = ['angry-kameshpravin25-emotion-detection.mp4', 'mixed-overlay-ml-dev-alex-emotion-mvp.mp4', 'neutral-vdotup-blink-detection.mp4'];

  test.each(videos)('%s -> 6 frames of 48x48x1 in [0, 1] at 2 fps', async (name) => {
    const progress: number[] = [];
    const r = await prepareVideo(join(MEDIA, name), {
      ...paper,
      frames: 6,
      noFace: 'reuse-last',
      length: 'trim',
      fps: 2,
      detector,
      onProgress: (done) => progress.push(done),
    });
    expect(r.values.length).toBe(6 * 48 * 48);
    expect(r.framesWithFace).toBeGreaterThan(0);
    expect(r.framesUsed).toBe(6);
    expect(r.framesDecoded).toBeGreaterThanOrEqual(6);
    const [lo, hi] = minMax(r.values);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi - lo).toBeGreaterThan(0.2); // a real image, not a constant
    expect(progress.length).toBeGreaterThanOrEqual(6);
    console.log(`${name}: ${r.framesDecoded} decoded, ${r.framesWithFace} with a face, ${r.framesUsed} used, ${r.seconds.toFixed(2)} s; ${r.policyNotes.join('; ')}`);
  });

  test('the written file has the layout of ../shared/seed/sample_video.txt (97 frames of 48x48x1, one value a line)', async () => {
    // 97 frames, as the seed sample: a 6 s video at 2 fps gives 12, padded with the last frame.
    const r = await prepareVideo(join(MEDIA, 'mixed-overlay-ml-dev-alex-emotion-mvp.mp4'), { ...paper, frames: 97, noFace: 'reuse-last', length: 'pad', fps: 2, detector });
    expect(r.policyNotes.some((n) => /padded with \d+ copies/.test(n))).toBe(true);
    const out = join(tmp, 'video.txt');
    writePreparedVideo(out, r);
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines.length).toBe(97 * 48 * 48);
    expect(lines.filter((l) => !/^(0|1|0\.\d+|\d(\.\d+)?e-\d+)$/.test(l)).slice(0, 3)).toEqual([]);
    // Read back: float32-exact, frame-major then row-major.
    const back = readValues(out);
    expect(back.length).toBe(r.values.length);
    let mismatches = 0;
    for (let i = 0; i < back.length; i++) if (back[i] !== r.values[i]) mismatches++;
    expect(mismatches).toBe(0);
    // Padding copies the last real frame.
    const size = 48 * 48;
    const last = back.subarray((r.framesUsed - 1) * size, r.framesUsed * size);
    const pad = back.subarray(96 * size, 97 * size);
    expect(pad.every((v, i) => v === last[i])).toBe(true);
  });

  test("length 'exact' with the wrong N is a UserError; 'skip' and 'fail' pass on a face-only video", async () => {
    const p = join(MEDIA, 'mixed-overlay-ml-dev-alex-emotion-mvp.mp4'); // 49 frames at 8 fps, 6.1 s
    await expectUserError(prepareVideo(p, { ...paper, frames: 5, noFace: 'skip', length: 'exact', fps: 1, detector }), /gives \d+ usable frames at 1 fps, but the pipeline takes exactly 5 \(length 'exact'\)/);
    await expectUserError(prepareVideo(p, { ...paper, frames: 50, noFace: 'fail', length: 'trim', fps: 1, detector }), /fewer than the pipeline's 50 \(length 'trim'\)/);
    const r = await prepareVideo(p, { ...paper, frames: 6, channels: 3, range: [-1, 1], noFace: 'fail', length: 'exact', fps: 1, detector });
    expect(r.values.length).toBe(6 * 48 * 48 * 3);
    expect(r.framesWithFace).toBe(6);
    const [lo, hi] = minMax(r.values);
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
  });

  const cropsName = 'angry-kameshpravin25-emotion-detection';
  const refPath = join(MEDIA, 'human-crops', `${cropsName}.f32`);
  testUnless(existsSync(refPath) ? undefined : `Human's face crops ${refPath} are not there`)('face crops agree with Human\'s own (../shared/media/human-crops, 64x64 in [-1, 1], frames 0, 15, ...)', async () => {
    const buf = readFileSync(refPath);
    const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const crops = ref.length / (64 * 64);
    const path = join(MEDIA, `${cropsName}.mp4`);
    const info = await probeVideo(path);
    let index = 0;
    let k = 0;
    let maxAbs = 0;
    let sumAbs = 0;
    for await (const frame of decodeFrames(path, info, { maxFrames: 15 * (crops - 1) + 1 })) {
      if (index++ % 15 !== 0) continue;
      const face = pickFace(await detector.detect(frame, info.width, info.height), 'largest');
      expect(face).toBeDefined();
      const mine = faceInput(frame, info.width, info.height, face!.box, { height: 64, width: 64, channels: 1, range: [-1, 1] });
      for (let j = 0; j < 64 * 64; j++) {
        const e = Math.abs(mine[j]! - ref[k * 4096 + j]!);
        maxAbs = Math.max(maxAbs, e);
        sumAbs += e;
      }
      k++;
    }
    expect(k).toBe(crops);
    console.log(`${cropsName}: ${k} crops vs Human's: max |diff| ${maxAbs}, mean |diff| ${sumAbs / (k * 4096)}`);
    expect(maxAbs).toBeLessThan(1e-4);
  });
});
