#!/usr/bin/env node
// The corpus sweep's table for docs/import-corpus.md (issue 19): every importable model of the
// Keras corpus, imported with 2 frames (1 selected), random weights at realistic scales and a
// random video, run under MP-SPDZ (emulate unless --protocol) by dist/bench/corpus-sweep.js.
// Models whose frames hold more than --max-values values are listed as skipped, with the reason.
//
//   node scripts/corpus-sweep.mjs [--protocol emulate] [--max-values 12288] [--corpus DIR] [--work DIR] [MODEL.json ...]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sweepModel, sweepTableRow } from '../dist/bench/corpus-sweep.js';
import { takeOption } from './options.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => takeOption(args, name, fallback);
const protocol = option('--protocol', 'emulate');
const maxValues = Number(option('--max-values', '12288'));
const corpus = resolve(option('--corpus', '../shared/corpus/keras'));
const work = resolve(option('--work', '/tmp/corpus-sweep'));
const expected = JSON.parse(readFileSync(join(corpus, 'meta/expected.json'), 'utf8'));
const docs = readFileSync(new URL('../docs/import-corpus.md', import.meta.url), 'utf8');
const imported = (file) => docs.split('\n').some((l) => l.startsWith(`| \`${file}\` | imported`));
const wanted = args.length ? expected.filter((m) => args.includes(m.file)) : expected.filter((m) => imported(m.file));

console.log(`| model | input | classes | precision | label (${protocol}) | seconds |`);
console.log('|---|---|---|---|---|---|');
for (const m of wanted) {
  const values = m.input_shape.reduce((a, b) => a * b, 1);
  if (values > maxValues) {
    console.log(`| ${m.file.replace(/\.json$/, '')} | ${m.input_shape.join('×')} | ${m.output_shape.at(-1)} | | skipped: ${values.toLocaleString('en')} values per frame, more than the sweep's ${maxValues.toLocaleString('en')} | |`);
    continue;
  }
  const row = await sweepModel(join(corpus, m.file), { protocol, workDir: work });
  console.log(sweepTableRow(row));
}
