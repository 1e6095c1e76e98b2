#!/usr/bin/env node
// Measures what the truncation after products costs under each protocol: `trunc probabilistic`
// (MP-SPDZ's probabilistic truncation: the protocol's one-round trunc_pr where `compile.py -E`
// enables it, its generic TruncPrRing elsewhere) against `trunc nearest` (sfix.round_nearest:
// deterministic rounding to nearest). The table is the one in docs/security.md. Not part of CI:
// it needs MP-SPDZ with the party programs (`ppvc-dsl setup-mp-spdz --protocols all`), and 20 to
// 40 minutes on two cores.
//
//   npx tsc -p tsconfig.build.json
//   node scripts/measure-truncation.mjs [--mp-spdz DIR] [--protocols LIST] [--trunc LIST]
//        [--cases LIST] [--work DIR] [--results FILE.jsonl] [--seed-video FILE] [--dist DIR]
//   node scripts/measure-truncation.mjs --render FILE.jsonl    the table of earlier results
//
// Cases (--cases, default all):
//   emotion-run      examples/emotion.ppvc run under replicated-ring, rep4-ring, sy-rep-ring on
//                    ../shared/seed/sample_video.txt with He-uniform random weights (seed 1,
//                    frames every:15);
//   emotion-compile  examples/emotion.ppvc compiled only under semi2k and spdz2k (a run would take
//                    hours: compile.py -E's expected communication and VM rounds instead);
//   tiny-run         examples/tiny-2pc.ppvc run under semi2k and spdz2k on a seeded random video
//                    and random weights (seed 1).
// Each variant is a copy of the example under a pipeline name of its own (so no other program in
// the MP-SPDZ tree is touched) with `protocol P` and `trunc T` in its target. Every variant is
// compiled (compile.py -E: VM rounds, expected MB, the warnings it printed; by `ppvc-dsl build`,
// or by `run`, which records them beside the program), and the run cases are run with every
// party on this machine (`ppvc-dsl run --patch-mp-spdz`, which adds the program's helpers to the
// tree's Compiler/ml.py if they are missing) and checked against the float reference label of
// `ppvc-dsl simulate` on the same input files.
// Data sent and rounds do not depend on the inputs or the machine; times do (two shared cores:
// noisy). Prints a Markdown table; appends one JSON line per variant to --results.
// Exit status 0 when every run revealed the reference label, 1 otherwise, 2 on setup problems.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    dist: { type: 'string', default: join(resolve(import.meta.dirname, '..'), 'dist') },
    'mp-spdz': { type: 'string' },
    protocols: { type: 'string', default: 'replicated-ring,rep4-ring,sy-rep-ring,semi2k,spdz2k' },
    trunc: { type: 'string', default: 'probabilistic,nearest' },
    cases: { type: 'string', default: 'emotion-run,emotion-compile,tiny-run' },
    work: { type: 'string', default: join(tmpdir(), 'ppvc-measure-truncation') },
    results: { type: 'string' },
    'seed-video': { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'seed', 'sample_video.txt') },
    render: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  // this file's header comment
  const own = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  const end = own.findIndex((l, i) => i > 0 && !l.startsWith('//'));
  console.log(own.slice(1, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
// the ppvc-dsl build that runs (--dist: a build of another checkout, for a stable generator
// while this tree changes), and the examples beside it
const DIST = resolve(args.dist);
const ROOT = resolve(DIST, '..');
if (!existsSync(join(DIST, 'cli.js'))) {
  console.error('build first: npx tsc -p tsconfig.build.json');
  process.exit(2);
}
const { PROTOCOLS } = await import(join(DIST, 'target', 'protocols.js'));
if (args.render) {
  render(readFileSync(args.render, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
  process.exit(0);
}
const work = resolve(args.work);
mkdirSync(work, { recursive: true });
const protocols = args.protocols.split(',');
const truncs = args.trunc.split(',');
const cases = args.cases.split(',');
const mpArgs = args['mp-spdz'] ? ['--mp-spdz', args['mp-spdz']] : [];

function cli(argv, what) {
  const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exit(2);
  }
  return r.stdout;
}

/** A copy of an example under its own pipeline name, with `protocol P` and `trunc T` in its target. */
function variant(example, protocol, trunc) {
  const text = readFileSync(join(ROOT, 'examples', `${example}.ppvc`), 'utf8');
  const name = `trm_${example}_${protocol}_${trunc}`.replace(/-/g, '_');
  const out = text
    .replace(/^pipeline \w+/m, `pipeline ${name}`)
    .replace(/^target mp-spdz \{(.*)\}/m, (_, opts) => `target mp-spdz {${opts.replace(/\s*\btrunc\s+\w+/, '').replace(/protocol\s+[\w-]+/, `protocol ${protocol}`)}  trunc ${trunc} }`);
  if (!out.includes(`trunc ${trunc} }`)) throw new Error(`${example}: no target statement to edit`);
  const path = join(work, `${name}.ppvc`);
  writeFileSync(path, out);
  return { name, path };
}

/** A seeded uniform video in [0, 1] (the tiny example's input; a linear congruential generator, fixed). */
function randomVideo(path, count, seed) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  writeFileSync(path, Array.from({ length: count }, () => next().toFixed(6)).join('\n') + '\n');
}

const inputs = {};
function inputsFor(example) {
  if (inputs[example]) return inputs[example];
  const pipeline = join(ROOT, 'examples', `${example}.ppvc`);
  const model = join(work, `${example}-model.txt`);
  let video;
  if (example === 'emotion') {
    video = resolve(args['seed-video']);
    if (!existsSync(video)) {
      console.error(`${video} is not there (--seed-video FILE)`);
      process.exit(2);
    }
    cli(['random-weights', pipeline, '--seed', '1', '--frames', 'every:15', '-o', model], `random-weights ${example}`);
  } else {
    video = join(work, `${example}-video.txt`);
    const check = JSON.parse(cli(['check', pipeline, '--json'], `check ${example}`)).pipeline;
    randomVideo(video, check.video.reduce((a, b) => a * b, 1), 7);
    cli(['random-weights', pipeline, '--seed', '1', '-o', model], `random-weights ${example}`);
  }
  const sim = JSON.parse(cli(['simulate', pipeline, '--video', video, '--weights', model, '--json'], `simulate ${example}`));
  return (inputs[example] = { video, model, reference: sim.float.label, fixedLabel: sim.fixed.label });
}

const plan = [];
for (const c of cases) {
  const [example, mode, only] =
    c === 'emotion-run' ? ['emotion', 'run', ['replicated-ring', 'rep4-ring', 'sy-rep-ring']]
    : c === 'emotion-compile' ? ['emotion', 'compile', ['semi2k', 'spdz2k']]
    : c === 'tiny-run' ? ['tiny-2pc', 'run', ['semi2k', 'spdz2k']]
    : [undefined];
  if (!example) {
    console.error(`unknown case ${c} (emotion-run, emotion-compile, tiny-run)`);
    process.exit(2);
  }
  for (const protocol of protocols.filter((p) => only.includes(p))) for (const trunc of truncs) plan.push({ example, mode, protocol, trunc });
}

const TRUNC_PR_WARNING = 'Probabilistic truncation leaks some information';
const rows = [];
let failed = false;
for (const { example, mode, protocol, trunc } of plan) {
  const v = variant(example, protocol, trunc);
  const out = join(work, v.name);
  process.stderr.write(`${v.name}: ${mode === 'run' ? 'run' : 'build'}...\n`);
  const row = { example, protocol, trunc };
  let compiled;
  if (mode === 'run') {
    // run compiles (when the program changed) and records compile.py's report beside the program
    const ins = inputsFor(example);
    const run = JSON.parse(cli(['run', v.path, '-o', out, '--video-input', ins.video, '--model-input', ins.model, '--patch-mp-spdz', ...mpArgs, '--json'], `run ${v.name}`));
    const stamp = join(run.mpSpdz.root, 'Programs', 'Source', `${v.name}.ppvc-stamp`);
    compiled = JSON.parse(readFileSync(stamp, 'utf8').split('\n')[1]);
    Object.assign(row, {
      label: Number(run.label),
      reference: ins.reference,
      dataSentMB: run.parties.map((p) => p.dataSentMB),
      rounds: run.parties[0].rounds,
      partySeconds: run.parties[0].seconds,
      wallSeconds: run.wallSeconds,
      mpSpdz: `${run.mpSpdz.version} (${run.mpSpdz.commit})`,
    });
    if (row.label !== row.reference) failed = true;
  } else {
    compiled = JSON.parse(cli(['build', v.path, '-o', out, '--patch-mp-spdz', ...mpArgs, '--json'], `build ${v.name}`)).compile;
    if (!compiled) {
      console.error(`build ${v.name} did not compile: no MP-SPDZ found (--mp-spdz DIR, MP_SPDZ_HOME, or ppvc-dsl setup-mp-spdz)`);
      process.exit(2);
    }
  }
  Object.assign(row, {
    vmRounds: compiled.rounds,
    expectedMB: Math.round((compiled.expectedOnlineMB + compiled.expectedOfflineMB) * 10) / 10,
    truncPrWarning: compiled.warnings.some((w) => w.includes(TRUNC_PR_WARNING)),
    unexpectedWarnings: compiled.unexpectedWarnings,
  });
  rows.push(row);
  if (args.results) appendFileSync(args.results, JSON.stringify({ ...row, date: new Date().toISOString() }) + '\n');
  process.stderr.write(`  ${JSON.stringify(row)}\n`);
}

render(rows);
process.exit(failed ? 1 : 0);

function render(rows) {
  const fmt = (x, d = 1) => (x === undefined ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  console.log('| program | protocol | trunc | VM rounds | expected MB (compile.py -E) | data sent MB per party | rounds (party 0) | party 0 s / wall s | label (reference) | compile.py trunc_pr warning |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const trunc = `${r.trunc}${PROTOCOLS[r.protocol]?.defaultTruncation === r.trunc ? ' (default)' : ''}`;
    const data = r.dataSentMB ? r.dataSentMB.map((x) => fmt(x)).join(' / ') : '–';
    const time = r.partySeconds !== undefined ? `${fmt(r.partySeconds)} / ${fmt(r.wallSeconds)}` : '–';
    const label = r.label !== undefined ? `${r.label} (${r.reference})${r.label === r.reference ? '' : ' **differs**'}` : '–';
    console.log(`| ${r.example} | ${r.protocol} | ${trunc} | ${r.vmRounds} | ${fmt(r.expectedMB)} | ${data} | ${r.rounds === undefined ? '–' : fmt(r.rounds, 0)} | ${time} | ${label} | ${r.truncPrWarning ? 'yes' : 'no'} |`);
  }
  const mp = rows.find((r) => r.mpSpdz)?.mpSpdz;
  if (mp) console.log(`\nMP-SPDZ ${mp}.`);
}
