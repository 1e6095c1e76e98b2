// The `prepare-video` and `simulate` commands as a user meets them: exit statuses, clear
// messages, no stack traces, and no output file (partial or temporary) after a failure. The
// commands run in-process with cli.ts's failure handling (UserError exit 1, EnvironmentError
// exit 2). The parts that need real videos are skipped, saying so, when ../shared/media is
// absent.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { jest } from '@jest/globals';
import { EnvironmentError, UserError, formatDiagnostic } from '../src/diagnostics.js';
import { withCommands } from '../src/commands/option-values.js';
import { prepareVideoCommand } from '../src/commands/prepare-video-command.js';
import { simulateCommand } from '../src/commands/simulate-command.js';
import { buildPipeline } from '../src/compile.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';
import { checkText, ROOT, SHARED, testUnless } from './helpers.js';

const MEDIA = join(SHARED, 'media');
const haveMedia = existsSync(join(MEDIA, 'SOURCES.md'));
const testMedia = testUnless(haveMedia ? undefined : `the shared videos ${MEDIA} are not there`);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ppvc-prepare-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** A command in-process as cli.ts runs it: same options, same failure handling and exit statuses. */
async function cli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const spyOut = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const spyErr = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  const saved = process.exitCode;
  process.exitCode = undefined;
  let status = 0;
  try {
    await withCommands(yargs(args).option('json', { type: 'boolean', default: false }), [prepareVideoCommand, simulateCommand])
      .strict()
      .fail((msg, e) => {
        if (e) throw e;
        throw new UserError(msg);
      })
      .parseAsync();
    status = (process.exitCode as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof UserError) {
      for (const d of e.diagnostics) err.push(formatDiagnostic(d) + '\n');
      status = 1;
    } else if (e instanceof EnvironmentError) {
      err.push(`error: ${e.message}\n`);
      status = 2;
    } else {
      err.push(`internal error: ${(e as Error).stack}\n`);
      status = 2;
    }
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
    process.exitCode = saved;
  }
  return { status, stdout: out.join(''), stderr: err.join('') };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

/** A fresh empty directory; a failed command must leave it empty (no partial or temporary file). */
function emptyDir(tag: string): string {
  const d = join(tmp, tag);
  mkdirSync(d);
  return d;
}

const SMALL = (frames: number, select: number, range = '[0, 1]') =>
  [
    'pipeline prep_small',
    'party alice = 0',
    'party bob = 1',
    `video frames: [${frames}, 16, 16, 1] from alice range ${range}`,
    `select ${select} frames by bob`,
    'model m by bob {',
    '  conv2d 4 kernel 3x3 relu',
    '  avgpool 2x2',
    '  flatten',
    '  dense 3',
    '}',
    'classify each frame with m, softmax relu_normalized',
    'label = argmax(sum)',
    'reveal label to alice',
  ].join('\n') + '\n';

/** A pipeline file and its random inputs (video owner's and model owner's files). */
function smallCase(tag: string, frames = 6, select = 2, seed = 1) {
  const dir = join(tmp, tag);
  mkdirSync(dir, { recursive: true });
  const ppvc = join(dir, 'p.ppvc');
  writeFileSync(ppvc, SMALL(frames, select));
  const p = checkText(SMALL(frames, select)).pipeline!;
  const plan = buildPipeline(p).inputs;
  const video = join(dir, 'video.txt');
  const weights = join(dir, 'weights.txt');
  writeFileSync(video, formatValues(partyValues(plan, p, 0, { seed })));
  writeFileSync(weights, formatValues(partyValues(plan, p, 1, { seed: seed + 100 })));
  return { dir, ppvc, video, weights };
}

describe('prepare-video: errors', () => {
  test('a missing video: exit 1, the path named, no output file', async () => {
    const out = emptyDir('missing');
    const r = await cli(['prepare-video', join(tmp, 'no-such-video.mp4'), '--pipeline', join(ROOT, 'examples/emotion.ppvc'), '-o', join(out, 'v.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no-such-video.mp4: no such file');
    expect(readdirSync(out)).toEqual([]);
    noStackTrace(r.stderr);
  });

  test('a file that is not a video: exit 1, a clear message, no output file', async () => {
    const out = emptyDir('not-video');
    const notVideo = join(tmp, 'notes.mp4');
    writeFileSync(notVideo, 'these are notes, not a video\n'.repeat(50));
    const r = await cli(['prepare-video', notVideo, '--pipeline', join(ROOT, 'examples/emotion.ppvc'), '-o', join(out, 'v.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/notes\.mp4: (not a video file|ffmpeg cannot read it as a video)/);
    expect(readdirSync(out)).toEqual([]);
    noStackTrace(r.stderr);
  });

  test('a pipeline with errors: exit 1 with its diagnostics, no output file', async () => {
    const out = emptyDir('bad-pipeline');
    const r = await cli(['prepare-video', join(tmp, 'whatever.mp4'), '--pipeline', join(ROOT, 'test/should-fail/unknown-layer.ppvc'), '-o', join(out, 'v.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: unknown layer 'conv3d'");
    expect(readdirSync(out)).toEqual([]);
  });

  test('bad options: an unknown no-face policy, a negative fps', async () => {
    const out = emptyDir('bad-options');
    const base = [join(tmp, 'x.mp4'), '--pipeline', join(ROOT, 'examples/emotion.ppvc'), '-o', join(out, 'v.txt')];
    const a = await cli(['prepare-video', ...base, '--no-face', 'ignore']);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('Invalid values');
    const b = await cli(['prepare-video', ...base, '--fps', '-3']);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('--fps -3: expected a positive number');
    const c = await cli(['prepare-video', ...base, '--sample', 'random']);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/Invalid values:\s+Argument: sample, Given: "random", Choices: "spread", "first"/);
    const d = await cli(['prepare-video', ...base, '--margin', '11']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('--margin 11: expected a fraction of the face box in (-1, 10]');
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('simulate: errors', () => {
  test('a weights file of the wrong length: exit 1, what it must hold', async () => {
    const c = smallCase('wrong-length');
    const short = join(c.dir, 'short.txt');
    writeFileSync(short, readFileSync(c.weights, 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
    const r = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', short]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/short\.txt: 100 values, but the model owner bob \(party 1\) must provide \d+/);
    expect(r.stderr).toContain('expected: ');
    expect(r.stderr).toContain('selection [2, 6]');
    expect(r.stdout).toBe('');
    noStackTrace(r.stderr);
  });

  test('a video input file of the wrong length, and values out of the video range', async () => {
    const c = smallCase('wrong-video');
    const short = join(c.dir, 'short-video.txt');
    writeFileSync(short, '0.5\n'.repeat(100));
    const a = await cli(['simulate', c.ppvc, '--video', short, '--weights', c.weights]);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain("short-video.txt: 100 values, but video 'frames' [6, 16, 16, 1] has 1536");
    const outOfRange = join(c.dir, 'bright.txt');
    writeFileSync(outOfRange, '1.5\n'.repeat(1536));
    const b = await cli(['simulate', c.ppvc, '--video', outOfRange, '--weights', c.weights]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('bright.txt: element 0 (video[0]) is 1.5, out of range');
  });

  test('missing files and bad label options', async () => {
    const c = smallCase('missing');
    const a = await cli(['simulate', c.ppvc, '--video', join(c.dir, 'nope.txt'), '--weights', c.weights]);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('nope.txt: no such file or folder');
    const b = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', join(c.dir, 'nope-w.txt')]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('nope-w.txt: no such file');
    const d = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--classes', 'a,b']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('--classes names 2 classes; the pipeline has 3');
    const e = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--labels', 'x.csv', '--label-rule', 'prefix']);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain('give either --labels or --label-rule, not both');
    // the face-crop options are prepare-video's, checked the same way
    const f = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--margin', '-1']);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain('--margin -1: expected a fraction of the face box in (-1, 10]');
    const g = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--pick', 'leftmost']);
    expect(g.status).toBe(1);
    expect(g.stderr).toMatch(/Argument: pick, Given: "leftmost"/);
  });
});

describe('simulate: results', () => {
  test('an input file: per-frame outputs, aggregate, labels, difference and the range table', async () => {
    const c = smallCase('single');
    const r = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--classes', 'x,y,z']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('per-frame output (relu_normalized)');
    expect(r.stdout).toMatch(/label: float \d \([xyz]\), fixed \d \([xyz]\) \(agree\)/);
    expect(r.stdout).toMatch(/largest difference float vs fixed: \d\.\d+e-\d+/);
    expect(r.stdout).toContain('range analysis: sfix with f=16, k=31 holds magnitudes below 16384');
    const j = await cli(['simulate', c.ppvc, '--video', c.video, '--weights', c.weights, '--json', '--seed', '3']);
    expect(j.status).toBe(0);
    const res = JSON.parse(j.stdout);
    expect(res.ok).toBe(true);
    expect(res.fixed.label).toBe(res.float.label);
    expect(res.maxDifference).toBeLessThan(1e-2);
    expect(res.fixed.precision).toMatchObject({ f: 16, k: 31, rounding: 'probabilistic', seed: 3 });
    expect(res.layers.map((l: { name: string }) => l.name)).toEqual(['input', 'conv2d_1', 'avgpool_1', 'dense_1', 'softmax sum', 'aggregate']);
  });

  test('a folder: per-video labels, agreement, and accuracy from --labels and from --label-rule prefix', async () => {
    const c = smallCase('batch-src');
    const folder = emptyDir('batch');
    for (const [i, name] of ['x-first.txt', 'y-second.txt', 'z-third.txt', 'unlabelled.txt'].entries()) {
      const other = smallCase(`batch-src-${i}`, 6, 2, 10 + i);
      writeFileSync(join(folder, name), readFileSync(other.video));
    }
    writeFileSync(join(folder, 'README.md'), 'not an input\n');
    const prefix = await cli(['simulate', c.ppvc, '--video', folder, '--weights', c.weights, '--label-rule', 'prefix', '--classes', 'x,y,z', '--json']);
    expect(prefix.status).toBe(0);
    const j = JSON.parse(prefix.stdout);
    expect(j.videos.map((v: { file: string }) => v.file.split('/').pop())).toEqual(['unlabelled.txt', 'x-first.txt', 'y-second.txt', 'z-third.txt']);
    expect(j.videos.map((v: { truth: { index?: number } }) => v.truth.index)).toEqual([undefined, 0, 1, 2]);
    expect(j.summary).toMatchObject({ videos: 4, simulated: 4, failed: 0, labelled: 3 });
    expect(j.summary.agree).toBe(4);
    const correct = j.videos.filter((v: { truth: { index?: number }; fixed: { label: number } }) => v.truth.index === v.fixed.label).length;
    expect(j.summary.fixedCorrect).toBe(correct);
    const csv = join(tmp, 'labels.csv');
    writeFileSync(csv, 'video,label\nx-first.txt,z\ny-second,1\nunlabelled.txt,x\n');
    const text = await cli(['simulate', c.ppvc, '--video', folder, '--weights', c.weights, '--labels', csv, '--classes', 'x,y,z']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/float and fixed-point labels agree on 4 of 4 simulated videos/);
    expect(text.stdout).toMatch(/accuracy on 3 labelled videos: float \d\/3 \(\d+\.\d%\), fixed \d\/3/);
    const badCsv = join(tmp, 'bad-labels.csv');
    writeFileSync(badCsv, 'x-first.txt,happy\n');
    const bad = await cli(['simulate', c.ppvc, '--video', folder, '--weights', c.weights, '--labels', badCsv, '--classes', 'x,y,z']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("bad-labels.csv:1: label 'happy' is not a class of the pipeline");
  });
});

describe('real videos', () => {
  testMedia(
    'prepare-video writes the frames, reports the faces; simulate takes the video directly',
    async () => {
      const video = join(MEDIA, 'happy-rakeshaa2002-humen-emotion.mp4');
      const c = smallCase('media', 6, 2);
      writeFileSync(c.ppvc, SMALL(6, 2, '[-1, 1]'));
      const out = join(c.dir, 'prepared.txt');
      const r = await cli(['prepare-video', video, '--pipeline', c.ppvc, '-o', out, '--fps', '5', '--json']);
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ ok: true, shape: [6, 16, 16, 1], range: [-1, 1], values: 1536, framesWithFace: 6 });
      const values = readFileSync(out, 'utf8').trim().split('\n').map(Number);
      expect(values).toHaveLength(1536);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      const text = await cli(['prepare-video', video, '--pipeline', c.ppvc, '-o', out, '--fps', '5']);
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/faces found in 6 of 6 decoded frames \(100%\)/);
      // simulate on the video itself gives what it gives on the prepared file
      const weights = join(c.dir, 'w.txt');
      const p = checkText(SMALL(6, 2, '[-1, 1]')).pipeline!;
      writeFileSync(weights, formatValues(partyValues(buildPipeline(p).inputs, p, 1, { seed: 5 })));
      const fromVideo = JSON.parse((await cli(['simulate', c.ppvc, '--video', video, '--weights', weights, '--fps', '5', '--json'])).stdout);
      const fromFile = JSON.parse((await cli(['simulate', c.ppvc, '--video', out, '--weights', weights, '--json'])).stdout);
      expect(fromVideo.input).toBe('video');
      expect(fromVideo.fixed.perFrame).toEqual(fromFile.fixed.perFrame);
      expect(fromVideo.float.perFrame).toEqual(fromFile.float.perFrame);
    },
    120_000,
  );

  testMedia(
    'a video shorter than the pipeline with --length exact: exit 1, no output file',
    async () => {
      const out = emptyDir('too-short');
      const video = join(MEDIA, 'happy-rakeshaa2002-humen-emotion.mp4'); // 6.0 s
      const ppvc = join(tmp, 'eight.ppvc');
      writeFileSync(ppvc, SMALL(8, 2));
      const r = await cli(['prepare-video', video, '--pipeline', ppvc, '-o', join(out, 'v.txt'), '--length', 'exact', '--fps', '1']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/the video gives \d usable frames at 1 fps, but the pipeline takes exactly 8 \(length 'exact'\)/);
      expect(readdirSync(out)).toEqual([]);
      noStackTrace(r.stderr);
    },
    120_000,
  );
});

describe('real videos: frame sampling, truncated files, face-crop options in batch simulate', () => {
  const ANGRY = join(MEDIA, 'angry-kameshpravin25-emotion-detection.mp4'); // 469 frames, 15.65 s
  const HAPPY = join(MEDIA, 'happy-rakeshaa2002-humen-emotion.mp4'); // 180 frames, 6.0 s

  testMedia(
    "spread (the default) covers the whole clip; --sample first takes its opening frames",
    async () => {
      const c = smallCase('spread', 6, 2);
      const spreadOut = join(c.dir, 'spread.txt');
      const firstOut = join(c.dir, 'first.txt');
      const spread = await cli(['prepare-video', ANGRY, '--pipeline', c.ppvc, '-o', spreadOut, '--json']);
      expect(spread.status).toBe(0);
      const s = JSON.parse(spread.stdout);
      expect(s).toMatchObject({ ok: true, framesInVideo: 469, framesDecoded: 6, framesUsed: 6, preparation: { sample: 'spread', length: 'trim' } });
      // the middle frame of each sixth of the clip: 1.3 s to 14.3 s of 15.65 s
      expect(s.frameIndices).toEqual([39, 117, 195, 273, 351, 429]);
      const first = await cli(['prepare-video', ANGRY, '--pipeline', c.ppvc, '-o', firstOut, '--sample', 'first', '--json']);
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout).frameIndices).toEqual([0, 1, 2, 3, 4, 5]);
      expect(readFileSync(spreadOut, 'utf8')).not.toEqual(readFileSync(firstOut, 'utf8'));
      const text = await cli(['prepare-video', ANGRY, '--pipeline', c.ppvc, '-o', spreadOut]);
      expect(text.stdout).toContain("6 distinct frames used (frames 39 to 429 of 469, 1.30 to 14.31 s, sample 'spread')");
    },
    120_000,
  );

  testMedia(
    'a truncated copy (the first 300 KB): exit 1 naming the frames found and needed, nothing written; --length pad pads, saying so',
    async () => {
      const cut = join(emptyDir('truncated-src'), 'angry-300k.mp4');
      writeFileSync(cut, readFileSync(ANGRY).subarray(0, 300_000));
      const out = emptyDir('truncated-out');
      const ppvc = join(tmp, 'ninety-seven.ppvc');
      writeFileSync(ppvc, SMALL(97, 7));
      const r = await cli(['prepare-video', cut, '--pipeline', ppvc, '-o', join(out, 'v.txt')]);
      expect(r.status).toBe(1);
      // 93 frames here (3.1 s of 15.65 s); another ffmpeg build may decode one more or less of the cut
      const m = /angry-300k\.mp4: the video gives only (\d+) usable frames, fewer than the pipeline's 97 \(length 'trim'\): it would need (\d+) copies of the last frame/.exec(r.stderr);
      expect(m).not.toBeNull();
      const [found, missing] = [Number(m![1]), Number(m![2])];
      expect(found).toBeGreaterThan(85);
      expect(found + missing).toBe(97);
      expect(r.stderr).toMatch(new RegExp(`ffmpeg decodes ${found} frames \\(3\\.\\d s\\), but the container says 15\\.65 s \\(about 469 frames\\): the file may be truncated or damaged`));
      expect(r.stderr).toContain(`\`--length pad\` fills up with ${missing} copies of the last frame`);
      expect(readdirSync(out)).toEqual([]);
      noStackTrace(r.stderr);
      // batch simulate reports the video as unusable and goes on (here: no other video, so exit 1)
      const w = smallCase('truncated-weights', 97, 7);
      const folder = emptyDir('truncated-batch');
      symlinkSync(cut, join(folder, 'angry-300k.mp4'));
      const batch = await cli(['simulate', w.ppvc, '--video', folder, '--weights', w.weights, '--json']);
      expect(batch.status).toBe(1);
      expect(JSON.parse(batch.stdout).videos[0].error).toContain(`the video gives only ${found} usable frames`);
      // asked to pad (at 2 fps: the 3.1 s give 6 frames, so 91 copies)
      const padded = await cli(['prepare-video', cut, '--pipeline', ppvc, '-o', join(out, 'v.txt'), '--length', 'pad', '--fps', '2', '--json']);
      expect(padded.status).toBe(0);
      const j = JSON.parse(padded.stdout);
      expect(j.framesUsed).toBe(j.framesInVideo);
      expect(j.framesUsed).toBeLessThan(8);
      expect(j.notes).toContain(`padded with ${97 - j.framesUsed} copies of the last frame to reach 97 (length 'pad')`);
      expect(readdirSync(out)).toEqual(['v.txt']);
    },
    120_000,
  );

  testMedia(
    'batch simulate passes --margin and --sample to the preparation prepare-video does',
    async () => {
      const c = smallCase('margin', 6, 2);
      writeFileSync(c.ppvc, SMALL(6, 2, '[-1, 1]'));
      const p = checkText(SMALL(6, 2, '[-1, 1]')).pipeline!;
      writeFileSync(c.weights, formatValues(partyValues(buildPipeline(p).inputs, p, 1, { seed: 7 })));
      const folder = emptyDir('margin-batch');
      symlinkSync(HAPPY, join(folder, 'happy-clip.mp4'));
      const prepared = join(c.dir, 'happy-0.2.txt');
      expect((await cli(['prepare-video', HAPPY, '--pipeline', c.ppvc, '-o', prepared, '--margin', '0.2'])).status).toBe(0);
      const fromFile = JSON.parse((await cli(['simulate', c.ppvc, '--video', prepared, '--weights', c.weights, '--json'])).stdout);
      const batch = async (...opts: string[]) => {
        const r = await cli(['simulate', c.ppvc, '--video', folder, '--weights', c.weights, '--json', ...opts]);
        expect(r.status).toBe(0);
        return JSON.parse(r.stdout);
      };
      const narrow = await batch('--margin', '0.2', '--pick', 'largest');
      expect(narrow.preparation).toMatchObject({ margin: 0.2, pick: 'largest', sample: 'spread', length: 'trim', noFace: 'reuse-last' });
      // the same frames prepare-video --margin 0.2 wrote
      expect(narrow.videos[0].fixed.perFrame).toEqual(fromFile.fixed.perFrame);
      expect(narrow.videos[0].float.perFrame).toEqual(fromFile.float.perFrame);
      // the default margin (0.4) and the opening frames give other inputs
      const wide = await batch();
      expect(wide.preparation.margin).toBeUndefined();
      expect(wide.videos[0].fixed.perFrame).not.toEqual(fromFile.fixed.perFrame);
      const opening = await batch('--margin', '0.2', '--sample', 'first');
      expect(opening.videos[0].fixed.perFrame).not.toEqual(fromFile.fixed.perFrame);
      // and a single video given to simulate takes them too
      const single = JSON.parse((await cli(['simulate', c.ppvc, '--video', HAPPY, '--weights', c.weights, '--margin', '0.2', '--json'])).stdout);
      expect(single.fixed.perFrame).toEqual(fromFile.fixed.perFrame);
      expect(single.prepared.frameIndices).toEqual([15, 45, 75, 105, 135, 165]);
    },
    240_000,
  );
});
