// `npm run bench`: the paper pipeline in the seed style (the baseline) and ppvc-dsl's optimized
// style, under each protocol that completes here, side by side, with MP-SPDZ's own figures.
// A script, not a test: it needs MP-SPDZ (setup-mp-spdz's build, or MP_SPDZ_HOME) and writes bench-results/.
import { readFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkSource, buildPipeline } from '../compile.js';
import { checkAndSuggestBounds } from '../simulate/declared-bounds.js';
import { PROTOCOLS, type ProtocolName } from '../target/protocols.js';
import { locateMpSpdz, applyPatch, missingHelpersIn, type CompileReport } from '../backend/mp-spdz.js';
import { findCachedBuild } from '../backend/mp-spdz-cache.js';
import { compileIfStale, runPipeline, type ResultRecord } from '../backend/run-pipeline.js';
import { randomBasePort } from '../backend/local-run.js';
import { everyKth, partyValues } from '../inputs/random-inputs.js';
import { formatValues, readValues } from '../inputs/text-format.js';
import { evaluateReference } from '../reference/evaluate.js';
import { writeFileAtomic } from '../util/files.js';
import type { EmitStyle } from '../emit/mpc-program.js';
import { OPTIMIZATION_NAMES, defaultOptimizations, parseOptimizationSwitches, type OptimizationSet } from '../target/optimizations.js';
import { startRelay, type Relay } from './delay-relay.js';
import { fitsRing, ringFitOf } from '../ir/ring-fit.js';

const RTT_SECONDS = 0.01;

interface Row {
  protocol: string;
  /** `seed`, `optimized`, or either with switches: `optimized:no-winograd` */
  style: string;
  compileSeconds: number;
  expectedOnlineMB?: number;
  expectedOfflineMB?: number;
  vmRounds?: number;
  dataSentMB: (number | undefined)[];
  rounds?: number;
  wallSeconds: number;
  partySeconds?: number;
  estimatedSecondsAt10msRtt?: number;
  label?: string;
  referenceLabel: number;
  note?: string;
}

// Long: the benchmark script itself, protocol by protocol and style by style: build, inputs,
// run, record; a script's sequence rather than a function other code calls.
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // a tree built for a 32-bit ring runs 64-bit programs too: it serves every row
  const ring = args.some((a) => /^--styles=.*@32\//.test(a)) ? 32 : 64;
  const home = process.env['MP_SPDZ_HOME'] || findCachedBuild({ ring });
  if (!home) {
    process.stderr.write(`bench needs MP-SPDZ: run \`ppvc-dsl setup-mp-spdz --source DIR${ring === 32 ? ' --ring 32' : ''}\` or set MP_SPDZ_HOME to a built MP-SPDZ tree\n`);
    process.exit(2);
  }
  const root = resolve(import.meta.dirname, '..', '..');
  const pipelinePath = args.find((a) => a.endsWith('.ppvc')) ?? join(root, 'examples', 'emotion.ppvc');
  const videoPath = resolve(root, '..', 'shared', 'seed', 'sample_video.txt');
  const protocols = (args.find((a) => a.startsWith('--protocols='))?.slice(12).split(',') ?? ['replicated-ring', 'rep4-ring', 'sy-rep-ring']) as ProtocolName[];
  // --styles=seed,optimized,optimized:no-winograd+no-batch-frames (switches joined by +),
  // optimized@32/12/19 (a ring of 32 bits, precision 12 19, instead of the pipeline's);
  // --ablation adds, per protocol, the optimized style with each optimisation flipped
  const styleSpecs = args.find((a) => a.startsWith('--styles='))?.slice(9).split(',') ?? ['seed', 'optimized'];
  const ablation = args.includes('--ablation');
  // --latency-ms=R: the parties talk through user-space relays adding R/2 ms each way
  const latencyArg = args.find((a) => a.startsWith('--latency-ms='));
  // --bounds=suggested: declare the bounds the benchmark's weights prove (as simulate suggests)
  const suggestedBounds = args.includes('--bounds=suggested');
  // --compile-only: compile.py's figures without a run, for rows that would take hours here
  const compileOnly = args.includes('--compile-only');
  const latencyMs = latencyArg ? Number(latencyArg.slice(13)) : undefined;
  const mp = locateMpSpdz(home);
  const outDir = join(root, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const rows: Row[] = [];
  for (const protocol of protocols) {
    const specs = [...styleSpecs];
    if (ablation) {
      const defaults = defaultOptimizations(protocol);
      for (const o of OPTIMIZATION_NAMES) specs.push(`optimized:${defaults[o] ? 'no-' : ''}${o}`);
    }
    for (const spec of specs) {
      const { style, optimizations, precision } = parseStyleSpec(spec);
      const checked = checkSource({ path: pipelinePath, text: readFileSync(pipelinePath, 'utf8') }, { protocol, style, optimizations });
      if (!checked.pipeline) throw new Error(checked.diagnostics.map((d) => d.message).join('; '));
      // @RING/F/K: this row's ring and precision instead of the pipeline's (a new pipeline: a
      // checked one is not changed, its layer graph is computed once)
      if (precision && !fitsRing({ ...ringFitOf(checked.pipeline), ...precision })) throw new Error(`--styles: '${spec}': precision ${precision.f} ${precision.k} does not fit a ${precision.ringBits}-bit ring`);
      let a = buildPipeline(precision ? { ...checked.pipeline, target: { ...checked.pipeline.target, ...precision } } : checked.pipeline);
      const p = a.pipeline;
      // the seed video when it is there (CI has ../shared), else a seeded random one
      const video = existsSync(videoPath) && p.video.frames * p.video.height * p.video.width * p.video.channels === 97 * 48 * 48 ? readValues(videoPath) : undefined;
      const files = new Map<number, string>();
      const values = new Map<number, Float32Array>();
      for (const party of a.inputs.parties) {
        if (party.tensors.length === 0) continue;
        const n = p.selection.kind === 'oblivious' ? p.selection.count : 0;
        const v = partyValues(a.inputs, p, party.party, { seed: 100 + party.party, video, frames: n ? everyKth(p.video.frames, n, Math.max(1, Math.floor(p.video.frames / n))) : undefined });
        values.set(party.party, v);
        const f = join(outDir, `input-${p.name}-${protocol}-P${party.party}`);
        writeFileAtomic(f, formatValues(v));
        files.set(party.party, f);
      }
      // --bounds=suggested: the bounds these weights prove (what simulate suggests), declared
      let label = spec;
      if (suggestedBounds && p.target.optimizations['narrow-compare']) {
        const added = checkAndSuggestBounds(p, a.inputs, values, 'the benchmark\'s weights');
        const bounded = { ...p, target: { ...p.target, bounds: [...p.target.bounds, ...added.map((b) => ({ layer: b.layer, value: b.bound }))] } };
        a = buildPipeline(bounded);
        label = `${spec}${spec.includes(':') ? '+' : ':'}bounds(${added.map((b) => `${b.layer} ${b.bound}`).join(', ')})`;
      }
      if (missingHelpersIn(mp, a.helpers).length > 0) await applyPatch(mp, a.helpers);
      const reference = await evaluateReference(p, a.inputs, values);
      if (compileOnly) {
        process.stderr.write(`${protocol} / ${label}: compiling...\n`);
        rows.push(compiledRow(protocol, label, (await compileIfStale(mp, a)).report!, reference.label));
        continue;
      }
      process.stderr.write(`${protocol} / ${label}: compiling and running...\n`);
      let r: ResultRecord;
      const relays: Relay[] = [];
      try {
        let hostsFiles: string[] | undefined;
        if (latencyMs !== undefined) {
          const parties = PROTOCOLS[protocol].processes;
          const base = randomBasePort();
          for (let i = 0; i < parties; i++) relays.push(await startRelay(base + i, latencyMs / 2));
          hostsFiles = [];
          for (let i = 0; i < parties; i++) {
            const f = join(outDir, `hosts-${protocol}-P${i}`);
            writeFileSync(f, Array.from({ length: parties }, (_, j) => `127.0.0.1:${j === i ? base + j : relays[j]!.port}`).join('\n') + '\n');
            hostsFiles.push(f);
          }
        }
        r = await runPipeline(mp, a, files, { timeoutSeconds: 3600, hostsFiles });
      } catch (e) {
        rows.push({ protocol, style: label, compileSeconds: NaN, dataSentMB: [], wallSeconds: NaN, referenceLabel: reference.label, note: (e as Error).message.split('\n')[0] });
        continue;
      } finally {
        await Promise.all(relays.map((x) => x.close()));
      }
      const row: Row = {
        protocol,
        style: label,
        compileSeconds: r.compile.seconds,
        expectedOnlineMB: r.compile.expectedOnlineMB,
        expectedOfflineMB: r.compile.expectedOfflineMB,
        vmRounds: r.compile.vmRounds,
        dataSentMB: r.parties.map((x) => x.dataSentMB),
        rounds: r.parties[0]?.rounds,
        wallSeconds: r.wallSeconds,
        partySeconds: r.parties[0]?.seconds,
        label: r.label,
        referenceLabel: reference.label,
      };
      if (latencyMs !== undefined) row.note = `measured through relays adding ${latencyMs} ms round trip`;
      else if (row.partySeconds !== undefined && row.rounds !== undefined) row.estimatedSecondsAt10msRtt = row.partySeconds + row.rounds * RTT_SECONDS;
      rows.push(row);
      process.stderr.write(`  ${JSON.stringify(row)}\n`);
    }
  }
  const tag = `${latencyMs !== undefined ? `-latency-${latencyMs}ms` : ''}${compileOnly ? '-compiled' : ''}`;
  const engine = `MP-SPDZ ${mp.version}${mp.commit ? ` (${mp.commit})` : ''}, ${mp.root}`;
  writeFileSync(join(outDir, `results${tag}.json`), JSON.stringify({ mpSpdz: { version: mp.version, commit: mp.commit, root: mp.root }, rows }, null, 2) + '\n');
  writeFileSync(join(outDir, `results${tag}.md`), markdown(rows, engine));
  process.stdout.write(markdown(rows, engine));
}

/** A row of compile.py's figures only (--compile-only). */
function compiledRow(protocol: ProtocolName, style: string, report: CompileReport, referenceLabel: number): Row {
  const { seconds: compileSeconds, expectedOnlineMB, expectedOfflineMB, rounds: vmRounds } = report;
  return { protocol, style, compileSeconds, expectedOnlineMB, expectedOfflineMB, vmRounds, dataSentMB: [], wallSeconds: NaN, referenceLabel, note: 'compiled only (--compile-only): not run' };
}

/** A style spec: seed or optimized, then optionally :SWITCHES (joined by +), then optionally @RING/F/K. */
function parseStyleSpec(spec: string): { style: EmitStyle; optimizations?: Partial<OptimizationSet>; precision?: { ringBits: number; f: number; k: number } } {
  const [styleSpec, precisionSpec] = spec.split('@', 2) as [string, string | undefined];
  let precision: { ringBits: number; f: number; k: number } | undefined;
  if (precisionSpec !== undefined) {
    const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(precisionSpec);
    if (!m) throw new Error(`--styles: '${spec}': expected @RING/F/K after the style, e.g. @32/12/19`);
    precision = { ringBits: Number(m[1]), f: Number(m[2]), k: Number(m[3]) };
    if (!(precision.f >= 1 && precision.f < precision.k)) throw new Error(`--styles: '${spec}': precision needs 0 < F < K`);
  }
  return { ...parseStyle(styleSpec, spec), precision };
}

function parseStyle(styleSpec: string, spec: string): { style: EmitStyle; optimizations?: Partial<OptimizationSet> } {
  const [base, switches] = styleSpec.split(':', 2) as [string, string | undefined];
  if (base !== 'seed' && base !== 'optimized') throw new Error(`--styles: '${spec}': expected seed or optimized, optionally with :SWITCHES`);
  if (switches === undefined) return { style: base };
  const parsed = parseOptimizationSwitches(switches.replaceAll('+', ','));
  if (parsed.error) throw new Error(parsed.error);
  return { style: base, optimizations: parsed.switches };
}

function markdown(rows: Row[], engine: string): string {
  const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
  const lines = [
    `Measured with ${engine}.`,
    '',
    '| protocol | style | compile s | expected MB (online / offline) | VM rounds | data sent MB per party | rounds | time s (party 0) | est. s at 10 ms RTT* | label (reference) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.protocol} | ${r.style} | ${f(r.compileSeconds)} | ${f(r.expectedOnlineMB)} / ${f(r.expectedOfflineMB)} | ${r.vmRounds ?? '–'} | ${r.dataSentMB.map((x) => f(x)).join(' / ') || '–'} | ${r.rounds ?? '–'} | ${f(r.partySeconds, 2)} | ${f(r.estimatedSecondsAt10msRtt, 1)} | ${r.label ?? '–'} (${r.referenceLabel})${r.note ? ` ${r.note}` : ''} |`,
    );
  }
  lines.push('', '*estimate: measured time + rounds x 10 ms; not a measurement with real delay.', '');
  return lines.join('\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(2);
});
