// The language front end: parsing, checking, shapes, defaults and diagnostics.
import { checkText, compileExample, exampleFiles } from './helpers.js';
import { MAX_PRINTED_PER_FILE, formatDiagnostic, formatDiagnostics, sourceLine, spanAt } from '../src/diagnostics.js';
import { parameterCount } from '../src/ir/pipeline.js';
import { compileSource } from '../src/compile.js';
import { ppvcLexer } from '../src/syntax/tokens.js';
import { readText } from '../src/commands/common.js';
import { importModelFile } from '../src/import/keras-json.js';
import { closestWord, didYouMean, editDistance } from '../src/util/suggest.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const compileExampleText = (text: string) => compileSource({ path: 't.ppvc', text }).artifacts!.program;

const minimal = (body: string) => `pipeline t
party alice = 0
party bob = 1
video v: [10, 8, 8, 1] from alice
select 2 frames by bob
${body}
classify each frame with m
`;

describe('the paper pipeline', () => {
  const a = compileExample('examples/emotion.ppvc');
  const p = a.pipeline;
  test('has the paper\'s shapes and 1,485,831 parameters', () => {
    expect(parameterCount(p.model)).toBe(1_485_831);
    expect(p.model.layers.map((l) => l.outShape)).toEqual([
      [44, 44, 64], [44, 44, 64], [20, 20, 64], [18, 18, 64], [18, 18, 64], [16, 16, 64], [16, 16, 64], [7, 7, 64],
      [5, 5, 128], [5, 5, 128], [3, 3, 128], [3, 3, 128], [1, 1, 128], [128], [1024], [1024], [7],
    ]);
    expect(p.classes).toBe(7);
  });
  test('inputs.json lays out each party\'s file in reading order', () => {
    const [alice, bob] = a.inputs.parties;
    expect(alice!.tensors.map((t) => [t.name, t.elements])).toEqual([['video', 97 * 48 * 48]]);
    expect(bob!.tensors[0]).toMatchObject({ name: 'selection', shape: [7, 97], offset: 0 });
    expect(bob!.tensors[1]).toMatchObject({ name: 'conv2d_1.kernel', shape: [5, 5, 1, 64], offset: 7 * 97 });
    expect(bob!.elements).toBe(7 * 97 + 1_485_831);
    expect(a.inputs.parties[2]!.tensors).toEqual([]);
  });
  test('the program reads each input once and batches the frames', () => {
    // one read per tensor, outside any loop, in the order of inputs.json
    const reads = a.program.split('\n').filter((l) => l.includes('input_from('));
    expect(reads.every((l) => !l.startsWith(' '))).toBe(true);
    const names = reads.map((l) => /# (\S+)$/.exec(l)?.[1] ?? l.split('.')[0]);
    expect(names).toEqual(a.inputs.parties.flatMap((p) => p.tensors.map((t) => t.name)));
    expect(a.program).toContain('selection.dot(video)');
    expect(a.program).toContain('cnn.forward(N=SELECTED)');
    expect(a.program).not.toMatch(/for_range\(SELECTED|for frame in range/);
    expect(a.program).toContain('print_ln_to(0, "label: %s", label.reveal_to(0))');
  });
  test('the ml.py patch carries the softmax with real constants', () => {
    expect(a.mlPatch).toMatch(/^--- a\/Compiler\/ml.py$/m);
    expect(a.mlPatch).toContain('def ppvc_relu_normalized_softmax');
    expect(a.mlPatch).toContain('sfix(1.0 / classes)');
    const softmax = a.mlPatch.slice(a.mlPatch.indexOf('def ppvc_relu_normalized_softmax'));
    expect(softmax).not.toMatch(/_new\(\d/); // the seed's sfix._new(7) meant 7 * 2^-16
    expect(a.mlPatch).not.toContain('PpvcMaxPool2d'); // only what the program needs
  });
});

test('every example builds byte-for-byte deterministically', () => {
  for (const f of exampleFiles()) {
    expect(JSON.stringify(compileExample(f).files)).toBe(JSON.stringify(compileExample(f).files));
  }
});

describe('defaults', () => {
  const r = checkText(minimal('model m by bob {\n flatten\n dense 3\n}'));
  test('check passes', () => expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]));
  const p = r.pipeline!;
  test('replicated-ring, ring 64, sfix(16, 31), probabilistic truncation', () => {
    expect(p.target).toMatchObject({ protocol: 'replicated-ring', ringBits: 64, f: 16, k: 31, truncation: 'probabilistic', threads: 1 });
  });
  test('the paper\'s softmax and sum aggregation; the label goes only to the video owner', () => {
    expect(p.frameOutput).toBe('relu_normalized');
    expect(p.aggregation).toEqual({ kind: 'sum', labelName: 'label' });
    expect(p.reveals).toEqual([{ value: 'label', name: 'label', to: [expect.objectContaining({ name: 'alice', id: 0 })] }]);
  });
  test("the protocol's default truncation (docs/security.md), and the pipeline's own when it says", () => {
    const net = minimal('model m by bob {\n flatten\n dense 3\n}');
    const truncation = (target: string) => checkText(net + `target mp-spdz { ${target} }\n`).pipeline!.target.truncation;
    expect(truncation('protocol replicated-ring')).toBe('probabilistic');
    expect(truncation('protocol rep4-ring')).toBe('probabilistic');
    expect(truncation('protocol spdz2k')).toBe('probabilistic');
    expect(truncation('protocol sy-rep-ring')).toBe('nearest');
    expect(truncation('protocol semi2k')).toBe('nearest');
    expect(truncation('protocol dealer-ring')).toBe('nearest');
    expect(truncation('protocol hemi')).toBe('probabilistic');
    expect(truncation('protocol temi')).toBe('probabilistic');
    expect(truncation('protocol lowgear')).toBe('nearest');
    expect(truncation('protocol semi2k  trunc probabilistic')).toBe('probabilistic');
    expect(truncation('protocol replicated-ring  trunc nearest')).toBe('nearest');
    // spdz2k: MP-SPDZ's generic probabilistic truncation (its -E does not enable trunc_pr)
    expect(compileExampleText(net + 'target mp-spdz { protocol spdz2k }\n')).toContain('program.use_trunc_pr = False');
    // a prime field: its values' bits name it in messages, and a prime beyond the default build's 128 bits is a warning
    const messages = (target: string) => checkText(net + `target mp-spdz { ${target} }\n`).diagnostics.map((d) => `${d.severity}: ${d.message}`);
    expect(messages('protocol hemi  precision 30 40')).toContainEqual(expect.stringContaining('error: precision 30 40 does not fit 64-bit values of a prime field (compile.py -F 64)'));
    expect(messages('protocol lowgear  ring 96')).toContainEqual(expect.stringMatching(/^warning: ring 96: lowgear computes in a prime field, and 96-bit values need a prime of 138 bits;/));
    expect(messages('protocol hemi  ring 86')).toEqual([]);
    expect(messages('protocol hemi  ring 87')).toContainEqual(expect.stringMatching(/^warning: ring 87: hemi computes in a prime field, and 87-bit values need a prime of 129 bits;/));
    // a prime field: -F for the values' bits other than 64, -Y for edaBits, never -R
    expect(compileExampleText(net + 'target mp-spdz { protocol hemi }\n')).toContain('# Compile:  ./compile.py -E hemi -Y ');
    expect(compileExampleText(net + 'target mp-spdz { protocol lowgear  ring 72 }\n')).toMatch(/# Compile: {2}\.\/compile\.py -E lowgear -Y -F 72 /);
    expect(compileExampleText(net + 'target mp-spdz { trunc nearest }\n')).toContain('sfix.round_nearest = True');
    // every party of a prime-field protocol gets a prime of B + 42 bits (-lgp), not MP-SPDZ's 128
    const commands = (target: string) => JSON.parse(compileSource({ path: 't.ppvc', text: net + `target mp-spdz { ${target} }\n` }).artifacts!.files['commands.json']!);
    expect(commands('protocol hemi').runParties[1].command).toBe('./hemi-party.x -p 1 -N 2 -h localhost -pn 14000 -b 10000 -lgp 106 t');
    expect(commands('protocol lowgear  ring 72').runLocal).toBe('Scripts/lowgear.sh t -b 10000 -lgp 114');
    expect(commands('protocol semi2k').runLocal).toBe('Scripts/semi2k.sh t -b 10000');
  });
});

describe('shapes', () => {
  const shapes = (layers: string) => checkText(minimal(`model m by bob {\n${layers}\n}`)).pipeline?.model.layers.map((l) => l.outShape);
  test('same padding keeps ceil(in / stride)', () => {
    expect(shapes('conv2d 4 kernel 3x3 stride 2 same\nflatten\ndense 2')).toEqual([[4, 4, 4], [64], [2]]);
  });
  test('pool stride defaults to the pool size', () => {
    expect(shapes('maxpool 3x3\nflatten\ndense 2')).toEqual([[2, 2, 1], [4], [2]]);
  });
  test('rectangular kernels and strides', () => {
    expect(shapes('conv2d 2 kernel 3x1 stride 1x2\nflatten\ndense 2')).toEqual([[6, 4, 2], [48], [2]]);
  });
});

test('reports all errors of a file in one run', () => {
  const r = checkText(minimal('model m by carol {\n conv3d 3\n}').replace('from alice', 'from dave'));
  const messages = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  expect(messages).toEqual(expect.arrayContaining([
    expect.stringContaining("unknown party 'dave'"),
    expect.stringContaining("unknown party 'carol'"),
  ]));
  expect(messages.length).toBeGreaterThanOrEqual(2);
});

test('diagnostics show file:line:col, the line, a caret, expected and found', () => {
  const r = checkText(minimal('model m by bob {\n  conv2d 8 kernel 9x9\n  flatten\n  dense 2\n}'), 'p.ppvc');
  const d = r.diagnostics.find((x) => x.severity === 'error')!;
  expect(formatDiagnostic(d)).toBe(
    [
      "p.ppvc:7:3: error: conv2d: the 9x9 kernel does not fit its 8x8 input",
      '   7 |   conv2d 8 kernel 9x9',
      '     |   ^^^^^^^^^^^^^^^^^^^',
      "     = expected: a kernel no larger than 8x8 (or 'same' padding)",
      '     = found:    9x9',
    ].join('\n'),
  );
});

describe('source positions', () => {
  test('line and column after LF, CRLF and a lone CR', () => {
    const file = { path: 'p.ppvc', text: 'ab\ncd\r\nef\rgh' };
    const at = (offset: number) => [spanAt(file, offset).line, spanAt(file, offset).col];
    expect([0, 2, 3, 5, 7, 9, 10, 11, 40].map(at)).toEqual([[1, 1], [1, 3], [2, 1], [2, 3], [3, 1], [3, 3], [4, 1], [4, 2], [4, 31]]);
    expect(sourceLine(file, 2)).toBe('cd');
    expect(sourceLine(file, 3)).toBe('ef');
  });

  // each position was found by rescanning from offset 0: 16,000 layers took 12 s
  test('a model block of 16,000 layers checks in linear time', () => {
    const layers = Array.from({ length: 16_000 }, () => '  dense 3').join('\n');
    const start = Date.now();
    checkText(minimal(`model m by bob {\n  flatten\n${layers}\n}`));
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

describe('diagnostics on hostile input', () => {
  // `dense 3` and 2,000 '[' gave one error per bracket, each with the whole line: megabytes of stderr
  test('at most 20 errors per file are printed, then a count of the rest', () => {
    const r = checkText(minimal(`model m by bob {\n  dense 3 ${'['.repeat(2_000)}\n}`), 'p.ppvc');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(1_000);
    const lines = formatDiagnostics(r.diagnostics);
    expect(lines).toHaveLength(MAX_PRINTED_PER_FILE + 1);
    expect(lines.at(-1)).toBe(`... and ${errors.length - MAX_PRINTED_PER_FILE} more errors`);
    expect(lines.join('\n').length).toBeLessThan(20_000);
  });

  test('a long source line is cut around the caret in the code frame', () => {
    const file = { path: 'p.ppvc', text: `${'a'.repeat(500)}@${'b'.repeat(500)}\n` };
    const [, frame, caret] = formatDiagnostic({ severity: 'error', message: 'x', span: spanAt(file, 500) }).split('\n');
    expect(frame!.length).toBeLessThan(140);
    expect(frame).toMatch(/^ {3}1 \| …a+@b+…$/);
    expect(caret!.indexOf('^')).toBe(frame!.indexOf('@'));
  });
});

describe('the number token', () => {
  const kinds = (text: string) => ppvcLexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

  test('scientific notation is a number, a number glued to letters one word', () => {
    expect(kinds('1e5 1.5e-3 2.E+4 3pc 1e5x 1.5e3_ 1.2.3e5 5x5a')).toEqual([
      'NumberLiteral:1e5', 'NumberLiteral:1.5e-3', 'NumberLiteral:2.E+4', 'GluedWord:3pc', 'GluedWord:1e5x',
      'GluedWord:1.5e3_', 'GluedWord:1.2.3e5', 'GluedWord:5x5a',
    ]);
  });

  // the GluedWord lookahead backtracked quadratically: 100,000 digits took 30 s
  test('a run of 100,000 digits lexes in linear time', () => {
    const start = Date.now();
    expect(kinds(`3${'0'.repeat(100_000)}\n`)).toEqual([`NumberLiteral:3${'0'.repeat(100_000)}`, 'Newline:\n']);
    expect(Date.now() - start).toBeLessThan(1_000);
  });
});

describe('invisible and astral characters', () => {
  const firstMessage = (text: string) => checkText(text).diagnostics[0]?.message;

  test('an unexpected character is named by its code point when it prints as nothing', () => {
    expect(firstMessage('pipeline p\u00a0\n')).toBe('unexpected character U+00A0 (no-break space)');
    expect(firstMessage('pipeline p\u200b\n')).toBe('unexpected character U+200B (zero-width space)');
    expect(firstMessage('pipeline p\ufeff\n')).toBe('unexpected character U+FEFF (byte order mark)');
    expect(firstMessage('pipeline p@\n')).toBe("unexpected character '@'");
    // one error for the whole surrogate pair, not half an emoji
    const emoji = checkText('pipeline p\u{1F600}\n').diagnostics.filter((d) => d.message.startsWith('unexpected character'));
    expect(emoji.map((d) => d.message)).toEqual(["unexpected character '\u{1F600}' (U+1F600)"]);
  });

  test('a byte order mark at the start of a .ppvc or Keras JSON file is skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-bom-'));
    writeFileSync(join(dir, 'p.ppvc'), '\ufeff' + readFileSync('examples/tiny-2pc.ppvc', 'utf8'));
    expect(readText(join(dir, 'p.ppvc')).text.startsWith('#')).toBe(true);
    const keras = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 2, batch_input_shape: [null, 3] } }] } };
    writeFileSync(join(dir, 'm.json'), '\ufeff' + JSON.stringify(keras));
    const imported = importModelFile(join(dir, 'm.json'));
    expect(imported.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(imported.model?.layers.map((l) => l.className)).toContain('Dense');
  });
});

describe('misspellings: one error each, naming the nearest word', () => {
  const errors = (text: string) => checkText(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span?.line}:${d.span?.col}: ${d.message}`);
  const layer = (line: string) => minimal(`model m by bob {\n  ${line}\n  flatten\n  dense 3\n}`);

  test('edit distance counts a swap of neighbours as one edit; a suggestion needs a near word', () => {
    expect(editDistance('kernal', 'kernel')).toBe(1);
    expect(editDistance('kenrel', 'kernel')).toBe(1);
    expect(editDistance('conv2', 'conv2d')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestWord('kernal', ['stride', 'kernel'])).toBe('kernel');
    expect(closestWord('precison', ['protocol', 'precision'])).toBe('precision');
    expect(closestWord('softmax', ['relu', 'nobias', 'from'])).toBeUndefined();
    expect(closestWord('ab', ['cd'])).toBeUndefined();
    expect(closestWord('mx', ['max'])).toBe('max');
    expect(didYouMean('Kernel', ['kernel'])).toBe(": did you mean 'kernel'?");
  });

  test.each([
    ['conv2d 8 kernal 3x3', "7:12: conv2d: unknown argument 'kernal': did you mean 'kernel'?"],
    ['conv2d 8 kernel 3x3 strid 2', "7:23: conv2d: unknown argument 'strid': did you mean 'stride'?"],
    ['conv2d 8 kernel 3x3 sme relu', "7:23: conv2d: unknown argument 'sme': did you mean 'same'?"],
    ['conv2d 8 kernel 3x3 relu nobais', "7:28: conv2d: unknown argument 'nobais': did you mean 'nobias'?"],
    ['depthwise_conv2d kernel 3x3 multipler 2', "7:31: depthwise_conv2d: unknown argument 'multipler': did you mean 'multiplier'?"],
    ['relu mx 6', "7:8: relu: unknown argument 'mx': did you mean 'max'?"],
    ['conv2 8 kernel 3x3', "7:3: unknown layer 'conv2': did you mean 'conv2d'?"],
    ['maxpol 2x2', "7:3: unknown layer 'maxpol': did you mean 'maxpool'?"],
    ['relu from inptu', "7:13: unknown layer 'inptu': did you mean 'input'?"],
  ])('%s: exactly one error, no cascade', (line, error) => {
    expect(errors(layer(line))).toEqual([error]);
  });

  test('target options, protocols, truncations, softmax kinds, aggregations, parties: one error each', () => {
    expect(errors(minimal('model m by bob {\n  flatten\n  dense 3\n}') + 'target mp-spdz { protocl semi2k  precison 16 31  thread 2  trunc nearst }\n')).toEqual([
      "11:18: target: unknown argument 'protocl': did you mean 'protocol'?",
      "11:34: target: unknown argument 'precison': did you mean 'precision'?",
      "11:50: target: unknown argument 'thread': did you mean 'threads'?",
      "11:66: unknown trunc 'nearst': did you mean 'nearest'?",
    ]);
    expect(errors(minimal('model m by bob {\n  flatten\n  dense 3\n}') + 'target mpspdz { protocol replicated-rng }\n')).toEqual([
      "11:8: unknown target 'mpspdz': did you mean 'mp-spdz'?",
      "11:26: unknown protocol 'replicated-rng': did you mean 'replicated-ring'?",
    ]);
    const base = minimal('model m by bob {\n  flatten\n  dense 3\n}').replace('classify each frame with m\n', '');
    expect(errors(base + 'classify each frame with m, softmax exat\nlabel = argmx(sums)\nreveal lable to alcie\n')).toEqual([
      "10:37: unknown softmax 'exat': did you mean 'exact'?",
      "11:9: unknown aggregation function 'argmx': did you mean 'argmax'?",
      "11:15: unknown aggregate 'sums': did you mean 'sum'?",
      "12:17: unknown party 'alcie' (who receives the output): did you mean 'alice'?",
      "12:8: unknown output 'lable': did you mean 'label'?",
    ]);
    expect(errors(minimal('model m by bob {\n  flatten\n  dense 3\n}').replace('from alice', 'from alice  rnage [0, 1]'))).toEqual([
      "4:36: video: unknown argument 'rnage': did you mean 'range'?",
    ]);
  });

  test('names are never corrected into keywords: layer names after from, bound names, add and concat', () => {
    const named = minimal(
      'model m by bob {\n  same: conv2d 2 kernel 3x3 same\n  stride: relu from same\n  max: conv2d 2 kernel 1x1 from same\n  s: add stride, max\n  flatten\n  dense 3\n}',
    );
    expect(errors(named)).toEqual([]);
    expect(errors(named + 'target mp-spdz { bound same 4  bound max 8 }\n')).toEqual([]);
    // a word far from every keyword is still just unexpected
    expect(errors(minimal('model m by bob {\n  flatten\n  dense 3 softmax\n}'))).toEqual(["8:11: dense: unexpected argument 'softmax'"]);
  });
});

test("a video dimension above 2^20 says so, naming the limit", () => {
  const r = checkText(minimal('model m by bob {\n  flatten\n  dense 3\n}').replace('[10, 8, 8, 1]', '[100000000, 8, 8, 1]'));
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual(["the video's frame count, 100000000, is above the limit of 1048576 (2^20) per dimension"]);
  const fractional = checkText(minimal('model m by bob {\n  flatten\n  dense 3\n}').replace('[10, 8, 8, 1]', '[10, 8.5, 8, 1]'));
  expect(fractional.diagnostics[0]!.message).toContain('each a whole number from 1 to 1048576 (2^20)');
});
