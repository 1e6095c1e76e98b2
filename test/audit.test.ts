// The leak audit reads the generated program text and the helper code it calls (ml.py.patch):
// for every example and golden program, exactly the declared values are opened, to exactly
// their receivers, and the inputs come from their declared owners. A catalogue of injected
// leaks must each be caught: exit status 1 and the leak named with its file and line.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSource, type BuildArtifacts } from '../src/compile.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import { auditProgram, auditWithHelpers, compareWithDeclared, type Audit, type AuditReport } from '../src/audit/audit.js';
import { declaredInHeader, patchedCode } from '../src/audit/sources.js';
import { truncationIn } from '../src/audit/truncation.js';
import { readPython } from '../src/audit/python-source.js';
import { renderMlPatch } from '../src/emit/ml-patch.js';
import { HELPERS, type HelperName } from '../src/emit/runtime/helpers.js';
import { PROTOCOL_NAMES } from '../src/target/protocols.js';
import { ROOT, exampleFiles, source, testUnless } from './helpers.js';

const declared = (p: Pipeline) => p.reveals.map((r) => ({ name: r.name, to: r.to.map((t) => t.id) }));

function compile(path: string, text?: string, opts: Parameters<typeof compileSource>[1] = {}): BuildArtifacts {
  const r = compileSource(text === undefined ? source(path) : { path, text }, opts);
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

const lines = (text: string) => text.split('\n');
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
  ...exampleFiles().map((f): [string, () => BuildArtifacts] => [`${f} --style seed`, () => compile(f, undefined, { style: 'seed' })]),
  ...Object.entries(variants).map(([f, text]): [string, () => BuildArtifacts] => [`variant ${f}`, () => compile(f, text)]),
];

/** The full audit of a build: program and generated helper code, against the pipeline. */
const auditArtifacts = (a: BuildArtifacts): Audit =>
  auditWithHelpers({
    program: { file: `${a.pipeline.name}.mpc`, text: a.program },
    helpers: a.mlPatch ? { file: 'ml.py.patch', text: a.mlPatch } : undefined,
    declared: { outputs: declared(a.pipeline), by: 'the pipeline' },
  });

test('there are examples and golden programs to audit', () => {
  expect(exampleFiles().length).toBeGreaterThan(0);
  expect(goldenDirs().length).toBeGreaterThan(0);
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

  test('with its helper code, and its header agreeing with the pipeline', () => {
    const full = auditArtifacts(a);
    expect(full.verdict).toEqual({ ok: true, problems: [] });
    expect(full.opens.filter((o) => o.role === 'helpers')).toEqual([]);
    // the header declares what the pipeline does
    const sorted = (d: { name: string; to: number[] }[]) => d.map((x) => ({ ...x, to: [...x.to].sort() })).sort((x, y) => x.name.localeCompare(y.name));
    expect(sorted(declaredInHeader(a.program).declared)).toEqual(sorted(declared(a.pipeline)));
    // and against its own header, as `audit FILE.mpc` reads it
    const own = auditWithHelpers({ program: { file: 'p.mpc', text: a.program }, helpers: a.mlPatch ? { file: 'ml.py.patch', text: a.mlPatch } : undefined });
    expect(own.verdict).toEqual({ ok: true, problems: [] });
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
    expect(compareWithDeclared(auditProgram(twice), declared(a.pipeline)).problems.join('\n')).toMatch(new RegExp(`line ${at + 2}: .* a second time \\(first at line ${at + 1}\\)`));
    const never = [...ls.slice(0, at), ...ls.slice(at + 1)].join('\n');
    const result = compareWithDeclared(auditProgram(never), declared(a.pipeline));
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/no line of the program opens it/);
  });

  test.each([
    ['an f-string field', 'print_ln(f"{label.reveal()}")', 0],
    ['an f-string field with nested quotes (Python 3.12)', 'note = f"{names["k"]}{label.reveal()}"', 0],
    ['a computed attribute name', 'getattr(label, "rev" + "eal")()', 0],
    ['a full-width identifier (Python normalises it)', 'label.\uff52\uff45\uff56\uff45\uff41\uff4c()', 0],
    ['a binary output file', 'label.reveal_to_binary_output(1)', 0],
    ['shares written to a file', 'sint.write_to_file(aggregate)', 0],
    ['an alias of a print function', 'from Compiler.library import print_ln_to as say', 0],
    // one open: the print names the reveal's variable, and that print is the problem
    ['a reveal assigned, then printed', 'y = label.reveal_to(1)\nprint_ln_to(1, "y: %s", y)', 1],
    ['a one-line loop', 'for v in aggregate: print_ln("v: %s", v.reveal())', 0],
  ])('catches %s', (what, text, offset) => {
    if (what.includes('(Python 3.12)') && !PEP_701) {
      // the python3 here rejects it (as its compile.py would): the audit says where, and why
      expect(() => auditProgram(a.program + text + '\n', { file: 'p.mpc' })).toThrow(new RegExp(`^p\\.mpc:${appendedLine(a.program) + offset}:\\d+: not valid Python: `));
      return;
    }
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
      'spec = f"{x:>{width}} {y!r:^10} label.reveal()"  # format specs are text',
    ].join('\n');
    const before = auditProgram(a.program);
    const after = auditProgram(a.program + harmless + '\n');
    expect(after.opens).toEqual(before.opens);
    expect(after.inputs).toEqual(before.inputs);
    expect(compareWithDeclared(after, declared(a.pipeline)).ok).toBe(true);
  });
});

test('every protocol and style: program and helpers open only the declared outputs', () => {
  let audited = 0;
  for (const f of exampleFiles()) {
    for (const protocol of PROTOCOL_NAMES) {
      for (const style of ['optimized', 'seed'] as const) {
        const r = compileSource(source(f), { protocol, style });
        if (!r.artifacts) continue; // a protocol this pipeline does not fit
        audited++;
        const verdict = auditArtifacts(r.artifacts).verdict;
        if (!verdict.ok) throw new Error(`${f} --protocol ${protocol} --style ${style}: ${verdict.problems.join('; ')}`);
      }
    }
  }
  expect(audited).toBeGreaterThan(exampleFiles().length * 2);
});

test('the helper code of every helper opens nothing', () => {
  const all = renderMlPatch(Object.keys(HELPERS) as HelperName[]);
  const r = auditWithHelpers({
    program: { file: 'p.mpc', text: `# Opened values (nothing else is revealed):\n\nfrom Compiler import ml\n` },
    helpers: { file: 'ml.py.patch', text: all },
  });
  expect(r.verdict).toEqual({ ok: true, problems: [] });
  expect(r.opens).toEqual([]);
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
  // each tensor read into a named layer object, whose class the audit resolves
  for (const i of report.inputs.slice(2)) expect(i).toMatchObject({ party: 1, what: expect.stringMatching(/^\w+\.(weights|bias|W|b)$/), type: expect.stringMatching(/^ml\.[A-Z]\w+$/) });
  expect(report.inputs.slice(2, 4)).toMatchObject([
    { what: 'conv2d_1.weights', type: 'ml.PpvcConv2d' },
    { what: 'conv2d_1.bias', type: 'ml.PpvcConv2d' },
  ]);
});

// The label's name appears in the program's print. Named like an MP-SPDZ function, it must
// neither compile into a program that opens something undeclared nor break the declared output:
// either the checker rejects the name or the generator keeps it out of the code.
test.each(['print_ln_to', 'reveal_to', 'print_ln'])('a label named %s opens only the declared output', (name) => {
  const text = `pipeline p\n${VARIANT_HEAD}select public every 2\n${VARIANT_MODEL}classify each frame with m\n${name} = argmax(sum)\nreveal ${name} to alice\n`;
  const r = compileSource({ path: 'label-name.ppvc', text });
  if (!r.artifacts) {
    expect(r.diagnostics.some((d) => d.severity === 'error' && d.span)).toBe(true);
    return;
  }
  expect(compareWithDeclared(auditProgram(r.artifacts.program), declared(r.artifacts.pipeline))).toEqual({ ok: true, problems: [] });
  expect(auditArtifacts(r.artifacts).verdict).toEqual({ ok: true, problems: [] });
});

// ---- the leak catalogue ------------------------------------------------------------------

/** Python 3.12's f-strings (PEP 701): any quotes, comments and backslashes inside fields. */
const PEP_701 = Number(spawnSync('python3', ['-c', 'import sys; print(sys.version_info[1])'], { encoding: 'utf8' }).stdout) >= 12;

function goldenDirs(): string[] {
  return readdirSync(join(ROOT, 'golden')).sort();
}
function goldenFiles(dir: string): { programFile: string; patchFile: string; program: string; patch: string } {
  const mpc = readdirSync(join(ROOT, 'golden', dir)).find((f) => f.endsWith('.mpc'))!;
  const programFile = `golden/${dir}/${mpc}`;
  const patchFile = `golden/${dir}/ml.py.patch`;
  return { programFile, patchFile, program: readFileSync(join(ROOT, programFile), 'utf8'), patch: readFileSync(join(ROOT, patchFile), 'utf8') };
}

interface Files {
  program: string;
  /** undefined: no ml.py.patch beside the program */
  patch?: string;
}
interface Injected extends Files {
  /** Where the leak is: the file, and its line (none for a problem of the whole file). */
  at: 'program' | 'patch';
  line?: number;
}
type Injection = (f: Files) => Injected;

/** Appends code to the program; the leak is on its `offset`-th line. */
const append =
  (code: string, offset = 0): Injection =>
  (f) => ({ ...f, program: f.program + code + '\n', at: 'program', line: appendedLine(f.program) + offset });

const DECLARED_PRINT = /^print_ln_to\(0, "label: %s", label\.reveal_to\(0\)\)$/;
/** Replaces the program's declared print (`print_ln_to(0, "label: %s", label.reveal_to(0))`). */
const replaceDeclared =
  (text: string, offset = 0): Injection =>
  (f) => {
    const ls = lines(f.program);
    const at = ls.findIndex((l) => DECLARED_PRINT.test(l));
    if (at < 0) throw new Error('no declared print to replace');
    ls[at] = text;
    return { ...f, program: ls.join('\n'), at: 'program', line: at + 1 + offset };
  };

/**
 * Adds a line of code to the helper code in ml.py.patch, after the lines matching `path` in
 * turn (a class, then its method), and updates the hunk's size as a real patch would.
 */
const intoHelper =
  (path: RegExp[], code: string): Injection =>
  (f) => {
    const ls = lines(f.patch!);
    let at = -1;
    for (const re of path) {
      at = ls.findIndex((l, i) => i > at && re.test(l));
      if (at < 0) throw new Error(`no line of the patch matches ${re}`);
    }
    ls.splice(at + 1, 0, `+${code}`);
    let hunk = at;
    while (hunk >= 0 && !ls[hunk]!.startsWith('@@ ')) hunk--;
    ls[hunk] = ls[hunk]!.replace(/\+(\d+),(\d+) @@/, (_m, s, n) => `+${s},${Number(n) + 1} @@`);
    return { ...f, patch: ls.join('\n'), at: 'patch', line: at + 2 };
  };

/** A change to the patch text itself. */
const inPatch =
  (change: (ls: string[]) => number): Injection =>
  (f) => {
    const ls = lines(f.patch!);
    const at = change(ls);
    return { ...f, patch: ls.join('\n'), at: 'patch', line: at + 1 };
  };

/**
 * Name, how it is injected, and what the problem must say (besides the file and line). Each
 * applies to every golden program; a case not caught fails.
 */
const CATALOGUE: [string, Injection, RegExp][] = [
  // extra openings in the program
  ['an extra reveal (the issue)', append('aggregate[0].reveal()'), /reveal opens to all parties, which is not a declared output: aggregate\[0\]\.reveal\(\)/],
  ['a print of a secret', append("print_ln('%s', logits.reveal())"), /print_ln opens to all parties.*print_ln\('%s', logits\.reveal\(\)\)/],
  ['a reveal to the wrong party', replaceDeclared('print_ln_to(0, "label: %s", label.reveal_to(1))'), /reveal_to opens 'label' to party 1, but it is declared only to party 0/],
  ['the declared print sent to the wrong party', replaceDeclared('print_ln_to(1, "label: %s", label.reveal_to(1))'), /print_ln_to opens 'label' to party 1, but it is declared only to party 0/],
  ['the declared output revealed to everyone', replaceDeclared('print_ln_to(0, "label: %s", label.reveal())'), /reveal opens 'label' to all parties, but it is declared only to party 0/],
  ['a second value in the declared print', replaceDeclared('print_ln_to(0, "label: %s %s", label.reveal_to(0), logits.reveal_to(0))'), /'label' is opened to party 0 a second time.*logits\.reveal_to\(0\)/],
  ['a reveal nested in the declared print', replaceDeclared('print_ln_to(0, "label: %s", label.reveal_to(0) + logits[0].reveal_to(0))'), /a second time.*logits\[0\]\.reveal_to\(0\)/],
  ['the declared print in a loop over other values', replaceDeclared('for x in aggregate: print_ln_to(0, "label: %s", x.reveal_to(0))'), /print_ln_to opens 'label' to party 0 inside a block/],
  ['the declared print in a comprehension', replaceDeclared('[print_ln_to(0, "label: %s", x.reveal_to(0)) for x in per_class[0]]'), /inside a block/],
  ['the declared print in a function', replaceDeclared('def out(v):\n    print_ln_to(0, "label: %s", v.reveal_to(0))', 1), /inside a block/],
  // side channels: prints and outputs of revealed intermediates, shares, files, sockets
  ['print_ln_to of a revealed intermediate', append('print_ln_to(0, "logits: %s", logits.reveal_to(0))'), /print_ln_to opens 'logits' to party 0, which is not a declared output/],
  ['a revealed intermediate printed under the declared label', append('x = logits.reveal_to(0)\nprint_ln_to(0, "label: %s", x)', 1), /'label' is opened to party 0 a second time \(first at golden\/.*\)/],
  ['print_str', append("print_str('%s', aggregate[0].reveal())"), /print_ln opens to all parties.*print_str/],
  ['library.print_ln_if', append("library.print_ln_if(cond, 'label: %s', label_clear)"), /print_ln opens 'label' to all parties.*library\.print_ln_if/],
  ['print_float_plain', append('aggregate_clear.print_float_plain()'), /print_float_plain/],
  ['print_reg_plain (an instruction)', append('print_reg_plain(c)'), /print_reg_plain/],
  ['.output() (prints shares)', append('label.output()'), /output opens to all parties.*label\.output\(\)/],
  ['print_secrets= (prints shares)', append("print_ln('%s', label, print_secrets=True)"), /library opens to all parties.*print_secrets/],
  ['write_to_file (persists shares)', append('sint.write_to_file(aggregate)'), /output .*sint\.write_to_file\(aggregate\)/],
  ['write_to_socket', append('cint.write_to_socket(0, [label_clear])'), /cint\.write_to_socket/],
  ['write_shares_to_socket', append('sint.write_shares_to_socket(0, aggregate)'), /write_shares_to_socket/],
  ['reveal_to_clients', append('sint.reveal_to_clients([0], [label])'), /reveal_to_clients/],
  ['binary_output at a party', append('label.reveal_to(1).binary_output()'), /binary_output/],
  ['public_output', append('public_output(label)'), /public_output/],
  ['the OPEN instruction', append('asm_open(True, c, label)'), /reveal opens to all parties.*asm_open/],
  ['the PRIVATEOUTPUT instruction', append('privateoutput(1, 1, c, label)'), /reveal_to opens to party 1.*privateoutput/],
  ['runtime_error_if', append("runtime_error_if(flag, 'label: %s', c)"), /runtime_error_if/],
  // MP-SPDZ's own ml.py, made to open values
  ['a layer debug switch', append('layers[1].debug_output = True'), /library opens to all parties.*debug_output/],
  ['a debug keyword', append('extra = ml.Dense(7, 128, 1024, debug=True)'), /library .*debug/],
  ['Optimizer.stat (reveals a tensor)', append("ml.Optimizer.stat('logits', layers[-1].Y)"), /library .*ml\.Optimizer\.stat/],
  ['reveal_correctness', append('cnn.reveal_correctness(data, truth)'), /cnn\.reveal_correctness/],
  // aliasing and Python's other routes
  ['an alias of reveal', append('f = label.reveal\nprint_ln_to(0, "y: %s", f())'), /reveal opens to all parties.*label\.reveal/],
  ['an alias of print_ln_to', append('say = print_ln_to\nsay(0, "x: %s", logits.reveal_to(0))'), /print_ln_to opens to all parties.*print_ln_to/],
  ['an imported alias', append('from Compiler.library import print_ln as say'), /print_ln/],
  ['a module alias', append('import Compiler.library as L\nL.print_ln("%s", c)', 1), /print_ln opens.*L\.print_ln/],
  ['getattr', append("getattr(label, 'rev' + 'eal')()"), /dynamic .*getattr/],
  ['vars', append("vars(sint)['reveal'](label)"), /dynamic .*vars/],
  ['eval', append("eval('label.reveal()')"), /dynamic .*eval/],
  ['exec', append("exec('print_ln(1)')"), /dynamic .*exec/],
  ['inspect', append('members = inspect.getmembers(label)'), /dynamic .*inspect/],
  ['an unknown import', append('import os'), /import .*imports os: code the audit does not read/],
  ['a compile-time file', append("open('leak.txt', 'w')"), /compile-time file access/],
  ['an f-string with nested quotes (Python 3.12)', append('note = f"{names["k"]}{label.reveal()}"'), /reveal .*label\.reveal\(\)/],
  ['full-width letters', append('label.\uff52\uff45\uff56\uff45\uff41\uff4c()'), /reveal/],
  ['a line continuation', append('label \\\n    .reveal()', 1), /reveal/],
  ['after a semicolon', append('x = 1; label.reveal()'), /reveal .*label\.reveal\(\)/],
  ['in a function', append('def leak():\n    return logits.reveal()\nleak()', 1), /reveal .*logits\.reveal\(\)/],
  ['in a decorator', append('@if_(label.reveal() == 1)\ndef _():\n    pass'), /reveal .*label\.reveal\(\)/],
  ['in a lambda', append('g = lambda: label.reveal()'), /reveal .*label\.reveal\(\)/],
  ['under a one-line condition', append("if True: print_ln('%s', label.reveal())"), /print_ln opens/],
  ['a helper the patch does not define', append('ml.ppvc_leak(label)'), /calls ppvc_leak, which golden\/.*ml\.py\.patch does not define/],
  // helper code (ml.py.patch)
  ['a print of a reveal in a helper the program calls', intoHelper([/^\+class PpvcRelu\(/, /^\+    def _forward\(/], "        print_ln('%s', x.reveal())"), /\(in PpvcRelu\._forward\): print_ln in helper code/],
  ['a reveal in a helper function', intoHelper([/^\+def ppvc_argmax\(values\):/], '    values[0].reveal()'), /\(in ppvc_argmax\): reveal in helper code.*values\[0\]\.reveal\(\)/],
  ['a reveal_to in a helper', intoHelper([/^\+def ppvc_argmax\(values\):/], '    values[0].reveal_to(0)'), /\(in ppvc_argmax\): reveal_to in helper code/],
  ['write_to_file in a helper', intoHelper([/^\+class PpvcRelu\(/, /^\+    def _forward\(/], '        sint.write_to_file(self.X.get_vector())'), /\(in PpvcRelu\._forward\): output in helper code/],
  ['a debug switch set in a helper', intoHelper([/^\+class PpvcRelu\(/, /^\+    def _forward\(/], '        self.debug_output = True'), /library in helper code.*debug_output/],
  ['an import in a helper', intoHelper([/^\+def ppvc_argmax\(values\):/], '    import subprocess'), /import in helper code.*subprocess/],
  ['a line of MP-SPDZ removed', inPatch((ls) => {
    const at = ls.findIndex((l) => l === "         Optimizer.stat('intermediate', x)");
    ls[at] = '-' + ls[at]!.slice(1);
    return at;
  }), /removes a line of Compiler\/ml\.py/],
  ['an added line outside any hunk', inPatch((ls) => ls.push("+print_ln('%s', x.reveal())") - 1), /neither a comment nor part of a unified-diff hunk/],
];

describe.each(goldenDirs())('golden/%s', (dir) => {
  const g = goldenFiles(dir);
  const audit = (f: Files) =>
    auditWithHelpers({
      program: { file: g.programFile, text: f.program },
      helpers: f.patch !== undefined ? { file: g.patchFile, text: f.patch } : undefined,
      helpersLookedFor: g.patchFile,
    });

  test('with its ml.py.patch, opens exactly what its header declares', () => {
    const r = audit(g);
    expect(r.verdict).toEqual({ ok: true, problems: [] });
    expect(r.declared).toEqual([{ name: 'label', to: [0] }]);
    expect(r.helpersUsed.length).toBeGreaterThan(0);
  });

  test.each(CATALOGUE)('catches %s', (name, inject, says) => {
    const leaky = inject({ program: g.program, patch: g.patch });
    expect(leaky.program !== g.program || leaky.patch !== g.patch).toBe(true);
    const where = `${leaky.at === 'program' ? g.programFile : g.patchFile}:${leaky.line}`;
    if (name.includes('(Python 3.12)') && !PEP_701) {
      // the python3 here rejects it (as its compile.py would): the audit says where, and why
      expect(() => audit(leaky)).toThrow(`${where}:`);
      expect(() => audit(leaky)).toThrow(/not valid Python: /);
      return;
    }
    const r = audit(leaky);
    expect(r.verdict.ok).toBe(false);
    const named = r.verdict.problems.filter((p) => p.startsWith(`${where}:`) || p.startsWith(`${where} `));
    if (!named.some((p) => says.test(p))) throw new Error(`no problem at ${where} matches ${says}:\n${r.verdict.problems.join('\n')}`);
  });

  test('a program without its ml.py.patch: the helpers it calls cannot be audited', () => {
    const r = audit({ program: g.program });
    expect(r.verdict.ok).toBe(false);
    expect(r.verdict.problems).toEqual([expect.stringMatching(new RegExp(`^${g.programFile}: calls helper code \\(.*PpvcRelu.*\\) but there is no ${g.patchFile}`))]);
  });

  test('a program without a header declares nothing: every opening is undeclared, and the missing header is a problem', () => {
    const program = g.program.replace(/^# Opened values[^\n]*\n(#   [^\n]*\n)*/m, '');
    expect(program).not.toEqual(g.program);
    const r = audit({ program, patch: g.patch });
    expect(r.verdict.ok).toBe(false);
    expect(r.declared).toEqual([]);
    const problems = r.verdict.problems.join('\n');
    expect(problems).toMatch(new RegExp(`${g.programFile}: declares no outputs: it has no \`# Opened values \\(nothing else is opened\\):\` header`));
    expect(problems).toMatch(new RegExp(`${g.programFile}:\\d+: print_ln_to opens 'label' to party 0, which is not a declared output`));
  });

  test('a header that declares more than the program opens', () => {
    const program = g.program.replace('#   label -> alice (party 0)', '#   label -> alice (party 0), bob (party 1)');
    const r = audit({ program, patch: g.patch });
    expect(r.verdict.problems).toEqual(["'label' is declared to party 1, but no line of the program opens it to that party"]);
  });

  test('a header entry the audit cannot read', () => {
    const program = g.program.replace('#   label -> alice (party 0)', '#   label -> alice');
    const r = audit({ program, patch: g.patch });
    expect(r.verdict.problems.join('\n')).toMatch(new RegExp(`${g.programFile}:\\d+: cannot read this entry of the opened values`));
  });
});

// What the audit cannot see: these pass although they leak. Each is documented (README,
// `audit`); if one starts failing the audit became stricter, so move it to the catalogue.
describe('documented blind spots (these leak and still pass)', () => {
  const g = goldenFiles('emotion');
  const audit = (program: string, patch = g.patch) => auditWithHelpers({ program: { file: 'p.mpc', text: program }, helpers: { file: 'ml.py.patch', text: patch } });
  test.each([
    // the audit counts openings by the label each print carries; what value is printed under a
    // declared label is the generator's business (checked by the golden and run tests)
    ['another value printed under the declared label', replaceDeclared('print_ln_to(0, "label: %s", logits[0].reveal_to(0))')],
    // code elsewhere in MP-SPDZ's Compiler package is trusted: a module there that opens
    // values under a name not in the catalogue is not seen
    ['a module of the MP-SPDZ tree that opens', append('from Compiler.extra import leak_everything as f\nf(label)')],
  ])('%s', (_name, inject) => {
    expect(audit(inject({ program: g.program, patch: g.patch }).program).verdict.ok).toBe(true);
  });
});

// ---- the command line -----------------------------------------------------------------------

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ppvc-dsl audit', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ppvc-audit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a generated program with its patch: exit 0, locations name the file', () => {
    const r = cli(['audit', 'golden/emotion/emotion.mpc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('helper code: golden/emotion/ml.py.patch');
    expect(r.stdout).toContain('declared outputs: label -> party 0 (by the header of golden/emotion/emotion.mpc (line 15))');
    const printed = readFileSync(join(ROOT, 'golden', 'emotion', 'emotion.mpc'), 'utf8').split('\n').findIndex((l) => l.startsWith('print_ln_to(0, "label: %s"')) + 1;
    expect(r.stdout).toContain(`opens  golden/emotion/emotion.mpc:${printed}: label -> party 0`);
    expect(r.stdout).toMatch(/matches the declared outputs exactly\n$/);
  });

  test('a program that is not Python: exit 1, with its file, line, column and Python\'s message', () => {
    const mpc = join(dir, 'broken.mpc');
    writeFileSync(mpc, 'x = 1\nprint_ln("%s", (x.reveal()\n');
    const r = cli(['audit', mpc]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${mpc}:2:16: not valid Python: '(' was never closed`);
  });

  test('no python3 on PATH: exit 2, naming python3', () => {
    const r = cli(['audit', 'golden/emotion/emotion.mpc'], { ...process.env, PATH: join(dir, 'no-such-dir') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the audit reads Python with python3, which is not on PATH');
  });

  test('the issue: one appended `aggregate[0].reveal()` contradicts the header: exit 1, named with file and line', () => {
    cpSync(join(ROOT, 'golden', 'emotion'), join(dir, 'emotion'), { recursive: true });
    const mpc = join(dir, 'emotion', 'emotion.mpc');
    const text = readFileSync(mpc, 'utf8');
    writeFileSync(mpc, text + 'aggregate[0].reveal()\n');
    const r = cli(['audit', mpc]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`opens  ${mpc}:${appendedLine(text)}: aggregate[0].reveal() -> ALL parties`);
    expect(r.stdout).toContain(`DOES NOT match the declared outputs:\n  ${mpc}:${appendedLine(text)}: reveal opens to all parties, which is not a declared output: aggregate[0].reveal()`);
    const json = JSON.parse(cli(['audit', mpc, '--json']).stdout);
    expect(json.verdict.ok).toBe(false);
    expect(json.opens).toContainEqual(expect.objectContaining({ file: mpc, line: appendedLine(text), kind: 'reveal', recipient: 'all' }));
  });

  test('a .mpc without a header, or without the ml.py.patch it needs: exit 1, saying so', () => {
    const alone = join(dir, 'alone');
    cpSync(join(ROOT, 'golden', 'emotion', 'emotion.mpc'), join(alone, 'emotion.mpc'));
    let r = cli(['audit', join(alone, 'emotion.mpc')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`calls helper code (`);
    expect(r.stdout).toContain(`but there is no ${join(alone, 'ml.py.patch')}`);
    const bare = join(dir, 'bare.mpc');
    writeFileSync(bare, 'x = sint(1)\nprint_ln("%s", x.reveal())\n');
    r = cli(['audit', bare]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${bare}: declares no outputs`);
    expect(r.stdout).toContain(`${bare}:2: print_ln opens to all parties, which is not a declared output`);
  });

  test('a pipeline: the locations are in the generated files, named as such', () => {
    const r = cli(['audit', 'examples/emotion.ppvc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('program:     emotion.mpc (generated from examples/emotion.ppvc)');
    expect(r.stdout).toContain('helper code: ml.py.patch (generated from examples/emotion.ppvc)');
    expect(r.stdout).toMatch(/opens {2}emotion\.mpc \(generated from examples\/emotion\.ppvc\):\d+: label -> party 0/);
    expect(r.stdout).not.toMatch(/line \d+/);
    const json = JSON.parse(cli(['audit', 'examples/emotion.ppvc', '--json']).stdout);
    expect(json.verdict).toEqual({ ok: true, problems: [] });
    expect(json.declared).toEqual([{ name: 'label', to: [0] }]);
  });
});

// ---- the pieces -----------------------------------------------------------------------------

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

  test('a print absorbs exactly one reveal to its own party, given as its only value', () => {
    const opens = (code: string) => auditProgram(code).opens.map((o) => [o.kind, o.expression]);
    expect(opens('print_ln_to(0, "a: %s", x.reveal_to(0))')).toEqual([['print_ln_to', 'print_ln_to(0, "a: %s", x.reveal_to(0))']]);
    expect(opens('print_ln_to(0, "a: %s", x.reveal_to(0) + y.reveal_to(0))').map((o) => o[1])).toEqual([
      'print_ln_to(0, "a: %s", x.reveal_to(0) + y.reveal_to(0))',
      'x.reveal_to(0)',
      'y.reveal_to(0)',
    ]);
    expect(opens('print_ln_to(0, "a: %s %s", x.reveal_to(0), y.reveal_to(0))')).toHaveLength(3);
    expect(opens('print_ln_to(0, "a: %s", x[y.reveal()].reveal_to(0))').map((o) => o[1])).toEqual(['print_ln_to(0, "a: %s", x[y.reveal()].reveal_to(0))', 'y.reveal()']);
  });

  test("MP-SPDZ's openers are openings even where the program rebinds them", () => {
    const r = auditProgram('print_ln("early: %s", 1)\nprint_ln = 5\nprint_ln\nx.output(3)\n');
    expect(r.opens.map((o) => [o.line, o.expression])).toEqual([
      [1, 'print_ln("early: %s", 1)'],
      [2, 'print_ln'],
      [3, 'print_ln'],
      [4, 'x.output(3)'],
    ]);
  });

  test("the file's own variables and functions are not openings; other names with output words are", () => {
    const r = auditProgram(
      [
        'writer(1)', // 1: not yet bound: MP-SPDZ's?
        'writer = 2',
        'n_outputs = 3',
        'n_outputs + writer',
        'x.n_outputs', // 5: an attribute is never the program's
        'def f(n_sent, sender=my_printer):', // 6: a default is evaluated outside
        '    output_h = 3',
        '    for opened in range(n_sent): pass',
        '    return output_h + opened + n_sent + sender',
        'def g():',
        '    return output_h', // 11: f's, not g's
        'def h():',
        '    global n_writes',
        '    n_writes = 1',
        '    return n_writes', // 15: the module's, never bound there
        'def late():',
        '    return _output_shape(1)', // a function defined below: functions see it
        'def _output_shape(x):',
        '    return x',
      ].join('\n'),
    );
    expect(r.opens.map((o) => [o.line, o.expression])).toEqual([
      [1, 'writer(1)'],
      [5, 'x.n_outputs'],
      [6, 'my_printer'],
      [11, 'output_h'],
      [13, 'n_writes'],
      [15, 'n_writes'],
    ]);
  });

  test('a name bound only in a function or under a condition is still MP-SPDZ\'s', () => {
    const r = auditProgram('def f():\n    reveal = 1\nif c: print_ln = g\nreveal(secret)\nprint_ln("a: %s", x)\n');
    expect(r.opens.map((o) => [o.line, o.kind, o.expression])).toEqual([
      [2, 'reveal', 'reveal'], // rebinding a name of MP-SPDZ's is itself suspicious
      [3, 'print_ln', 'print_ln'],
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
    expect(r.opens.map((o) => [o.kind, o.expression])).toEqual([
      ['library', 'opt.fit(X, print_accuracy=True)'],
      ['library', 'print_accuracy'],
    ]);
  });

  test('imports: MP-SPDZ and pure standard modules are fine, others are not', () => {
    const r = auditProgram('from Compiler import ml\nfrom Compiler.types import _bitint\nfrom fractions import Fraction\nimport math, os.path as p\nfrom . import x\nimport subprocess\n');
    expect(r.opens.map((o) => [o.line, o.kind, o.expression])).toEqual([
      [4, 'import', 'import math, os.path as p (imports os.path: code the audit does not read)'],
      [5, 'import', 'from . import x (imports .: code the audit does not read)'],
      [6, 'import', 'import subprocess (imports subprocess: code the audit does not read)'],
    ]);
  });

  test('file and line map: locations name the file and its own line numbers', () => {
    const r = auditProgram('x = 1\ny.reveal()\n', { file: 'ml.py.patch', role: 'helpers', lines: [10, 12] });
    expect(r.opens).toEqual([{ kind: 'reveal', recipient: 'all', expression: 'y.reveal()', line: 12, file: 'ml.py.patch', role: 'helpers' }]);
    expect(compareWithDeclared(r, []).problems).toEqual(["ml.py.patch:12: reveal in helper code, which may open nothing (only the program's declared prints open values): y.reveal()"]);
  });
});

describe('the header and the patch', () => {
  test('declaredInHeader reads the list in the leading comment block only', () => {
    const h = declaredInHeader('# x\n# Opened values (nothing else is revealed):\n#   label -> alice (party 0), bob (party 1)\n#   sum -> party 2\n# Timers: 1\n\nx = 1\n');
    expect(h).toEqual({ line: 2, declared: [{ name: 'label', to: [0, 1] }, { name: 'sum', to: [2] }], problems: [] });
    expect(declaredInHeader('x = 1\n# Opened values (nothing else is revealed):\n#   label -> alice (party 0)\n').line).toBeUndefined();
    expect(declaredInHeader('# Opened values (nothing else is revealed):\n#   label -> alice (party 0)\n# Opened values (nothing else is revealed):\n').problems).toEqual([
      { line: 3, message: 'a second list of opened values (the first is at line 1): the header must declare them once' },
    ]);
  });

  test('patchedCode reads hunks as patch(1) does, mapping each added line to the patch', () => {
    const patch = '# comment\n--- a/Compiler/ml.py\n+++ b/Compiler/ml.py\n@@ -1,1 +1,3 @@\n context\n+def f():\n+    return 1\n';
    expect(patchedCode(patch)).toEqual({ text: 'def f():\n    return 1\n\n', lines: [6, 7, 0], files: ['Compiler/ml.py'], problems: [] });
    const short = patchedCode('--- a/x\n+++ b/x\n@@ -1,1 +1,3 @@\n context\n+a\n');
    expect(short.problems).toEqual([{ line: 3, message: 'this hunk is shorter than its header says: patch(1) rejects the patch' }]);
  });
});

describe('the tokenizer', () => {
  const names = (src: string) =>
    readPython(src)
      .toks.filter((x) => x.kind === 'name')
      .map((x) => x.text);

  test.each([
    ...(PEP_701 ? [['f"{d["k"]}{a.b}"', ['d', 'a', 'b']] as [string, string[]]] : []), // PEP 701: the same quotes inside a field
    ['f"{x!r:>{width}} {{text}} {y:%H}"', ['x', 'width', 'y']],
    ...(PEP_701 ? [["f'''{\n  a # a comment in a field\n}'''", ['a']] as [string, string[]]] : []),
    ['rb"\\" x" + r"\\" y"', []],
    ['"\\N{EN DASH}" f"\\N{EM DASH}{z}" rf"\\N{w}"', ['z', 'w']],
    ["x if'{y}'else z", ['x', 'if', 'else', 'z']], // `if'...'` is the keyword and a plain string
    ['f"{ {\'k\': v}[\'k\'] }"', ['v']],
    ['f"{a:{b}{c}}"', ['a', 'b', 'c']],
  ])('%s', (src, expected) => {
    expect(names(src)).toEqual(expected);
  });

  // Python's own parser, where there is one: every identifier its AST holds is a name token of
  // ours, and every name token of ours is an identifier or keyword of Python's.
  const python = spawnSync('python3', ['-c', 'import ast'], { encoding: 'utf8' });
  testUnless(python.status === 0 ? undefined : 'no python3 to compare the tokenizer with')('agrees with python3 `ast` on every golden program, every helper and tricky snippets', () => {
    const script = String.raw`
import ast, json, sys, keyword
out = []
for src in json.load(sys.stdin):
    try:
        tree = ast.parse(src)
    except SyntaxError:
        out.append(None)
        continue
    ids = set()
    for n in ast.walk(tree):
        for field in ('id', 'attr', 'arg', 'name', 'asname', 'rest'):
            v = getattr(n, field, None)
            if isinstance(v, str):
                ids.update(v.split('.'))
        if isinstance(n, ast.ImportFrom) and n.module:
            ids.update(n.module.split('.'))
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            ids.update(n.names)
        if isinstance(n, ast.MatchClass):
            ids.update(n.kwd_attrs)
    out.append(sorted(ids))
json.dump({'ids': out, 'keywords': keyword.kwlist + keyword.softkwlist}, sys.stdout)
`;
    const snippets = [
      'x = f"{a!r:>{w}}" + rf"\\{b}" + "c.reveal()" + \'\'\'d\'\'\'\n',
      'def f(a, *b, c=1, **d):\n    return [e for e in a if e] or {k: v for k, v in d.items()}\n',
      'class C(B, metaclass=M):\n    @property\n    def p(self) -> int: return self.q\n',
      'with open(x) as y, z as (u, v):\n    pass\ntry:\n    pass\nexcept E as e:\n    raise F from e\n',
      'lambda x, *y, **z: (x, y, z)\nasync def g():\n    await h()\n    async for i in j: yield i\n',
      'import a.b.c as d, e\nfrom .f import (g as h, i)\nglobal k\n',
      'x = 1_000 + 0x1f + 1e-3j + .5\ny = x if x else not x\nz = [*x, *y]\nprint(f"{x=}", sep="")\n',
      'match p:\n    case [a, *rest] if a: pass\n    case {"k": v, **kw}: pass\n    case Point(x=0) as pt: pass\n',
      "s = 'a\\'b' \"c\\\"d\" '''e'f''' \"\"\"g\"h\"\"\"\nt = u'x' b'y' R'z\\''\n",
      'x = (1 +\n     2) \\\n    + 3  # tail\n',
      'ｒｅｖｅａｌ = 1\n',
    ];
    const all = renderMlPatch(Object.keys(HELPERS) as HelperName[]);
    const corpus = [...goldenDirs().map((d) => goldenFiles(d).program), patchedCode(all).text, ...snippets];
    for (const [, inject] of CATALOGUE) {
      const g = goldenFiles('emotion');
      const leaky = inject({ program: g.program, patch: g.patch });
      corpus.push(leaky.program, patchedCode(leaky.patch!).text);
    }
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(corpus), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    const { ids, keywords } = JSON.parse(r.stdout) as { ids: (string[] | null)[]; keywords: string[] };
    let parsed = 0;
    corpus.forEach((src, k) => {
      const pythons = ids[k];
      if (!pythons) {
        // not Python this python3 accepts (e.g. PEP 701 before 3.12): the reader says so
        expect(() => names(src)).toThrow(/not valid Python/);
        return;
      }
      parsed++;
      const ours = new Set(names(src));
      const missing = pythons.filter((x) => !ours.has(x));
      const extra = [...ours].filter((x) => !pythons.includes(x) && !keywords.includes(x) && !['True', 'False', 'None'].includes(x));
      if (missing.length || extra.length) throw new Error(`corpus[${k}]: python3 sees ${JSON.stringify(missing)} we do not; we see ${JSON.stringify(extra)} it does not:\n${src.slice(0, 300)}`);
    });
    expect(parsed).toBeGreaterThan(corpus.length / 2);
  });

  test("a text Python rejects is an error naming its file, line and column, with Python's message", () => {
    expect(() => auditProgram('x = 1\nif x\n    y = 2\n', { file: 'bad.mpc' })).toThrow(/^bad\.mpc:2:5: not valid Python: expected ':'$/);
    expect(() => auditProgram('s = "abc\n', { file: 'bad.mpc' })).toThrow(/^bad\.mpc:1:5: not valid Python: unterminated string literal/);
    // helper code from a patch: the line of the patch
    expect(() => auditProgram('def f():\n    return (1\n', { file: 'ml.py.patch', role: 'helpers', lines: [40, 41] })).toThrow(/^ml\.py\.patch:41:\d+: not valid Python: /);
    expect(() => truncationIn({ file: 'p.mpc', text: 'x = 1\n)\n' })).toThrow(/^p\.mpc:2:1: not valid Python: unmatched '\)'/);
    expect(() => readPython('\tif x:\n  pass\n')).toThrow(/^<python>:1:\d+: not valid Python: unexpected indent/);
    // a lone carriage return ends a line for Python but not for tokenize: refused, not misread
    expect(() => auditProgram('x = 1\ny = 2\rz.reveal()\n', { file: 'cr.mpc' })).toThrow(/^cr\.mpc:2:6: not valid Python: a line ends with a lone carriage return$/);
    // CRLF is read as Python reads it
    expect(auditProgram('x = 1\r\ny.reveal()\r\n').opens.map((o) => [o.line, o.expression])).toEqual([[2, 'y.reveal()']]);
  });

  test('offsets count UTF-16 code units, as JavaScript strings do (non-ASCII and astral characters)', () => {
    const src = 's = "é😀" + t  # ü\nu = f"😀{v}"\n';
    const { toks, comments } = readPython(src);
    for (const t of toks) if (t.kind !== 'newline' && t.end > t.start) expect(src.slice(t.start, t.end)).toBe(t.text);
    expect(toks.filter((t) => t.kind === 'name').map((t) => [t.text, t.line, t.col])).toEqual([
      ['s', 1, 0],
      ['t', 1, 12],
      ['u', 2, 0],
      ['v', 2, 9],
    ]);
    expect(comments.map(([a, b]) => src.slice(a, b))).toEqual(['# ü']);
  });
});

describe('lexing that must not mislead the audit', () => {
  const opens = (src: string) => auditProgram(src).opens.map((o) => [o.line, o.kind, o.expression]);

  test('a string holding the text of a reveal call, or a #, is not a call', () => {
    expect(opens('s = "x.reveal_to(0) # y.reveal()"\nt = \'print_ln("%s", a.reveal())\'\n')).toEqual([]);
    // what follows a `#` inside a string is code, not a comment
    expect(opens('s = "#"; x.reveal()\n')).toEqual([[1, 'reveal', 'x.reveal()']]);
  });

  test('a triple-quoted string spanning lines hides nothing and fakes nothing', () => {
    expect(opens('doc = """\nx.reveal()\n\\"""\ny.reveal_to(1)\n"""\n')).toEqual([]);
    expect(opens("doc = '''a\n''' ; z.reveal()\n")).toEqual([[2, 'reveal', 'z.reveal()']]);
  });

  test('code after a backslash continuation is still seen, on the line where it stands', () => {
    expect(opens('x = 1 + \\\n    label.reveal()\n')).toEqual([[2, 'reveal', 'label.reveal()']]);
    expect(opens('x = "a" \\\n    "b.reveal()"; y.reveal()\n')).toEqual([[2, 'reveal', 'y.reveal()']]);
  });

  test('f-strings: fields are code, the text around them is not', () => {
    expect(opens('s = f"reveal() {n} x.reveal()"\n')).toEqual([]);
    expect(opens('s = f"{n:>{w}} {label.reveal()!r}"\n')).toEqual([[1, 'reveal', 'label.reveal()']]);
    expect(opens('s = f"""\n{ a +\n  b.reveal() }"""\n')).toEqual([[3, 'reveal', 'b.reveal()']]);
    // a tuple in a field (Python 3.11's ast places it with the braces; the reader checks and corrects)
    expect(opens('s = f"{a, b.reveal()} {(c := d.reveal())}"\n')).toEqual([
      [1, 'reveal', 'b.reveal()'],
      [1, 'reveal', 'd.reveal()'],
    ]);
  });
});

// ---- what is revealed: the header, the audit and the truncation caveat ---------------------

describe('what the program reveals, and the caveat of probabilistic truncation', () => {
  const header = (program: string) => program.slice(0, program.search(/^[^#\n]/m));
  /** The header's comment text as one line (its paragraphs are wrapped). */
  const said = (program: string) => header(program).replace(/\n#\s*/g, ' ');
  const withTarget = (path: string, options: string) => source(path).text.replace(/^target mp-spdz \{(.*)\}/m, (_, o: string) => `target mp-spdz {${o} ${options} }`);

  test('probabilistic truncation: the opened values, what is public, and the caveat with the one-round trunc_pr', () => {
    const a = compile('examples/emotion.ppvc', withTarget('examples/emotion.ppvc', 'trunc probabilistic'));
    expect(header(a.program)).toContain('# Opened values (nothing else is opened):\n#   label -> alice (party 0)\n# Public (every party knows it from this program): ');
    expect(header(a.program)).not.toContain('nothing else is revealed');
    const text = said(a.program);
    for (const fact of ['the protocol (replicated-ring, 3 parties), ring 64 and precision 16 31', "the video's shape [97, 48, 48, 1] and range [0, 1]", 'the number of frames selected (7; which ones only bob knows)', "the model's layer stack and every shape (17 layers, 1485831 parameters; not the weights)", 'that no bounds are declared', "each run's rounds and data sent"]) {
      expect(text).toContain(fact);
    }
    expect(text).toContain(" Caveat: products are truncated probabilistically (the protocol's one-round trunc_pr): each is rounded down or up at random");
    expect(text).toContain('(eprint 2024/1127)');
    expect(text).toContain("Only the label is opened: it depends on the roundings only where two classes' sums are within the accumulated rounding error of each other");
    expect(text).toContain('what it tells alice beyond the deterministically rounded label');
    expect(text).toContain('(at most the log2 7 = 2.8 bits a label holds)');
    expect(text).not.toContain('Rounding:');
    expect(a.program).toContain("# probabilistic truncation after every product: the protocol's one-round trunc_pr (see the caveat above)\nprogram.use_trunc_pr = True\n");
    // the header still declares exactly the pipeline's outputs, as the audit reads it
    expect(declaredInHeader(a.program)).toMatchObject({ declared: [{ name: 'label', to: [0] }], rounding: { kind: 'probabilistic' }, problems: [] });
  });

  test('trunc nearest: no caveat; the header says the rounding is deterministic', () => {
    const a = compile('examples/emotion.ppvc', withTarget('examples/emotion.ppvc', 'trunc nearest'));
    const text = said(a.program);
    expect(text).toContain(' Rounding: products are rounded to nearest deterministically (trunc nearest, sfix.round_nearest): the opened values are a deterministic function of the inputs');
    expect(text).not.toContain('Caveat');
    expect(text).not.toContain('Probabilistic truncation leaks');
    expect(a.program).toContain('sfix.round_nearest = True\nprogram.use_trunc_pr = False\n');
    expect(declaredInHeader(a.program).rounding).toMatchObject({ kind: 'nearest' });
    expect(auditArtifacts(a).truncation).toMatchObject({ rounding: 'nearest', oneRound: false, direct: [] });
  });

  test("a protocol without trunc_pr: MP-SPDZ's TruncPrRing, and compile.py's warning points at the caveat", () => {
    const a = compile('examples/tiny-2pc.ppvc', withTarget('examples/tiny-2pc.ppvc', 'trunc probabilistic'));
    const text = said(a.program);
    expect(text).toContain(" Caveat: products are truncated probabilistically (MP-SPDZ's TruncPrRing: this protocol has no one-round trunc_pr)");
    expect(text).toContain('(at most the log2 3 = 1.6 bits a label holds)');
    expect(text).toContain(' compile.py warns: "Probabilistic truncation leaks some information ...": MP-SPDZ\'s TruncPrRing after every product: what it can reveal is the caveat above');
    expect(text).not.toContain('harmlessly');
    expect(a.program).toContain("# probabilistic truncation after every product: MP-SPDZ's TruncPrRing, as this protocol has no\n# one-round trunc_pr (see the caveat above)\nprogram.use_trunc_pr = False\n");
  });

  test('opened sums carry the roundings in their lowest bits; a vote depends on them only in a frame\'s near tie', () => {
    const sum = compile('test/fixtures/unread-edges.ppvc');
    expect(said(sum.program)).toContain('The opened sums are computed this way: their lowest bits carry the random roundings, and what they tell alice beyond the deterministically rounded sums');
    const vote = compile('examples/public-vote.ppvc', withTarget('examples/public-vote.ppvc', 'trunc probabilistic'));
    const text = said(vote.program);
    expect(text).toContain('Only the result of the vote is opened');
    expect(text).toContain('which frames are classified (public selection: 4 frames, [0, 10, 20, 30])');
  });

  test('truncationIn reads the settings from the code: comments, blocks and direct calls', () => {
    const program = (lines: string[]) => ({ text: lines.join('\n') + '\n', file: 'p.mpc' });
    expect(truncationIn(program(['x = 1']))).toEqual({ rounding: 'probabilistic', oneRound: false, because: 'no sfix.round_nearest = True', direct: [] });
    expect(truncationIn(program(['program.use_trunc_pr = True']))).toMatchObject({ rounding: 'probabilistic', oneRound: true });
    expect(truncationIn(program(['# sfix.round_nearest = True', 's = "sfix.round_nearest = True"']))).toMatchObject({ rounding: 'probabilistic' });
    expect(truncationIn(program(['sfix.round_nearest = True', 'program.use_trunc_pr = True']))).toEqual({ rounding: 'nearest', oneRound: false, because: 'sfix.round_nearest = True at p.mpc:1', direct: [] });
    expect(truncationIn(program(['sfix.round_nearest = True', 'sfix.round_nearest = False']))).toMatchObject({ rounding: 'probabilistic', because: 'sfix.round_nearest = False at p.mpc:2' });
    expect(truncationIn(program(['sfix.round_nearest = True', 'if x:', '    sfix.round_nearest = False']))).toMatchObject({ rounding: 'probabilistic', because: expect.stringContaining('inside a block at p.mpc:3') });
    const helpers = { text: 'def f(x):\n    return x.TruncPr(47, 16)\n', file: 'ml.py.patch', lines: [10, 11] };
    expect(truncationIn(program(['sfix.round_nearest = True']), helpers)).toMatchObject({ rounding: 'probabilistic', direct: ['ml.py.patch:11: TruncPr'] });
  });

  test('the audit reports the truncation with the caveat, and fails a deterministic claim over probabilistic code', () => {
    const a = compile('examples/emotion.ppvc', withTarget('examples/emotion.ppvc', 'trunc probabilistic'));
    const full = auditArtifacts(a);
    expect(full.verdict.ok).toBe(true);
    expect(full.truncation).toMatchObject({ rounding: 'probabilistic', oneRound: true });
    expect(full.caveat).toContain("products are truncated probabilistically (the protocol's one-round trunc_pr where it has one, else MP-SPDZ's TruncPrRing)");
    const near = compile('examples/emotion.ppvc', withTarget('examples/emotion.ppvc', 'trunc nearest'));
    const tampered = near.program.replace('sfix.round_nearest = True\n', '');
    const own = auditWithHelpers({ program: { file: 'p.mpc', text: tampered }, helpers: { file: 'ml.py.patch', text: near.mlPatch } });
    expect(own.verdict.ok).toBe(false);
    expect(own.verdict.problems).toContainEqual(expect.stringMatching(/^the header of p\.mpc \(line \d+\) says products are rounded to nearest deterministically, but the code truncates probabilistically: no sfix\.round_nearest = True$/));
    // against the pipeline (`audit FILE.ppvc`): its trunc nearest against the code
    const byPipeline = auditWithHelpers({
      program: { file: 'p.mpc', text: tampered },
      helpers: { file: 'ml.py.patch', text: near.mlPatch },
      declared: { outputs: declared(near.pipeline), by: 'the reveal statements of e.ppvc' },
      truncation: { kind: 'nearest', mechanism: 'one-round', opened: { kind: 'label', receivers: 'alice', classes: 7 } },
    });
    expect(byPipeline.verdict.problems).toContainEqual(expect.stringMatching(/^e\.ppvc \(trunc nearest\) says products are rounded to nearest deterministically/));
  });

  test('ppvc-dsl audit: the truncation, the caveat or the rounding, and what is revealed', () => {
    const prob = cli(['audit', 'golden/emotion/emotion.mpc']);
    expect(prob.status).toBe(0);
    expect(prob.stdout).toContain('  truncation: probabilistic (program.use_trunc_pr = True: the one-round trunc_pr where the protocol has one): no sfix.round_nearest = True\n');
    expect(prob.stdout.replace(/\n {4}/g, ' ')).toContain("  caveat: products are truncated probabilistically (the protocol's one-round trunc_pr where it has one, else MP-SPDZ's TruncPrRing)");
    expect(prob.stdout).toMatch(/\nreveals label -> party 0, and nothing else \(see the caveat\)\nmatches the declared outputs exactly\n$/);
    const json = JSON.parse(cli(['audit', 'examples/emotion.ppvc', '--json']).stdout);
    expect(json.truncation).toMatchObject({ rounding: 'probabilistic', oneRound: true });
    expect(json.caveat).toContain("(the protocol's one-round trunc_pr)");
    expect(json.caveat).toContain('what it tells alice beyond the deterministically rounded label');
  });
});
