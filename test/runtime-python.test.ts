// The runtime Python (src/emit/runtime/*.py, the helper blocks of ml.py.patch): every block
// linted and format-checked with Ruff, the blocks' dependencies as Python's own parser reads
// them, the pure parts unit-tested with pytest (test/python), and what the Python shares with
// the TypeScript side (the Goldschmidt seed) compared by computing both.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PositionEncoding, Workspace, type Diagnostic } from '@astral-sh/ruff-wasm-nodejs';
import { HELPERS, HELPER_NAMES } from '../src/emit/runtime/helpers.js';
import { blockLines, helperBlocks } from '../src/emit/helper-blocks.js';
import { blockNames } from '../src/emit/runtime/python-names.js';
import { GOLDSCHMIDT_SEED, GOLDSCHMIDT_SEED_ERROR_BITS } from '../src/ir/ring-fit.js';
import { ROOT, SHARED, describeUnless } from './helpers.js';

const RUNTIME = join(ROOT, 'src', 'emit', 'runtime');
const MP_SPDZ_SOURCE = join(SHARED, 'mp-spdz', 'src');
const PY_TESTS = join(ROOT, 'test', 'python');
/** The audit's reader of Python (src/audit/python-source.ts runs it with python3). */
const AUDIT_PY = join(ROOT, 'src', 'audit', 'python');
const AUDIT_PYTHON = readdirSync(AUDIT_PY).filter((f) => f.endsWith('.py'));
// tomllib (Ruff's settings) is Python 3.11's
const noPython = spawnSync('python3', ['-c', 'import tomllib']).status === 0 ? undefined : 'no python3 with tomllib (3.11 or later) on PATH';

function python(args: string[], cwd = PY_TESTS) {
  const r = spawnSync('python3', args, { cwd, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.error) throw r.error;
  return r;
}

/** Runs Python in test/python (runtime.py loads blocks) and parses what it prints as JSON. */
function pythonJson<T>(code: string): T {
  const r = python(['-c', code]);
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

test('the runtime directory holds exactly one .py file per helper block', () => {
  const files = readdirSync(RUNTIME).filter((f) => f.endsWith('.py')).sort();
  expect(files).toEqual(HELPER_NAMES.map((n) => `${n}.py`).sort());
});

test('the package ships every block beside the compiled module that reads it (npm pack, after npm run build)', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  expect(HELPER_NAMES.filter((n) => !files.has(`dist/emit/runtime/${n}.py`))).toEqual([]);
  expect(files.has('dist/emit/runtime/helpers.js')).toBe(true);
  // the audit's reader of Python, beside the module that runs it
  expect(AUDIT_PYTHON.filter((f) => !files.has(`dist/audit/python/${f}`))).toEqual([]);
  expect(files.has('dist/audit/python-source.js')).toBe(true);
});

describe('dependencies between blocks, derived from the code', () => {
  test('what python-names.ts reads: comments, strings and attributes are not uses', () => {
    const names = blockNames(
      ['# uses _ppvc_a', 'X = 1', 'class Ppvc(B):', '    """calls _ppvc_b"""', '    def f(self):', "        return self._ppvc_c + _ppvc_d + len('_ppvc_e')", 'def g(y=X): pass', ''].join('\n'),
    );
    expect([...names.defines].sort()).toEqual(['Ppvc', 'X', 'g']);
    expect(names.reads.has('_ppvc_d')).toBe(true);
    for (const n of ['_ppvc_a', '_ppvc_b', '_ppvc_c', '_ppvc_e']) expect(names.reads.has(n)).toBe(false);
  });

  test('the cases the hand-kept table had wrong', () => {
    expect(HELPERS.windows.needs).toEqual(['ordered']);
    for (const h of ['relu', 'batchnorm'] as const) expect({ h, needs: HELPERS[h].needs }).toEqual({ h, needs: [] });
    // conv and depthwise share the one-instruction convolution, no longer ordered memory
    for (const h of ['conv', 'depthwise'] as const) expect({ h, needs: HELPERS[h].needs }).toEqual({ h, needs: ['conv2ds'] });
    expect(HELPERS.maxpool.needs).toEqual(['windows']);
    expect(HELPERS.winograd.needs).toEqual(['ordered', 'windows', 'conv']);
  });

  describeUnless(noPython)("as Python's ast and symtable read the real files", () => {
    type Names = Record<string, { defines: string[]; reads: string[] }>;
    const fromPython = noPython ? ({} as Names) : pythonJson<Names>(`import json, runtime_names; print(json.dumps({p.stem: runtime_names.block_names(p) for p in sorted(runtime_names.pathlib.Path(${JSON.stringify(RUNTIME)}).glob('*.py'))}))`);
    const definedBy = new Map(Object.entries(fromPython).flatMap(([b, n]) => n.defines.map((d) => [d, b] as const)));

    test.each([...HELPER_NAMES])('%s: the same definitions and the same needs', (name) => {
      const py = fromPython[name]!;
      expect([...blockNames(HELPERS[name].code).defines].sort()).toEqual(py.defines);
      const needs = new Set(py.reads.map((r) => definedBy.get(r)).filter((b) => b !== undefined && b !== name));
      expect(HELPERS[name].needs).toEqual(HELPER_NAMES.filter((h) => needs.has(h)));
    });
  });
});

describeUnless(noPython)('Ruff: lint and format check of every block', () => {
  const settings = noPython ? {} : pythonJson<object>(`import json, tomllib; print(json.dumps(tomllib.load(open(${JSON.stringify(join(RUNTIME, 'ruff.toml'))}, 'rb'))))`);
  const ruff = new Workspace(settings, PositionEncoding.Utf16);
  const show = (d: Diagnostic, where: (row: number) => string) => `${where(d.start_location.row)}: ${d.code ?? 'syntax'} ${d.message}`;

  test('the checks can fail: an undefined name, an unformatted line', () => {
    expect(ruff.check('def f():\n    return undefined_name\n').map((d: Diagnostic) => d.code)).toEqual(['F821']);
    expect(ruff.format("x = {'a':1}\n")).not.toBe("x = {'a':1}\n");
  });

  test.each([...HELPER_NAMES])('%s.py is formatted as Ruff formats it', (name) => {
    const code = HELPERS[name].code;
    expect(ruff.format(code)).toBe(code);
  });

  // each block with the blocks it needs before it, as ml.py.patch lays them out: a name used
  // but defined neither there nor in ml.py (ruff.toml's builtins) is an F821
  test.each([...HELPER_NAMES])('%s.py passes the lint, checked with the blocks it needs', (name) => {
    const blocks = helperBlocks([name]);
    const lines = blockLines(blocks);
    const own = lines.indexOf(blocks.find((b) => b.name === name)!.begin) + 2; // 1-based first line of its code
    const findings = (ruff.check(lines.join('\n') + '\n') as Diagnostic[]).map((d) =>
      show(d, (row) => (row >= own && row < own + HELPERS[name].code.split('\n').length ? `${name}.py:${row - own + 1}` : `line ${row} of the blocks it needs`)),
    );
    expect(findings).toEqual([]);
  });

  test('the audit reads Python with a script of its own', () => {
    expect(AUDIT_PYTHON).toEqual(['tokens.py']);
  });

  test.each(AUDIT_PYTHON)('src/audit/python/%s is formatted as Ruff formats it and passes the lint', (file) => {
    const code = readFileSync(join(AUDIT_PY, file), 'utf8');
    expect(ruff.format(code)).toBe(code);
    expect((ruff.check(code) as Diagnostic[]).map((d) => show(d, (row) => `${file}:${row}`))).toEqual([]);
  });
});

// ruff.toml's builtins are the names the blocks take from ml.py: check them against the real one
describeUnless(noPython ?? (existsSync(join(MP_SPDZ_SOURCE, 'Compiler', 'ml.py')) ? undefined : `no MP-SPDZ source at ${MP_SPDZ_SOURCE}`))(
  "against MP-SPDZ master's Compiler/ml.py (../shared/mp-spdz/src)",
  () => {
    const found = noPython
      ? { missing: [], shadowed: [], builtins: 0 }
      : pythonJson<{ missing: string[]; shadowed: string[]; builtins: number }>(
          [
            'import ast, json, pathlib, sys, tomllib',
            `sys.path.insert(0, ${JSON.stringify(MP_SPDZ_SOURCE)})`,
            'import runtime_names',
            'import Compiler.ml as ml',
            `names = tomllib.load(open(${JSON.stringify(join(RUNTIME, 'ruff.toml'))}, "rb"))["builtins"]`,
            'top = runtime_names.defines(ast.parse(pathlib.Path(ml.__file__).read_text()))',
            `ours = [d for p in pathlib.Path(${JSON.stringify(RUNTIME)}).glob("*.py") for d in runtime_names.block_names(p)["defines"]]`,
            'print(json.dumps({"missing": [n for n in names if not hasattr(ml, n)], "shadowed": sorted(d for d in ours if d in top or hasattr(ml, d)), "builtins": len(names)}))',
          ].join('\n'),
        );
    test("every name the blocks take from ml.py's globals is one of them", () => {
      expect(found.builtins).toBeGreaterThan(10);
      expect(found.missing).toEqual([]);
    });
    test('no block redefines a name of ml.py', () => {
      expect(found.shadowed).toEqual([]);
    });
  },
);

describeUnless(noPython)('pytest: the pure parts of the runtime (test/python)', () => {
  test('python3 -m pytest test/python passes, with tests collected', () => {
    const r = python(['-m', 'pytest', PY_TESTS, '-q', '-p', 'no:cacheprovider'], ROOT);
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`pytest failed (exit ${r.status}):\n${out}`);
    const passed = /(\d+) passed/.exec(out);
    expect(passed && Number(passed[1])).toBeGreaterThan(0);
  });
});

describeUnless(noPython)('Python = TypeScript: the Goldschmidt seed', () => {
  const py = noPython
    ? { seed: 0, worst: 1 }
    : pythonJson<{ seed: number; worst: number }>(
        'import json; from runtime import load; s = load("softmax_division")["_PPVC_GOLDSCHMIDT_SEED"]; ' +
          'print(json.dumps({"seed": s, "worst": max(abs(1 - z * (s - 2 * z)) for z in (0.5, 1.0, s / 4))}))',
      );
  test('softmax_division.py holds the seed src/ir/ring-fit.ts holds', () => {
    expect(py.seed).toBe(GOLDSCHMIDT_SEED);
  });
  test("the seed's error is within the bound ring-fit.ts counts the iterations from", () => {
    expect(py.worst).toBeLessThan(2 ** -GOLDSCHMIDT_SEED_ERROR_BITS);
  });
});

