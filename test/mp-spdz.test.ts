// End to end with the real MP-SPDZ (0.4.2 or newer) when MP_SPDZ_HOME points at a built tree:
// the generated programs compile for all five protocols, and secure runs reveal the label of
// the clear-text reference on the same inputs. Skipped, and said so, without MP_SPDZ_HOME.
// NOTE: this test applies ml.py.patch to that tree's Compiler/ml.py (replacing the helper
// blocks of an earlier ppvc-dsl build) and writes programs into Programs/Source.
import { jest } from '@jest/globals';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SHARED, mpSpdzHome, sharedAvailable, source } from './helpers.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { PROTOCOL_NAMES, PROTOCOLS, type ProtocolName } from '../src/backend/protocols.js';
import { applyPatch, checkPatchApplied, locateMpSpdz, placeProgram, runCompile } from '../src/backend/mp-spdz.js';
import { runLocal } from '../src/backend/local-run.js';
import { everyKth, partyValues } from '../src/inputs/random-inputs.js';
import { formatValues, readValues } from '../src/inputs/text-format.js';
import { evaluateReference } from '../src/reference/evaluate.js';

const home = mpSpdzHome();
const describeMp = home ? describe : describe.skip;
if (!home) {
  console.warn('SKIPPED test/mp-spdz.test.ts: set MP_SPDZ_HOME to a built MP-SPDZ 0.4.2 tree to run the end-to-end MPC tests.');
}

function build(example: string, protocol?: ProtocolName) {
  const r = checkSource(source(example), { protocol });
  if (!r.pipeline) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return buildPipeline(r.pipeline);
}

async function prepare(example: string, protocol?: ProtocolName) {
  const mp = locateMpSpdz(home!);
  const a = build(example, protocol);
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-mp-'));
  writeFileSync(join(dir, 'ml.py.patch'), a.mlPatch);
  await applyPatch(mp, a.helpers);
  checkPatchApplied(mp, a.helpers, join(dir, 'ml.py.patch'));
  placeProgram(mp, a.pipeline.name, a.program);
  return { mp, a, dir };
}

/** Builds, compiles, runs; returns the secure label, the reference result and the run figures. */
async function secureVersusReference(example: string, protocol: ProtocolName | undefined, seed: number, video?: Float32Array) {
  const { mp, a, dir } = await prepare(example, protocol);
  const compiled = await runCompile(mp, a.pipeline);
  const values = new Map<number, Float32Array>();
  for (const party of a.inputs.parties) {
    if (party.tensors.length === 0) continue;
    const frames = a.pipeline.selection.kind === 'oblivious' ? everyKth(a.pipeline.video.frames, a.pipeline.selection.count, 15) : undefined;
    const v = partyValues(a.inputs, a.pipeline, party.party, { seed: seed * 100 + party.party, video, frames: frames && frames.length === (a.pipeline.selection as { count?: number }).count ? frames : undefined });
    values.set(party.party, v);
    writeFileSync(join(dir, `Input-P${party.party}-0`), formatValues(v));
  }
  const reference = await evaluateReference(a.pipeline, a.inputs, values);
  const run = await runLocal(mp, a.pipeline, { inputPrefix: join(dir, 'Input'), timeoutSeconds: 900 });
  rmSync(dir, { recursive: true, force: true });
  const figures = {
    example,
    protocol: a.pipeline.target.protocol,
    compileSeconds: compiled.seconds,
    vmRounds: compiled.rounds,
    expectedOnlineMB: compiled.expectedOnlineMB,
    wallSeconds: run.wallSeconds,
    time: run.parties[0]!.seconds,
    dataSentMB: run.parties.map((p) => p.dataSentMB),
    rounds: run.parties[0]!.rounds,
    secureLabel: run.outputs['label'],
    referenceLabel: reference.label,
  };
  console.log(JSON.stringify(figures));
  return { run, reference, figures };
}

describeMp('MP-SPDZ end to end', () => {
  jest.setTimeout(1800_000);

  test.each(PROTOCOL_NAMES)('examples/emotion.ppvc compiles for %s', async (protocol) => {
    const { mp, a } = await prepare('examples/emotion.ppvc', protocol);
    const c = await runCompile(mp, a.pipeline);
    console.log(`emotion/${protocol}: compiled in ${c.seconds.toFixed(1)} s, ${c.rounds} VM rounds, expected ${c.expectedOnlineMB} MB online, ${c.expectedOfflineMB} MB offline`);
    expect(c.rounds).toBeGreaterThan(0);
    expect(existsSync(join(mp.root, 'Programs', 'Schedules', 'emotion.sch'))).toBe(true);
  });

  const withSeed = sharedAvailable() ? test.each([1, 3]) : test.skip.each([1, 3]);
  if (!sharedAvailable()) console.warn('SKIPPED the seed-video runs: ../shared/seed/sample_video.txt is not there.');
  withSeed('emotion on the seed video, He-uniform weights (seed %i), replicated-ring: secure label = reference label', async (seed) => {
    const video = readValues(join(SHARED, 'seed', 'sample_video.txt'));
    const { run, reference } = await secureVersusReference('examples/emotion.ppvc', 'replicated-ring', seed, video);
    expect(run.outputs['label']).toBe(String(reference.label));
    // nothing but the label is printed
    expect(Object.keys(run.outputs)).toEqual(['label']);
  });

  test.each([
    ['examples/public-vote.ppvc', 'rep4-ring'],
    ['examples/public-vote.ppvc', 'replicated-ring'],
    ['examples/small-maxpool.ppvc', 'replicated-ring'],
    ['examples/small-maxpool.ppvc', 'sy-rep-ring'],
    ['examples/residual.ppvc', 'replicated-ring'],
    ['examples/emotion.ppvc', 'emulate'],
    ['examples/tiny-2pc.ppvc', 'semi2k'],
    ['examples/tiny-2pc.ppvc', 'spdz2k'],
  ] as [string, ProtocolName][])('%s under %s: secure label = reference label', async (example, protocol) => {
    if (!existsSync(join(home!, PROTOCOLS[protocol].binary))) {
      console.warn(`SKIPPED ${example} under ${protocol}: ${PROTOCOLS[protocol].binary} is not built in ${home}`);
      return;
    }
    // the two-party protocols are slow: one seed there
    for (const seed of PROTOCOLS[protocol].corruption === 'dishonest majority' ? [5] : [5, 6]) {
      const { run, reference } = await secureVersusReference(example, protocol, seed);
      expect(run.outputs['label']).toBe(String(reference.label));
    }
  });
});
