// The generated program names each layer object after its layer (src/emit/python-names.ts).
// The names come from the pipeline and from imported models, so they may be anything: each
// variable must be a valid Python identifier, unique, deterministic, and must not replace a
// keyword, a builtin, one of MP-SPDZ's globals or a variable the program uses itself.
import { spawnSync } from 'node:child_process';
import { RESERVED_NAMES, PROGRAM_NAMES, layerVariables, pythonName } from '../src/emit/python-names.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { programLayers } from '../src/passes/program-layers.js';
import type { SourceFile } from '../src/diagnostics.js';
import { auditWithHelpers } from '../src/audit/audit.js';
import { exampleFiles, layerStatements, source, testUnless } from './helpers.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const layer = (from: string, kind = 'conv2d') => ({ from, kind });

describe('pythonName', () => {
  test.each([
    ['conv2d_1', 'conv2d_1'],
    // characters a Python identifier cannot hold: runs become one _, none at the ends
    ['a-b', 'a_b'],
    ['a--b', 'a_b'],
    ['block1/conv.2', 'block1_conv_2'],
    ['-a-', 'a'],
    ['a b', 'a_b'],
    ['a__b', 'a__b'],
    ['_private', '_private'],
    // unicode: accents dropped (one Python variable per name: Python would NFKC-normalise),
    // compatibility forms folded, anything else replaced
    ['café', 'cafe'],
    ['naïve_größe', 'naive_gro_e'],
    ['ﬁlter', 'filter_layer'],
    ['ｃｏｎｖ', 'conv'],
    ['层1', 'layer_1'],
    ['层', 'conv2d'],
    ['🙂', 'conv2d'],
    ['', 'conv2d'],
    ['_', 'conv2d'],
    ['___', 'conv2d'],
    // not a valid start
    ['1conv', 'layer_1conv'],
    ['2', 'layer_2'],
    ['__builtins__', 'layer___builtins__'],
    ['__name__', 'layer___name__'],
    // Python keywords and soft keywords
    ['class', 'class_layer'],
    ['lambda', 'lambda_layer'],
    ['None', 'None_layer'],
    ['match', 'match_layer'],
    // builtins the program calls, and others
    ['sum', 'sum_layer'],
    ['input', 'input_layer'],
    ['range', 'range_layer'],
    ['print', 'print_layer'],
    // MP-SPDZ's globals, and one already ending in _ (if_ is MP-SPDZ's if)
    ['sint', 'sint_layer'],
    ['sfix', 'sfix_layer'],
    ['program', 'program_layer'],
    ['for_range', 'for_range_layer'],
    ['print_ln_to', 'print_ln_to_layer'],
    ['if_', 'if__layer'],
    ['Matrix', 'Matrix_layer'],
    // the program's own variables
    ['ml', 'ml_layer'],
    ['layers', 'layers_layer'],
    ['label', 'label_layer'],
    ['video', 'video_layer'],
    ['frames', 'frames_layer'],
    ['cnn', 'cnn_layer'],
    ['i', 'i_layer'],
    ['SELECTED', 'SELECTED_layer'],
  ])('%j -> %s', (from, name) => {
    expect(pythonName(from, 'conv2d')).toBe(name);
  });

  test('lowering and the passes describe an object by its layer: the variable is named after that layer', () => {
    expect(pythonName('conv2d_1 (activation)', 'relu')).toBe('conv2d_1_relu');
    expect(pythonName('class (activation)', 'relu')).toBe('class_relu');
    expect(pythonName('conv2d_1 (activation), moved after maxpool_1', 'relu')).toBe('conv2d_1_relu');
    expect(pythonName('r, moved after p1, moved after p2', 'relu')).toBe('r');
    expect(pythonName('conv2d_1 (activation) + avgpool_1', 'avgpool')).toBe('avgpool_1');
    expect(pythonName('relu_1, moved after maxpool_1 + avgpool_3', 'avgpool')).toBe('avgpool_3');
  });
});

describe('layerVariables', () => {
  test('names that meet are numbered in order, never taking a name another layer has of its own', () => {
    const names = ['input', 'a_b', 'a-b', 'a b', 'a_b_2', 'class', 'class_layer', 'sint', 'sint', '1conv', 'layer_1conv', 'café', 'cafe', '层', '层'];
    expect(layerVariables(names.map((n) => layer(n)))).toEqual([
      'input_layer',
      'a_b',
      'a_b_3', // a_b_2 is a later layer's own name
      'a_b_4',
      'a_b_2',
      'class_layer',
      'class_layer_2',
      'sint_layer',
      'sint_layer_2',
      'layer_1conv',
      'layer_1conv_2',
      'cafe',
      'cafe_2',
      'conv2d',
      'conv2d_2',
    ]);
  });

  // a seeded generator of hostile names: pieces that collide once sanitised
  const pieces = ['a', 'b', '-', '_', ' ', '1', 'é', '层', 'class', 'sint', 'layers', 'ml', '__', '(activation)', 'x_2', 'input', 'sum', '.'];
  function hostile(seed: number, count: number): { from: string; kind: string }[] {
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s);
    return Array.from({ length: count }, () => layer(Array.from({ length: 1 + (next() % 4) }, () => pieces[next() % pieces.length]).join('')));
  }

  test.each([1, 2, 3, 4, 5])('hostile names (seed %i): valid, unreserved, unique, deterministic', (seed) => {
    const layers = hostile(seed, 200);
    const names = layerVariables(layers);
    for (const n of names) {
      expect(n).toMatch(IDENTIFIER);
      expect(RESERVED_NAMES.has(n)).toBe(false);
      expect(n.startsWith('__')).toBe(false);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(layerVariables(hostile(seed, 200))).toEqual(names);
  });
});

/** Every name a Python program binds (assignments, loop targets, functions, arguments), by python3's ast. */
function boundNames(program: string): string[] {
  const script = [
    'import ast, json, sys',
    'names = []',
    'for n in ast.walk(ast.parse(sys.stdin.read())):',
    '    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store): names.append(n.id)',
    '    elif isinstance(n, (ast.FunctionDef, ast.ClassDef)): names.append(n.name)',
    '    elif isinstance(n, ast.arg): names.append(n.arg)',
    'print(json.dumps(names))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: program, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 does not parse the program: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const hasPython = spawnSync('python3', ['-c', 'import ast'], { encoding: 'utf8' }).status === 0;
const KERAS: SourceFile = {
  path: 'test/fixtures/python-names-keras.ppvc',
  text: source('test/fixtures/python-names.ppvc').text.replace(/model m by bob \{[^}]*\}/, 'model m by bob from "python-names-model.json"'),
};

function build(file: SourceFile, optimizations = {}) {
  const r = checkSource(file, { optimizations });
  if (!r.pipeline) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return buildPipeline(r.pipeline);
}

describe('generated programs', () => {
  const programs: [string, SourceFile, object][] = [
    ...exampleFiles().map((f): [string, SourceFile, object] => [f, source(f), {}]),
    ...exampleFiles().map((f): [string, SourceFile, object] => [`${f} (seed style)`, source(f), { 'batch-frames': false, 'vector-layers': false }]),
    ['test/fixtures/python-names.ppvc', source('test/fixtures/python-names.ppvc'), {}],
    ['test/fixtures/python-names.ppvc (seed style)', source('test/fixtures/python-names.ppvc'), { 'batch-frames': false }],
    ['test/fixtures/python-names-model.json', KERAS, {}],
  ];

  test.each(programs)('%s: one construction per layer object, under the names python-names gives, in the list once', (_title, file, optimizations) => {
    const a = build(file, optimizations);
    const statements = layerStatements(a.program);
    const names = statements.map((s) => s.name);
    expect(names).toEqual(layerVariables(programLayers(a.pipeline)));
    expect(names).toHaveLength(a.layerNames.length);
    expect(a.program).toContain(`\nlayers = [\n${names.map((n, i) => `    ${n},  # timer ${100 + i}\n`).join('')}]\n`);
    // no list positions left in the code
    expect(a.program).not.toMatch(/^[^#\n]*layers\[/m);
  });

  testUnless(hasPython ? undefined : 'no python3')('every variable the programs bind is a layer object or a name python-names reserves; python3 parses them', () => {
    for (const [title, file, optimizations] of programs) {
      const a = build(file, optimizations);
      const layerNames = new Set(layerStatements(a.program).map((s) => s.name));
      const bound = boundNames(a.program);
      // each layer object bound once
      for (const n of layerNames) expect({ title, n, times: bound.filter((b) => b === n).length }).toEqual({ title, n, times: 1 });
      const others = [...new Set(bound.filter((b) => !layerNames.has(b)))];
      expect({ title, unreserved: others.filter((b) => !RESERVED_NAMES.has(b)) }).toEqual({ title, unreserved: [] });
      // and python-names lists exactly what the program binds itself
      for (const n of others) if (n !== '_') expect(PROGRAM_NAMES).toContain(n);
    }
  });

  test('the hostile names: what each layer object is called', () => {
    const named = (file: SourceFile) => layerStatements(build(file).program).map((s) => [s.name, s.comment.replace(/ \(Winograd.*\)$|^Winograd.*$/, '')]);
    expect(named(source('test/fixtures/python-names.ppvc'))).toEqual([
      ['input_layer', 'input'],
      ['class_layer', 'class'],
      ['class_relu', 'class (activation)'],
      ['sint_layer', 'sint'],
      ['layer___builtins__', '__builtins__'],
      ['layers_layer', 'layers, moved after __builtins__'],
      ['label_layer', 'label'],
      ['for_range_layer', 'for_range'],
      ['avgpool', '_'],
      ['print_ln_layer', 'print_ln'],
      ['print_ln_relu', 'print_ln (activation)'],
      ['sum_layer', 'sum'],
      ['ml_layer', 'ml'],
    ]);
    // the importer makes Keras names identifiers first (a-b -> a_b, the next a_b -> a_b_2, 1conv -> l_1conv)
    expect(named(KERAS).map(([n]) => n)).toEqual(['input_layer', 'class_layer', 'class_relu', 'a_b', 'l_1conv', 'a_b_2', 'sint_layer', 'sint_relu', 'caf', 'ml_layer', 'ml_relu', 'program_layer']);
  });

  test('the hostile names: the audit accepts the programs (only the label opened, to alice)', () => {
    for (const file of [source('test/fixtures/python-names.ppvc'), KERAS]) {
      const a = build(file);
      const audit = auditWithHelpers({
        program: { file: `${a.pipeline.name}.mpc`, text: a.program },
        helpers: { file: 'ml.py.patch', text: a.mlPatch },
        declared: { outputs: a.pipeline.reveals.map((r) => ({ name: r.name, to: r.to.map((t) => t.id) })), by: 'the pipeline' },
      });
      expect(audit.verdict).toEqual({ ok: true, problems: [] });
      expect(audit.opens.map((o) => [o.label, o.recipient])).toEqual([['label', 0]]);
    }
  });

  test('byte-for-byte deterministic', () => {
    expect(build(source('test/fixtures/python-names.ppvc')).program).toBe(build(source('test/fixtures/python-names.ppvc')).program);
    expect(build(KERAS).program).toBe(build(KERAS).program);
  });
});

