#!/usr/bin/env node
// Wall time of `simulate` (float reference + fixed-point emulation) on the paper's pipeline:
// examples/emotion.ppvc (1.5M parameters) on the 97-frame seed video, 7 frames selected
// (random weights, seed 1, every 15th frame). Target: under 3 s for both together.
//
//   npx tsc -p tsconfig.build.json
//   node scripts/bench-simulate.mjs [--runs N] [--video FILE] [--json]
//
// Reports reading the two input files, the first (cold: TensorFlow.js's WebAssembly start-up
// included) simulate call, and the median of the following (warm) calls, each split into the
// fixed-point emulation and the float reference.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    video: { type: 'string', default: resolve(ROOT, '..', 'shared', 'seed', 'sample_video.txt') },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(join(DIST, 'simulate', 'simulate.js'))) {
  console.error('build first: npx tsc -p tsconfig.build.json');
  process.exit(2);
}
if (!existsSync(args.video)) {
  console.error(`${args.video}: not found (the seed video, ../shared/seed/sample_video.txt)`);
  process.exit(2);
}
const { checkSource, buildPipeline } = await import(join(DIST, 'compile.js'));
const { partyValues } = await import(join(DIST, 'inputs', 'random-inputs.js'));
const { formatValues } = await import(join(DIST, 'inputs', 'text-format.js'));
const { readValues64 } = await import(join(DIST, 'inputs', 'read-values.js'));
const { assembleInputs } = await import(join(DIST, 'simulate', 'inputs.js'));
const { simulate } = await import(join(DIST, 'simulate', 'simulate.js'));

const path = join(ROOT, 'examples', 'emotion.ppvc');
const p = checkSource({ path, text: readFileSync(path, 'utf8') }).pipeline;
const plan = buildPipeline(p).inputs;
const dir = mkdtempSync(join(tmpdir(), 'ppvc-bench-simulate-'));
const weightsPath = join(dir, 'weights.txt');
// as `ppvc-dsl random-weights examples/emotion.ppvc --seed 1 --frames every:15` writes it
const frames = Array.from({ length: 7 }, (_, i) => i * 15);
writeFileSync(weightsPath, formatValues(partyValues(plan, p, p.model.owner.id, { seed: 1, frames })));

const now = () => performance.now();
let t = now();
const video = { path: args.video, values: readValues64(args.video) };
const weights = { path: weightsPath, values: readValues64(weightsPath) };
const values = assembleInputs(p, plan, { video, weights });
const readSeconds = (now() - t) / 1000;

const runs = [];
for (let i = 0; i < Math.max(2, Number(args.runs)); i++) {
  t = now();
  const r = await simulate(p, plan, values, { seed: 1 });
  runs.push({ total: (now() - t) / 1000, fixed: r.seconds.fixed, float: r.seconds.float, label: r.fixed.label, floatLabel: r.float.label, maxDifference: r.maxDifference });
}
rmSync(dir, { recursive: true, force: true });
const warm = runs.slice(1).sort((a, b) => a.total - b.total);
const median = warm[Math.floor(warm.length / 2)];
const result = {
  pipeline: 'examples/emotion.ppvc',
  video: args.video,
  frames: `7 of ${p.video.frames}`,
  parameters: weights.values.length - 7 * p.video.frames,
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model, load: loadavg().map((x) => Number(x.toFixed(2))) },
  readSeconds,
  cold: runs[0],
  warmMedian: median,
  coldWithRead: readSeconds + runs[0].total,
  target: 3,
};
if (args.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const s = (x) => `${x.toFixed(2)} s`;
  console.log(`simulate examples/emotion.ppvc on ${args.video}: 7 of 97 frames, ${result.parameters} parameters`);
  console.log(`machine: ${result.machine.cpus} cpus (${result.machine.model}), load ${result.machine.load.join(' ')}`);
  console.log(`read the inputs (float64)       ${s(readSeconds)}`);
  console.log(`simulate, cold (TF.js start-up) ${s(runs[0].total)}  = fixed ${s(runs[0].fixed)} + float ${s(runs[0].float)}`);
  console.log(`simulate, warm median of ${warm.length}      ${s(median.total)}  = fixed ${s(median.fixed)} + float ${s(median.float)}`);
  console.log(`read + cold simulate            ${s(result.coldWithRead)}  (target < 3 s: ${result.coldWithRead < 3 ? 'met' : 'MISSED'})`);
  console.log(`labels: fixed ${runs[0].label}, float ${runs[0].floatLabel}; largest difference ${runs[0].maxDifference.toExponential(2)}`);
}
