// The corpus sweep in CI (issue 19): every model of the shared Keras corpus that imports, scaled
// to 2 frames (1 selected), with random weights at realistic scales and a random video, run under
// MP-SPDZ's emulation (src/bench/corpus-sweep.ts). Either the revealed label is float's (or
// float's top two classes are within the emulation's error), or run refused before any party
// started and named a precision that then gives float's label: never a silent wrong label.
// Models with large frames are skipped, each saying so (their emulation alone takes minutes);
// docs/import-corpus.md has the full table, made by scripts/corpus-sweep.mjs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SHARED, mpSpdzHome, noMpSpdzReason, testUnless } from './helpers.js';
import { sweepModel } from '../src/bench/corpus-sweep.js';

const CORPUS = join(SHARED, 'corpus', 'keras');
const EXPECTED = join(CORPUS, 'meta', 'expected.json');
/**
 * What CI sweeps: frames up to 64x64x3 (vgglike; the 224x224 ImageNet models are skipped) and up
 * to 6 million parameters (compile.py takes about 7 minutes on agz-resnet's 23.8 million here,
 * fer-vgg16's 14.9 million would take 4; the small models take 10 to 70 s each, the run included).
 */
const MAX_VALUES = 64 * 64 * 3;
const MAX_PARAMS = 6_000_000;

interface Expected {
  file: string;
  input_shape: number[];
  params: number;
}

const docs = readFileSync(join(ROOT, 'docs', 'import-corpus.md'), 'utf8');
const imported = (file: string) => docs.split('\n').some((l) => l.startsWith(`| \`${file}\` | imported`));
const models: Expected[] = existsSync(EXPECTED) ? (JSON.parse(readFileSync(EXPECTED, 'utf8')) as Expected[]).filter((m) => imported(m.file)) : [];
const work = mkdtempSync(join(tmpdir(), 'ppvc-sweep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Why one model is not swept here, if it is not. */
function skipReason(m: Expected): string | undefined {
  const values = m.input_shape.reduce((a, b) => a * b, 1);
  if (values > MAX_VALUES) return `corpus sweep: ${m.file} has ${values.toLocaleString('en')} values per frame, more than the ${MAX_VALUES.toLocaleString('en')} swept in CI (docs/import-corpus.md has its row)`;
  if (m.params > MAX_PARAMS) return `corpus sweep: ${m.file} has ${m.params.toLocaleString('en')} parameters, more than the ${MAX_PARAMS.toLocaleString('en')} swept in CI: compile.py alone takes minutes (docs/import-corpus.md has its row)`;
  return noMpSpdzReason();
}

testUnless(existsSync(EXPECTED) ? undefined : `the Keras corpus ${EXPECTED} is not there`)('the sweep covers the importable models of the corpus', () => {
  // the docs' status column says which import (test/import-corpus.test.ts checks it against the files)
  expect(models.length).toBeGreaterThanOrEqual(20);
});

// (describe.each refuses an empty table: without the corpus, the test above says why nothing runs)
if (models.length > 0) describe.each(models.map((m) => [m.file, m] as const))('%s', (_file, m) => {
  testUnless(skipReason(m))(
    "under emulate: float's label, or refused naming a precision that then gives it",
    async () => {
      const row = await sweepModel(join(CORPUS, m.file), { workDir: work, protocol: 'emulate', mpSpdz: mpSpdzHome() });
      const summary = JSON.stringify(row);
      // a refusal must have led to a precision that works: 'refused' only when none was suggested
      expect({ outcome: row.outcome, row: summary }).toEqual({ outcome: expect.stringMatching(/^(match|near tie|refused)$/), row: summary });
      if (row.outcome === 'refused') expect(row.refused).toBeUndefined();
    },
    1_200_000,
  );
});
