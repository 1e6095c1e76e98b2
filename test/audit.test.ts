// The leak audit reads the generated program text: for every example (and a few variants
// with other outputs), exactly the declared values are opened, to exactly their receivers,
// and the inputs come from their declared owners. Injected leaks must be caught.
import { compileSource, type BuildArtifacts } from '../src/compile.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import { auditProgram, compareWithDeclared, type AuditReport } from '../src/audit/audit.js';
import { exampleFiles, source } from './helpers.js';

const declared = (p: Pipeline) => p.reveals.map((r) => ({ name: r.name, to: r.to.map((t) => t.id) }));

function compile(path: string, text?: string): BuildArtifacts {
  const r = compileSource(text === undefined ? source(path) : { path, text });
  if (!r.artifacts) throw new Error(`${path} does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.artifacts;
}

/** Each (output, receiver) pair the pipeline declares, in a canonical order. */
function expectedOpens(p: Pipeline) {
  return p.reveals.flatMap((r) => r.to.map((t) => ({ label: r.name, recipient: t.id as number | 'all' }))).sort(byKey);
}
const byKey = (a: { label?: string; recipient: number | 'all' }, b: { label?: string; recipient: number | 'all' }) =>
  `${a.label}/${a.recipient}`.localeCompare(`${b.label}/${b.recipient}`);

function expectInputsFromOwners(report: AuditReport, p: Pipeline): void {
  // The generator names the video `video` and the selection matrix `selection`; every other
  // input is a tensor of the model's weights.
  const video = report.inputs.filter((i) => /^video\b/.test(i.what));
  const selection = report.inputs.filter((i) => /^selection\b/.test(i.what));
  const weights = report.inputs.filter((i) => !video.includes(i) && !selection.includes(i));
  expect(video.map((i) => i.party)).toEqual([p.video.owner.id]);
  expect(selection.map((i) => i.party)).toEqual(p.selection.kind === 'oblivious' ? [p.selection.chooser.id] : []);
  expect(weights.length).toBeGreaterThan(0);
  for (const w of weights) expect(w).toMatchObject({ party: p.model.owner.id });
}

const lines = (program: string) => program.split('\n');
/** The 1-based line a text appended to `program` (which ends in a newline) lands on. */
const appendedLine = (program: string) => lines(program).length;
function insertBefore(program: string, pattern: RegExp, text: string): { code: string; line: number } {
  const ls = lines(program);
  const at = ls.findIndex((l) => pattern.test(l));
  if (at < 0) throw new Error(`no line matches ${pattern}`);
  ls.splice(at, 0, text);
  return { code: ls.join('\n'), line: at + 1 };
}

/** The program opens something extra, and the problem names its line. */
function expectCaught(code: string, p: Pipeline, line: number): string[] {
  const result = compareWithDeclared(auditProgram(code), declared(p));
  expect(result.ok).toBe(false);
  expect(result.problems.filter((x) => x.startsWith(`line ${line}:`))).not.toHaveLength(0);
  return result.problems;
}

// Other outputs than the examples': the aggregated vector, several receivers, a label named
// like an MP-SPDZ output function.
const VARIANT_HEAD = `party alice = 0
party bob = 1
party carol = 2
video frames: [10, 8, 8, 1] from alice
`;
const VARIANT_MODEL = 'model m by bob {\n  conv2d 2 kernel 3x3\n  relu\n  flatten\n  dense 3\n}\n';
const variants: Record<string, string> = {
  'two-receivers.ppvc': `pipeline two\n${VARIANT_HEAD}select public every 3\n${VARIANT_MODEL}classify each frame with m, logits\nreveal label to alice, bob\n`,
  'scores.ppvc': `pipeline scores\n${VARIANT_HEAD}select 4 frames by carol\n${VARIANT_MODEL}classify each frame with m, softmax exact\nreveal sum to bob\nreveal label to alice\n`,
  'named-output.ppvc': `pipeline named\n${VARIANT_HEAD}select public frames [0, 2, 9]\n${VARIANT_MODEL}classify each frame with m\noutput = argmax(votes)\nreveal output to carol\nreveal votes to alice, carol\n`,
};

const cases: [string, () => BuildArtifacts][] = [
  ...exampleFiles().map((f): [string, () => BuildArtifacts] => [f, () => compile(f)]),
  ...Object.entries(variants).map(([f, text]): [string, () => BuildArtifacts] => [`variant ${f}`, () => compile(f, text)]),
];

test('there are examples to audit', () => {
  expect(exampleFiles().length).toBeGreaterThan(0);
});

describe.each(cases)('%s', (_name, build) => {
  let a: BuildArtifacts;
  let report: AuditReport;
  beforeAll(() => {
    a = build();
    report = auditProgram(a.program);
  });

  test('opens exactly the declared outputs, to exactly their receivers', () => {
    expect(report.opens.map((o) => ({ label: o.label, recipient: o.recipient })).sort(byKey)).toEqual(expectedOpens(a.pipeline));
    for (const o of report.opens) expect(o.kind).toBe('print_ln_to');
    expect(compareWithDeclared(report, declared(a.pipeline))).toEqual({ ok: true, problems: [] });
  });

  test('reads each input from its declared owner', () => {
    expectInputsFromOwners(report, a.pipeline);
  });

  test('catches an appended print of a value revealed to everyone', () => {
    const line = appendedLine(a.program);
    const problems = expectCaught(a.program + 'print_ln("debug: %s", logits.reveal())\n', a.pipeline, line);
    expect(problems.join('\n')).toMatch(/all parties/);
  });

  test('catches an inserted print to another party', () => {
    const { code, line } = insertBefore(a.program, /^print_ln_to\(/, 'print_ln_to(1, "x: %s", label.reveal_to(1))');
    const problems = expectCaught(code, a.pipeline, line);
    expect(problems).toHaveLength(1); // the declared outputs, one line further down, are still fine
    expect(problems[0]).toMatch(/'x' to party 1/);
  });

  test('catches a declared output opened to everyone instead of its receivers', () => {
    const ls = lines(a.program);
    const at = ls.findIndex((l) => /\.reveal_to\(\d+\)/.test(l));
    ls[at] = ls[at]!.replace(/\.reveal_to\(\d+\)/, '.reveal()');
    expectCaught(ls.join('\n'), a.pipeline, at + 1);
  });

  test('catches a declared output printed twice, and one never printed', () => {
    const ls = lines(a.program);
    const at = ls.findIndex((l) => l.startsWith('print_ln_to('));
    const twice = [...ls.slice(0, at + 1), ls[at]!, ...ls.slice(at + 1)].join('\n');
    expect(compareWithDeclared(auditProgram(twice), declared(a.pipeline)).problems.join('\n')).toMatch(new RegExp(`line ${at + 2}: .* a second time`));
    const never = [...ls.slice(0, at), ...ls.slice(at + 1)].join('\n');
    const result = compareWithDeclared(auditProgram(never), declared(a.pipeline));
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/no line of the program opens it/);
  });

  test.each([
    ['an f-string field', 'print_ln(f"{label.reveal()}")', 0],
    ['a computed attribute name', 'getattr(label, "rev" + "eal")()', 0],
    ['a full-width identifier (Python normalises it)', 'label.\uff52\uff45\uff56\uff45\uff41\uff4c()', 0],
    ['a binary output file', 'label.reveal_to_binary_output(1)', 0],
    ['shares written to a file', 'sint.write_to_file(aggregate)', 0],
    ['an alias of a print function', 'from Compiler.library import print_ln_to as say', 0],
    // one open: the print names the reveal's variable, and that print is the problem
    ['a reveal assigned, then printed', 'y = label.reveal_to(1)\nprint_ln_to(1, "y: %s", y)', 1],
    ['a one-line loop', 'for v in aggregate: print_ln("v: %s", v.reveal())', 0],
  ])('catches %s', (_what, text, offset) => {
    expectCaught(a.program + text + '\n', a.pipeline, appendedLine(a.program) + offset);
  });

  test('catches an extra input', () => {
    const extra = auditProgram(a.program + 'spy = sint.get_input_from(2)\n').inputs;
    expect(extra).toHaveLength(report.inputs.length + 1);
    expect(extra[extra.length - 1]).toMatchObject({ party: 2, type: 'sint', what: 'spy', line: appendedLine(a.program) });
  });

  test('ignores opens in comments and strings', () => {
    const harmless = [
      '# print_ln("debug: %s", logits.reveal())',
      'x = 1  # label.reveal_to(1)',
      'note = "print_ln_to(1, \'x: %s\', label.reveal_to(1))"',
      "other = 'label.reveal()  # not a comment either'",
      '"""',
      'print_ln("debug: %s", logits.reveal())',
      "label.reveal_to(2)  # inside a docstring",
      '"""',
      "raw = r'\\' label.reveal() \\''",
      'fmt = f"{{label.reveal()}}"  # doubled braces are text',
    ].join('\n');
    const before = auditProgram(a.program);
    const after = auditProgram(a.program + harmless + '\n');
    expect(after.opens).toEqual(before.opens);
    expect(after.inputs).toEqual(before.inputs);
    expect(compareWithDeclared(after, declared(a.pipeline)).ok).toBe(true);
  });
});

test('emotion: one open, label, to alice (party 0)', () => {
  const a = compile('examples/emotion.ppvc');
  const report = auditProgram(a.program);
  expect(report.opens).toEqual([
    { kind: 'print_ln_to', recipient: 0, label: 'label', expression: 'print_ln_to(0, "label: %s", label.reveal_to(0))', line: expect.any(Number) },
  ]);
  // the video from alice, then bob's selection matrix and his weights (however many tensors)
  expect(report.inputs.slice(0, 2).map((i) => [i.what, i.party])).toEqual([
    ['video', 0],
    ['selection', 1],
  ]);
  expect(report.inputs.length).toBeGreaterThan(2);
  for (const i of report.inputs.slice(2)) expect(i).toMatchObject({ party: 1, what: expect.stringMatching(/^layer/) });
});

// The label's name becomes a Python variable of the program. Named like an MP-SPDZ function,
// it must neither compile into a program that opens something undeclared nor break the
// declared output: either the checker rejects the name or the generator renames the variable.
test.each(['print_ln_to', 'reveal_to', 'print_ln'])('a label named %s opens only the declared output', (name) => {
  const text = `pipeline p\n${VARIANT_HEAD}select public every 2\n${VARIANT_MODEL}classify each frame with m\n${name} = argmax(sum)\nreveal ${name} to alice\n`;
  const r = compileSource({ path: 'label-name.ppvc', text });
  if (!r.artifacts) {
    expect(r.diagnostics.some((d) => d.severity === 'error' && d.span)).toBe(true);
    return;
  }
  expect(compareWithDeclared(auditProgram(r.artifacts.program), declared(r.artifacts.pipeline))).toEqual({ ok: true, problems: [] });
});

describe('auditProgram on hand-written programs', () => {
  test('resolves party constants, keyword players and loop variables', () => {
    const r = auditProgram(
      [
        'ALICE, BOB = 0, 1',
        'CAROL = 2',
        'x = sint.get_input_from(BOB)',
        'w = sfix.input_tensor_from(player=CAROL, shape=[3])',
        'ws = [sfix.Array(3) for _ in range(2)]',
        'for t in ws:',
        '    t.input_from(ALICE)',
        'print_ln_to(BOB, "label: %s", x.reveal_to(BOB))',
        'label.reveal_to(n)',
      ].join('\n'),
    );
    expect(r.inputs).toEqual([
      { party: 1, type: 'sint', what: 'x', line: 3 },
      { party: 2, type: 'sfix', what: 'w', line: 4 },
      { party: 0, type: 'list', what: 't (each of ws)', line: 7 },
    ]);
    expect(r.opens).toEqual([
      { kind: 'print_ln_to', recipient: 1, label: 'label', expression: 'print_ln_to(BOB, "label: %s", x.reveal_to(BOB))', line: 8 },
      // an unknown receiver is assumed to be anyone
      { kind: 'reveal_to', recipient: 'all', expression: 'label.reveal_to(n)', line: 9 },
    ]);
  });

  test('a print spread over several lines is one open at its first line', () => {
    const r = auditProgram('print_ln_to(\n    0,\n    "sum: %s %s",\n    *[x.reveal_to(0) for x in aggregate],\n)\n');
    expect(r.opens).toEqual([
      { kind: 'print_ln_to', recipient: 0, label: 'sum', expression: 'print_ln_to( 0, "sum: %s %s", *[x.reveal_to(0) for x in aggregate], )', line: 1 },
    ]);
  });

  test('a print at one party of a value revealed to another is two opens', () => {
    const r = auditProgram('print_ln_to(0, "label: %s", label.reveal_to(1))\n');
    expect(r.opens.map((o) => [o.kind, o.recipient, o.label])).toEqual([
      ['print_ln_to', 0, 'label'],
      ['reveal_to', 1, 'label'],
    ]);
    expect(compareWithDeclared(r, [{ name: 'label', to: [0] }]).problems).toEqual([
      "line 1: reveal_to opens 'label' to party 1, but it is declared only to party 0: label.reveal_to(1)",
    ]);
  });

  test("the program's own variables are not opens; MP-SPDZ's functions used before are", () => {
    const r = auditProgram('print_ln("early: %s", 1)\nprint_ln = 5\nprint_ln\noutput = 3\noutput\nx.output(3)\n');
    expect(r.opens.map((o) => [o.line, o.expression])).toEqual([
      [1, 'print_ln("early: %s", 1)'],
      [6, 'x.output(3)'],
    ]);
  });

  test('a name bound only in a function or under a condition is still MP-SPDZ\'s', () => {
    const r = auditProgram('def f():\n    reveal = 1\nif c: print_ln = g\nreveal(secret)\nprint_ln("a: %s", x)\n');
    expect(r.opens.map((o) => [o.line, o.kind, o.expression])).toEqual([
      [2, 'reveal', 'reveal'], // rebinding a name of MP-SPDZ's is itself suspicious
      [3, 'other', 'print_ln'],
      [4, 'reveal', 'reveal(secret)'],
      [5, 'print_ln', 'print_ln("a: %s", x)'],
    ]);
  });

  test('comments inside a quoted expression are left out, strings are kept', () => {
    const r = auditProgram('print_ln_to(\n    0,  # to alice\n    "label # 1: %s",\n    label.reveal_to(0),\n)\n');
    expect(r.opens).toEqual([
      { kind: 'print_ln_to', recipient: 0, label: 'label # 1', expression: 'print_ln_to( 0, "label # 1: %s", label.reveal_to(0), )', line: 1 },
    ]);
  });

  test('library switches that open values are flagged, shape keywords are not', () => {
    const r = auditProgram('l = ml.FixConv2d(input_shape=[1], output_shape=[2])\nopt.fit(X, print_accuracy=True)\n');
    expect(r.opens.map((o) => o.expression)).toEqual(['print_accuracy']);
  });
});
