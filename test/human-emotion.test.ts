// The real, trained face-expression model shipped in @vladmandic/human (a mini-Xception on
// 64x64x1), imported from its TF.js graph model, on real face crops of the shared videos:
// with MP-SPDZ, the secure label equals the clear-text label on every crop (at least 20).
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, SHARED, mpSpdzHome, noMpSpdzReason, testUnless } from './helpers.js';
import { checkSource, buildPipeline } from '../src/compile.js';
import { modelOwnerFile } from '../src/commands/model-import.js';
import { evaluateReference } from '../src/reference/evaluate.js';
import { formatValues } from '../src/inputs/text-format.js';

const CROPS = join(SHARED, 'media', 'human-crops');
const HUMAN = join(ROOT, 'node_modules', '@vladmandic', 'human', 'models', 'emotion.json');
const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const skipReason = noMpSpdzReason() ?? (existsSync(CROPS) ? undefined : `the face crops ${CROPS} are not there`);

/** Up to `perVideo` crops of each video: 64x64 float32 values in [-1, 1]. */
function crops(perVideo: number): { video: string; index: number; values: Float32Array }[] {
  const out: { video: string; index: number; values: Float32Array }[] = [];
  for (const f of readdirSync(CROPS).filter((x) => x.endsWith('.f32')).sort()) {
    const buf = readFileSync(join(CROPS, f));
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    for (let i = 0; i < Math.min(perVideo, all.length / 4096); i++) out.push({ video: f.replace(/\.f32$/, ''), index: i, values: all.slice(i * 4096, (i + 1) * 4096) });
  }
  return out;
}

testUnless(skipReason)('secure label = clear-text label on 20+ real face crops (Human emotion model)', async () => {
  const { locateMpSpdz, applyPatch, missingHelpersIn } = await import('../src/backend/mp-spdz.js');
  const { runPipeline } = await import('../src/backend/run-pipeline.js');
  const text = [
    'pipeline human_emotion',
    'party alice = 0',
    'party bob = 1',
    'video crop: [1, 64, 64, 1] from alice range [-1, 1]',
    'select 1 frames by bob',
    `model net by bob from "${HUMAN}"`,
    'classify each frame with net, softmax relu_normalized',
    'label = argmax(sum)',
    'reveal label to alice',
  ].join('\n');
  const p = checkSource({ path: 'human_emotion.ppvc', text }).pipeline!;
  const a = buildPipeline(p);
  const mp = locateMpSpdz(mpSpdzHome()!);
  if (missingHelpersIn(mp, a.helpers).length > 0) await applyPatch(mp, a.helpers);
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-human-'));
  const bob = modelOwnerFile(p, { frames: '0' }).values;
  writeFileSync(join(dir, 'bob.txt'), formatValues(bob));
  const rows: string[] = [];
  let agree = 0;
  const list = crops(2).concat(crops(3).filter((c) => c.index === 2)).slice(0, 24);
  for (const c of list) {
    writeFileSync(join(dir, 'alice.txt'), formatValues(c.values));
    const ref = await evaluateReference(p, a.inputs, new Map([[0, c.values], [1, bob]]));
    const r = await runPipeline(mp, a, new Map([[0, join(dir, 'alice.txt')], [1, join(dir, 'bob.txt')]]), {});
    if (r.label === String(ref.label)) agree++;
    rows.push(`${c.video}#${c.index}: secure ${EMOTIONS[Number(r.label)]} / clear ${EMOTIONS[ref.label]} (${r.wallSeconds.toFixed(1)} s, ${r.parties[0]!.dataSentMB} MB, ${r.parties[0]!.rounds} rounds)`);
  }
  console.log(`Human emotion model, ${list.length} crops: ${agree} agree\n${rows.join('\n')}`);
  expect(list.length).toBeGreaterThanOrEqual(20);
  expect(agree).toBe(list.length);
}, 1_800_000);
