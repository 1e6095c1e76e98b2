#!/usr/bin/env node
// Sweeps the fixed-point precision (precision F K) of a pipeline through ppvc-dsl's typed API,
// without editing the pipeline: for each setting, the float reference's label next to the
// fixed-point emulation's (what MP-SPDZ computes), their largest difference, and how close the
// largest value comes to what sfix(F, K) holds. With --mpc it also runs each setting under
// MP-SPDZ (where one is set up: `ppvc-dsl setup-mp-spdz`) and shows the revealed label.
//
//   npm run build && node examples/sweep-precision.mjs                      # examples/emotion.ppvc, about 30 s
//   node examples/sweep-precision.mjs examples/tiny-2pc.ppvc --mpc --protocol replicated-ring
//   node examples/sweep-precision.mjs --precisions 16:31,10:20 --seed 2
//
// The inputs are seeded random weights and a random video (randomInputs), the same for every
// setting. A setting the pipeline cannot take is a row with its error: errors are values.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomInputs, run, simulate } from 'ppvc-dsl';

// 24 40 does not fit a 64-bit ring (k + f must stay below it): its row shows the checker's error
const DEFAULT_PRECISIONS = '16:31,12:22,10:20,8:16,6:12,24:40';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    precisions: { type: 'string', default: DEFAULT_PRECISIONS },
    seed: { type: 'string', default: '1' },
    mpc: { type: 'boolean', default: false },
    protocol: { type: 'string' },
  },
});
const pipeline = positionals[0] ?? relative(process.cwd(), fileURLToPath(new URL('emotion.ppvc', import.meta.url)));
const precisions = args.precisions.split(',').map((s) => {
  const [f, k] = s.split(':').map(Number);
  return { f, k };
});
const seed = Number(args.seed);
const protocol = args.protocol;

/** The first error of a failed stage, on one line (its full text is `errors[0].text`). */
const firstError = (r) => `error: ${r.errors[0].message}`;

const inputs = await randomInputs(pipeline, { seed, protocol });
if (!inputs.ok) {
  for (const e of inputs.errors) console.error(e.text);
  process.exit(inputs.exitStatus);
}

/** One row: the simulation (and the MPC run) at precision f, k. */
async function row({ f, k }) {
  const settings = { precision: { f, k }, protocol };
  const sim = await simulate(pipeline, { ...settings, video: inputs.video, weights: inputs.weights });
  if (!sim.ok) return { f, k, error: firstError(sim) };
  // the layer (or softmax stage) that comes closest to overflowing sfix(f, k)
  const closest = Math.max(...sim.layers.map((l) => l.ratio));
  const out = { f, k, float: sim.float.label, fixed: sim.fixed.label, agree: sim.labelsAgree, diff: sim.maxDifference, closest };
  if (!args.mpc) return out;
  const outDir = mkdtempSync(join(tmpdir(), 'ppvc-sweep-'));
  try {
    const r = await run(pipeline, { ...settings, video: inputs.video, weights: inputs.weights, outDir, patchMpSpdz: true });
    return { ...out, mpc: r.ok ? r.label : firstError(r), mb: r.ok ? r.record.parties[0]?.dataSentMB : undefined };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

console.log(`${pipeline}: random weights and video (seed ${seed}), float reference vs fixed point${args.mpc ? ' vs MPC' : ''}${protocol ? ` under ${protocol}` : ''}`);
const head = ['f', 'k', 'float', 'fixed', 'agree', 'largest diff', 'max |value|/limit', ...(args.mpc ? ['MPC label', 'MB (party 0)'] : [])];
const widths = head.map((h) => Math.max(h.length, 5));
const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
console.log(line(head));
for (const p of precisions) {
  const r = await row(p);
  if (r.error) {
    console.log(`${line([r.f, r.k])}  ${r.error}`);
    continue;
  }
  const cells = [r.f, r.k, r.float, r.fixed, r.agree ? 'yes' : 'NO', r.diff.toExponential(2), r.closest.toExponential(1)];
  if (args.mpc) cells.push(r.mpc, r.mb === undefined ? '-' : r.mb.toPrecision(3));
  console.log(line(cells));
}
