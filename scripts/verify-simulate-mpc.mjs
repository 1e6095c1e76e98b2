#!/usr/bin/env node
// Checks the fixed-point emulation (src/simulate) against real MP-SPDZ runs. Not part of CI: it
// needs MP-SPDZ with the party programs, and minutes.
//
//   npx tsc -p tsconfig.build.json
//   node scripts/verify-simulate-mpc.mjs [--mp-spdz DIR] [--media DIR] [--videos a.mp4,b.mp4] [--work DIR]
//
// For each case it builds a debug copy of the pipeline that also reveals the summed per-class
// vector (`reveal sum to alice`, under a pipeline name of its own so no other program in the
// MP-SPDZ tree is touched), runs it with `ppvc-dsl run --patch-mp-spdz` (this modifies that
// tree's Compiler/ml.py if the helpers are missing), and compares the secure label and the
// printed sums with simulate's fixed-point emulation (and the float reference) on the same
// input files. Cases:
//   1. examples/emotion.ppvc on ../shared/seed/sample_video.txt with random weights (seed 1,
//      frames every:15);
//   2.. the Human emotion model (20 frames, 5 selected evenly, range [-1, 1]) on media videos
//      prepared as `ppvc-dsl prepare-video` does (sampled at 4 fps, the face cropped).
// Exit status 0 when every secure label equals the emulated one and every printed sum is within
// 1e-3 of the emulated sum; 1 otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const { values: args } = parseArgs({
  options: {
    'mp-spdz': { type: 'string', default: process.env.MP_SPDZ_HOME || '/opt/mp-b' },
    media: { type: 'string', default: resolve(ROOT, '..', 'shared', 'media') },
    seed: { type: 'string', default: resolve(ROOT, '..', 'shared', 'seed', 'sample_video.txt') },
    videos: {
      type: 'string',
      default: 'angry-kameshpravin25-emotion-detection.mp4,happy-rakeshaa2002-humen-emotion.mp4,angry-rakeshaa2002-humen-emotion.mp4,neutral-vdotup-blink-detection.mp4',
    },
    work: { type: 'string', default: join(tmpdir(), 'ppvc-verify-simulate') },
    fps: { type: 'string', default: '4' },
    'skip-seed': { type: 'boolean', default: false },
  },
});
if (!existsSync(join(DIST, 'cli.js')) || !existsSync(join(DIST, 'simulate', 'simulate.js'))) {
  console.error('build first: npx tsc -p tsconfig.build.json');
  process.exit(2);
}
const { checkSource, buildPipeline } = await import(join(DIST, 'compile.js'));
const { simulate } = await import(join(DIST, 'simulate', 'simulate.js'));
const { readValues64 } = await import(join(DIST, 'inputs', 'read-values.js'));
const { assembleInputs, prepareOptionsFor } = await import(join(DIST, 'simulate', 'inputs.js'));
const { prepareVideo, writePreparedVideo, openFaceDetector } = await import(join(DIST, 'video', 'index.js'));

const work = resolve(args.work);
mkdirSync(work, { recursive: true });
const TOLERANCE = 1e-3;

function cli(argv, what) {
  const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
    process.exit(2);
  }
  return r.stdout;
}

function pipelineOf(path) {
  const outcome = checkSource({ path, text: readFileSync(path, 'utf8') });
  if (!outcome.pipeline) throw new Error(`${path}: ${outcome.diagnostics.map((d) => d.message).join('; ')}`);
  return outcome.pipeline;
}

/** The debug copy: its own pipeline name, and the summed vector revealed too. */
function debugCopy(text, name) {
  const lines = text.split('\n').map((l) => (/^pipeline\s+\w+/.test(l) ? `pipeline ${name}` : l));
  if (!lines.some((l) => /^reveal\s+sum\b/.test(l))) lines.push('reveal sum to alice');
  return lines.join('\n') + '\n';
}

async function runCase(c) {
  const p = pipelineOf(c.pipeline);
  const plan = buildPipeline(p).inputs;
  const video = { path: c.video, values: readValues64(c.video) };
  const weights = { path: c.weights, values: readValues64(c.weights) };
  const values = assembleInputs(p, plan, { video, weights });
  const sim = await simulate(p, plan, values, { seed: 1 });
  const started = Date.now();
  const out = cli(
    ['run', c.debugPipeline, '--mp-spdz', args['mp-spdz'], '--patch-mp-spdz', '--video-input', c.video, '--model-input', c.weights, '-o', join(work, `build-${c.debugName}`), '--json'],
    `run ${c.name}`,
  );
  const record = JSON.parse(out);
  const secureLabel = Number(record.outputs.label ?? record.label);
  const secureSum = String(record.outputs.sum).trim().split(/\s+/).map(Number);
  const sumDiff = Math.max(...secureSum.map((x, j) => Math.abs(x - sim.fixed.aggregate[j])));
  const floatSumDiff = Math.max(...secureSum.map((x, j) => Math.abs(x - sim.float.aggregate[j])));
  const ok = secureLabel === sim.fixed.label && sumDiff <= TOLERANCE;
  return {
    name: c.name,
    frames: sim.fixed.frames,
    secureLabel,
    fixedLabel: sim.fixed.label,
    floatLabel: sim.float.label,
    secureSum,
    fixedSum: sim.fixed.aggregate,
    floatSum: sim.float.aggregate,
    sumDiff,
    floatSumDiff,
    maxDifference: sim.maxDifference,
    simulateSeconds: sim.seconds.fixed + sim.seconds.float,
    mpcSeconds: (Date.now() - started) / 1000,
    ok,
  };
}

const cases = [];
if (!args['skip-seed']) {
  const text = readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8');
  const pipeline = join(work, 'emotion.ppvc');
  writeFileSync(pipeline, text);
  const debugName = 'simverify_emotion';
  const debugPipeline = join(work, `${debugName}.ppvc`);
  writeFileSync(debugPipeline, debugCopy(text, debugName));
  const weights = join(work, 'emotion-weights.txt');
  cli(['random-weights', pipeline, '--seed', '1', '--frames', 'every:15', '-o', weights], 'random-weights');
  cases.push({ name: 'emotion.ppvc / sample_video.txt (random weights, seed 1)', pipeline, debugPipeline, debugName, video: resolve(args.seed), weights });
}
const videos = args.videos.split(',').filter(Boolean);
if (videos.length > 0) {
  const human = join(ROOT, 'node_modules', '@vladmandic', 'human', 'models', 'emotion.json');
  const text = [
    '# The Human library emotion model: 20 frames, 5 chosen obliviously (scripts/verify-simulate-mpc.mjs).',
    'pipeline human20',
    'party alice = 0',
    'party bob = 1',
    'video frames: [20, 64, 64, 1] from alice range [-1, 1]',
    'select 5 frames by bob',
    `model net by bob from "${human}"`,
    'classify each frame with net, softmax relu_normalized',
    'label = argmax(sum)',
    'reveal label to alice',
  ].join('\n');
  const pipeline = join(work, 'human20.ppvc');
  writeFileSync(pipeline, text + '\n');
  const debugName = 'simverify_human20';
  const debugPipeline = join(work, `${debugName}.ppvc`);
  writeFileSync(debugPipeline, debugCopy(text, debugName));
  const weights = join(work, 'human20-weights.txt');
  cli(['export-weights', pipeline, '--frames', 'even', '-o', weights], 'export-weights');
  const p = pipelineOf(pipeline);
  const detector = await openFaceDetector();
  try {
    for (const v of videos) {
      const path = join(args.media, v);
      const out = join(work, `${basename(v).replace(/\.[^.]+$/, '')}.txt`);
      if (!existsSync(out)) {
        const prepared = await prepareVideo(path, { ...prepareOptionsFor(p, { noFace: 'reuse-last', length: 'pad', fps: Number(args.fps) }), detector });
        writePreparedVideo(out, prepared);
        console.error(`prepared ${v}: faces in ${prepared.framesWithFace} of ${prepared.framesDecoded} frames`);
      }
      cases.push({ name: `human emotion / ${v}`, pipeline, debugPipeline, debugName, video: out, weights });
    }
  } finally {
    await detector.close();
  }
}

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
let failures = 0;
for (const c of cases) {
  const r = await runCase(c);
  if (!r.ok) failures++;
  const f = (xs) => xs.map((x) => x.toFixed(5)).join(' ');
  const lab = (i) => (c.name.startsWith('human') ? `${i} (${EMOTIONS[i]})` : String(i));
  console.log(`${r.ok ? 'OK  ' : 'FAIL'} ${r.name}: frames ${r.frames.join(',')}`);
  console.log(`     label: secure ${lab(r.secureLabel)}, emulated ${lab(r.fixedLabel)}, float ${lab(r.floatLabel)}`);
  console.log(`     sum secure   ${f(r.secureSum)}`);
  console.log(`     sum emulated ${f(r.fixedSum)}   max |secure - emulated| = ${r.sumDiff.toExponential(2)}`);
  console.log(`     sum float    ${f(r.floatSum)}   max |secure - float|    = ${r.floatSumDiff.toExponential(2)}`);
  console.log(`     simulate ${r.simulateSeconds.toFixed(2)} s, secure run (compile cached or not) ${r.mpcSeconds.toFixed(1)} s`);
}
console.log(`${cases.length - failures} of ${cases.length} cases agree (label equal, sums within ${TOLERANCE}); MP-SPDZ prints sums with 6 significant digits`);
process.exit(failures ? 1 : 0);
