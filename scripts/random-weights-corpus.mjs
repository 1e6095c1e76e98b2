#!/usr/bin/env node
// Random weights at realistic scales, checked on the Keras corpus (docs/import-corpus.md):
// for every model, import it (2 frames, 1 selected), write `random-weights --seed 1` and a
// random video, simulate, and print one Markdown row: does the fixed-point signal survive
// (no layer under 4 significant bits), do float and fixed labels agree, the largest
// activation magnitude and the logits' rms. A model whose simulation takes longer than the
// timeout is skipped and says so, so that one slow model does not hold up the table.
//
//   node scripts/random-weights-corpus.mjs [--cli dist/cli.js] [--timeout 120] [--corpus DIR] [--work DIR] [MODEL.json ...]
//
// --cli lets the same run compare two builds (a copy of dist/ from before a change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { takeOption } from './options.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => takeOption(args, name, fallback);
const cli = resolve(option('--cli', 'dist/cli.js'));
const timeout = Number(option('--timeout', '120')) * 1000;
const corpus = option('--corpus', '/work/shared/corpus/keras');
const work = option('--work', '/tmp/random-weights-corpus');
mkdirSync(work, { recursive: true });

/** Runs the CLI; a timeout is reported rather than thrown (the row says "skipped"). */
function run(cmd, extra, ms = 600_000) {
  const r = spawnSync(process.execPath, [cli, cmd, ...extra], { encoding: 'utf8', timeout: ms, maxBuffer: 1 << 30 });
  return { ok: r.status === 0, timedOut: r.error?.code === 'ETIMEDOUT', stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const firstLine = (text) => (text.split('\n').find((l) => l.startsWith('error')) ?? text.trim().split('\n')[0] ?? '').slice(0, 80);

/** One model: import once (shared by the builds compared), then weights, video, simulate. */
function check(file) {
  const name = file.replace(/\.json$/, '');
  const ppvc = join(work, `${name}.ppvc`);
  if (!existsSync(ppvc)) {
    const imp = run('import', [join(corpus, file), '--frames', '2', '--select', '1', '-o', ppvc]);
    if (!imp.ok) return { name, skipped: `not importable: ${firstLine(imp.stderr)}` };
  }
  const tag = cli.replace(/[^a-z0-9]+/gi, '_');
  const weights = join(work, `${name}.${tag}.w.txt`);
  const video = join(work, `${name}.v.txt`);
  const w = run('random-weights', [ppvc, '--seed', '1', '-o', weights, '--video-out', video]);
  if (!w.ok) return { name, skipped: `random-weights failed: ${firstLine(w.stderr)}` };
  const started = Date.now();
  const s = run('simulate', [ppvc, '--video', video, '--weights', weights, '--json'], timeout);
  if (s.timedOut) return { name, skipped: `simulate took more than ${timeout / 1000} s` };
  let r;
  try {
    r = JSON.parse(s.stdout);
  } catch {
    return { name, skipped: `simulate failed: ${firstLine(s.stderr)}` };
  }
  return summarise(name, r, (Date.now() - started) / 1000);
}

/** The row's figures from simulate's JSON (fields of src/simulate/report.ts). */
function summarise(name, r, seconds) {
  // the network's own layers: not the input, nor the softmax's and aggregation's sums
  const layers = r.layers.filter((l) => l.op !== 'input' && !l.op.startsWith('sum'));
  const largest = layers.reduce((m, l) => (l.maxAbs > m.maxAbs ? l : m), { maxAbs: 0 });
  const signal = r.signal ?? r.fixed?.signal;
  const linear = (signal?.layers ?? []).filter((l) => ['conv2d', 'depthwise_conv2d', 'dense'].includes(l.op));
  const logits = linear[linear.length - 1];
  const weakest = (signal?.layers ?? []).filter((l) => l.bits !== undefined && l.bits !== null).reduce((m, l) => (l.bits < m.bits ? l : m), { bits: Infinity });
  return {
    name,
    seconds,
    kept: signal ? signal.worstBits >= 4 : undefined,
    worstBits: signal?.worstBits,
    weakest: weakest.name,
    agree: r.labelsAgree,
    largest: largest.maxAbs,
    largestAt: largest.name,
    logitRms: logits?.rms,
  };
}

const fmt = (x) => (x === undefined ? '–' : x >= 1e4 || x < 1e-3 ? x.toExponential(1) : x.toPrecision(3));
const models = args.length ? args : JSON.parse(readFileSync(join(corpus, 'meta/expected.json'), 'utf8')).map((m) => m.file);
console.log(`| model | signal kept (worst bits, at) | float = fixed label | largest |activation| (at) | logits rms | simulate s |`);
console.log(`|---|---|---|---|---|---|`);
for (const file of models) {
  const r = check(file);
  if (r.skipped) console.log(`| ${r.name} | ${r.skipped} | | | | |`);
  else {
    const kept = `${r.kept ? 'yes' : 'NO'} (${fmt(r.worstBits)}, ${r.weakest})`;
    console.log(`| ${r.name} | ${kept} | ${r.agree ? 'yes' : 'NO'} | ${fmt(r.largest)} (${r.largestAt}) | ${fmt(r.logitRms)} | ${r.seconds.toFixed(0)} |`);
  }
}
