// The formatter (src/format/printer.ts), `ppvc-dsl fmt` and the prettier plugin: the examples are
// formatted; formatting is idempotent, keeps every comment and never changes the program (the
// built files are byte-identical); a syntax error is reported exactly as `check` reports it; and
// prettier's own CLI with the plugin prints what `ppvc-dsl fmt` prints.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, exampleFiles, source } from './helpers.js';
import { compileSource, checkSource } from '../src/compile.js';
import { formatSource, formatText } from '../src/format/printer.js';
import { formatDiagnostic } from '../src/diagnostics.js';

const shouldFail = readdirSync(join(ROOT, 'test', 'should-fail'))
  .filter((f) => f.endsWith('.ppvc'))
  .sort()
  .map((f) => `test/should-fail/${f}`);

/** A valid pipeline written carelessly: every spacing rule, comments everywhere. */
const MESSY = `

# header comment   
pipeline   messy ;party alice=0 # first
party bob = 1     # second



video clip :[ 20,16 , 16,1 ]from alice range[0,1] # the video
select 4 frames by bob
model net by bob {   # the model


  # first layer
  c1 : conv2d 4 kernel 3x3 stride 2 same relu   # a comment
  relu max 6 ; maxpool 2x2 same
  s: add c1 , c1

  flatten
  dense 3 # out
  # last in the block

}  # end of model
classify each frame with net , softmax relu_normalized
label=argmax( sum )
reveal label to alice,bob
target mp-spdz{protocol replicated-ring threads 1 ring 64}
`;

const MESSY_FORMATTED = `# header comment
pipeline messy
party alice = 0  # first
party bob   = 1  # second

video clip: [20, 16, 16, 1] from alice  range [0, 1]  # the video
select 4 frames by bob
model net by bob {   # the model
  # first layer
  c1: conv2d 4 kernel 3x3 stride 2 same relu   # a comment
  relu max 6
  maxpool 2x2 same
  s: add c1, c1

  flatten
  dense 3  # out
  # last in the block
}  # end of model
classify each frame with net, softmax relu_normalized
label = argmax(sum)
reveal label to alice, bob
target mp-spdz { protocol replicated-ring  threads 1  ring 64 }
`;

function fmt(path: string, text: string): string {
  const r = formatSource({ path, text });
  if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.text;
}

describe('the printer', () => {
  test.each(exampleFiles())('%s is already formatted', (path) => {
    const src = source(path);
    expect(fmt(path, src.text)).toBe(src.text);
  });

  // the files with a syntax error are the table of 'fmt reports the syntax error exactly as check does' below
  test.each([...exampleFiles(), ...shouldFail.filter((p) => formatSource(source(p)).ok)])('%s: formatting is idempotent', (path) => {
    const once = fmt(path, source(path).text);
    expect(fmt(path, once)).toBe(once);
  });

  test('a carelessly written pipeline gets the canonical layout, with every comment kept', () => {
    expect(fmt('messy.ppvc', MESSY)).toBe(MESSY_FORMATTED);
    expect(fmt('messy.ppvc', MESSY_FORMATTED)).toBe(MESSY_FORMATTED);
  });

  test('CRLF line ends, tabs and long target blocks', () => {
    const text = 'pipeline p\r\nparty\ta = 0\r\nparty b = 1\r\n\r\n\r\nvideo v: [10, 8, 8, 1] from a\r\nselect 2 frames by b\r\nmodel m by b {\r\n\tflatten\r\n\tdense 3\r\n}\r\nclassify each frame with m\r\n' +
      'target mp-spdz { protocol replicated-ring ring 64 precision 16 31 threads 2 trunc probabilistic budget 100000 }\r\n';
    const out = fmt('crlf.ppvc', text);
    expect(out).not.toContain('\r');
    expect(out).toContain('pipeline p\nparty a = 0\nparty b = 1\n\nvideo v:');
    expect(out).toContain('model m by b {\n  flatten\n  dense 3\n}\n');
    expect(out).toContain('target mp-spdz {\n  protocol replicated-ring\n  ring 64\n  precision 16 31\n  threads 2\n  trunc probabilistic\n  budget 100000\n}\n');
    expect(fmt('crlf.ppvc', out)).toBe(out);
  });

  test('a multi-line target block keeps its lines', () => {
    const text = 'pipeline p\nparty a = 0\nparty b = 1\nvideo v: [10, 8, 8, 1] from a\nselect 2 frames by b\nmodel m by b { flatten; dense 3 }\nclassify each frame with m\n' +
      'target mp-spdz {   protocol semi2k   # two parties\n ring 64 precision 16 31\n}\n';
    expect(fmt('t.ppvc', text)).toContain('model m by b {\n  flatten\n  dense 3\n}\nclassify each frame with m\ntarget mp-spdz {\n  protocol semi2k   # two parties\n  ring 64  precision 16 31\n}\n');
  });

  test.each([...exampleFiles(), 'messy'])('%s: the built files are byte-identical before and after formatting', (path) => {
    const original = path === 'messy' ? { path: 'examples/messy.ppvc', text: MESSY } : source(path);
    const formatted = { path: original.path, text: fmt(original.path, original.text) };
    const before = compileSource(original);
    const after = compileSource(formatted);
    expect(before.artifacts).toBeDefined();
    expect(Object.keys(after.artifacts!.files).sort()).toEqual(Object.keys(before.artifacts!.files).sort());
    for (const [name, text] of Object.entries(before.artifacts!.files)) expect(after.artifacts!.files[name]).toBe(text);
    for (const style of ['seed', 'optimized'] as const) {
      expect(compileSource(formatted, { style }).artifacts!.program).toBe(compileSource(original, { style }).artifacts!.program);
    }
  });

  test.each(shouldFail)('%s formats idempotently or reports the syntax error of check', (path) => {
    const src = source(path);
    const r = formatSource(src);
    const checked = checkSource(src);
    if (r.ok) {
      expect(fmt(path, r.text)).toBe(r.text);
      // the checker finds the same errors in the formatted file (same messages, same order)
      const again = checkSource({ path, text: r.text });
      expect(again.diagnostics.map((d) => d.message)).toEqual(checked.diagnostics.map((d) => d.message));
    } else {
      expect(r.diagnostics.map(formatDiagnostic)).toEqual(checked.diagnostics.map(formatDiagnostic));
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });

  test('formatText throws with the syntax error', () => {
    expect(() => formatText('pipeline p\nparty a 0\n')).toThrow(/syntax error in a 'party' statement/);
  });
});

// ---- the command line and prettier --------------------------------------------------------

beforeAll(() => {
  // the CLI and the prettier plugin as users run them: dist/ is built by the Jest globalSetup (test/global-setup.mjs) before the suite runs
  expect(existsSync(join(ROOT, 'dist', 'format', 'prettier-plugin.js'))).toBe(true);
});

/** `ppvc-dsl fmt ...` as users run it: `node dist/cli.js`. */
function ppvc(args: string[], cwd = ROOT, input?: string) {
  const r = spawnSync('node', [join(ROOT, 'dist', 'cli.js'), ...args], { cwd, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function check(args: string[]) {
  const r = spawnSync('node', [join(ROOT, 'dist', 'cli.js'), 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ppvc-dsl fmt', () => {
  test('--check passes on every example', () => {
    const r = ppvc(['fmt', '--check', ...exampleFiles()]);
    expect(r.stderr).toContain(`${exampleFiles().length} files already formatted`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  test('prints the formatted text of one file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-fmt-'));
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    const r = ppvc(['fmt', join(dir, 'messy.ppvc')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(MESSY_FORMATTED);
    expect(readFileSync(join(dir, 'messy.ppvc'), 'utf8')).toBe(MESSY); // untouched
  });

  test('--stdin formats standard input (for editors)', () => {
    const r = ppvc(['fmt', '--stdin'], ROOT, MESSY);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(MESSY_FORMATTED);
  });

  test('--check exits 1 and lists the files that would change; --write rewrites only those', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-fmt-'));
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    chmodSync(join(dir, 'messy.ppvc'), 0o640);
    copyFileSync(join(ROOT, 'examples', 'emotion.ppvc'), join(dir, 'emotion.ppvc'));
    const before = statSync(join(dir, 'emotion.ppvc')).mtimeMs;
    const files = [join(dir, 'emotion.ppvc'), join(dir, 'messy.ppvc')];
    const c = ppvc(['fmt', '--check', ...files]);
    expect(c.status).toBe(1);
    expect(c.stdout).toBe(`${join(dir, 'messy.ppvc')}\n`);
    expect(c.stderr).toContain('1 of 2 files would be reformatted');
    const w = ppvc(['fmt', '--write', ...files]);
    expect(w.status).toBe(0);
    expect(w.stdout).toBe(`formatted ${join(dir, 'messy.ppvc')}\n`);
    expect(readFileSync(join(dir, 'messy.ppvc'), 'utf8')).toBe(MESSY_FORMATTED);
    expect(statSync(join(dir, 'messy.ppvc')).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, 'emotion.ppvc')).mtimeMs).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['emotion.ppvc', 'messy.ppvc']); // no temporary files left
    expect(ppvc(['fmt', '--check', ...files]).status).toBe(0);
  });

  test.each(shouldFail.filter((p) => !formatSource(source(p)).ok))('%s: fmt reports the syntax error exactly as check does', (path) => {
    const f = ppvc(['fmt', path]);
    const c = check([path]);
    expect(f.status).toBe(1);
    expect(c.status).toBe(1);
    expect(f.stderr).toBe(c.stderr);
    expect(f.stdout).toBe('');
    expect(f.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });

  test('a syntax error leaves the file alone under --write, and the other files are still formatted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-fmt-'));
    const bad = readFileSync(join(ROOT, 'test', 'should-fail', 'missing-colon.ppvc'), 'utf8');
    writeFileSync(join(dir, 'bad.ppvc'), bad);
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    const r = ppvc(['fmt', '--write', join(dir, 'bad.ppvc'), join(dir, 'messy.ppvc')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bad.ppvc:5:9: error: syntax error in a 'video' statement: unexpected '['");
    expect(readFileSync(join(dir, 'bad.ppvc'), 'utf8')).toBe(bad);
    expect(readFileSync(join(dir, 'messy.ppvc'), 'utf8')).toBe(MESSY_FORMATTED);
  });

  test('several files without --check or --write, a missing file: clear errors, exit 1', () => {
    const many = ppvc(['fmt', ...exampleFiles()]);
    expect(many.status).toBe(1);
    expect(many.stderr).toContain('pass --check or --write');
    const missing = ppvc(['fmt', 'no/such/file.ppvc']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no/such/file.ppvc: no such file');
    const both = ppvc(['fmt', '--check', '--write', 'examples/emotion.ppvc']);
    expect(both.status).toBe(1);
  });
});

describe('the prettier plugin', () => {
  const prettier = (args: string[]) =>
    spawnSync('node', [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--plugin', './dist/format/prettier-plugin.js', ...args], { cwd: ROOT, encoding: 'utf8' });

  test("prettier's CLI formats examples/emotion.ppvc exactly as ppvc-dsl fmt does", () => {
    const p = prettier(['examples/emotion.ppvc']);
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    const f = ppvc(['fmt', 'examples/emotion.ppvc']);
    expect(f.status).toBe(0);
    expect(p.stdout).toBe(f.stdout);
    expect(p.stdout).toBe(readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8'));
  });

  test("prettier's CLI formats a messy file exactly as ppvc-dsl fmt does", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-prettier-'));
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    const p = prettier([join(dir, 'messy.ppvc')]);
    expect(p.status).toBe(0);
    expect(p.stdout).toBe(ppvc(['fmt', join(dir, 'messy.ppvc')]).stdout);
    expect(p.stdout).toBe(MESSY_FORMATTED);
  });

  test('prettier --check accepts every example', () => {
    const p = prettier(['--check', ...exampleFiles()]);
    expect(p.status).toBe(0);
  });

  test('a syntax error is a prettier syntax error with its location', () => {
    const p = prettier(['test/should-fail/missing-colon.ppvc']);
    expect(p.status).toBe(2);
    expect(p.stderr).toContain("SyntaxError: syntax error in a 'video' statement: unexpected '['");
    expect(p.stderr).toMatch(/> 5 \| video v \[10, 8, 8, 1\] from alice/);
  });
});
