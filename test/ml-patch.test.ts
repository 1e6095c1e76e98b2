// ml.py.patch and the backend's patching: the rendered patch applied with the real patch(1) to
// MP-SPDZ 0.4.2's ml.py (its last lines, at their line numbers: test/fixtures) and to the
// current master's (../shared/mp-spdz/src), applied again (nothing changes), and the backend's
// applyPatch, which replaces only the helper blocks and keeps everything else.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLY_COMMAND, ML_PY_TAIL, renderMlPatch } from '../src/emit/ml-patch.js';
import { helperBlocks, withHelperBlocks } from '../src/emit/helper-blocks.js';
import { HELPER_NAMES } from '../src/emit/runtime/helpers.js';
import { applyPatch } from '../src/backend/mp-spdz.js';
import { ROOT, SHARED, describeUnless } from './helpers.js';

/** 0.4.2's last lines, preceded by filler so that they sit at 0.4.2's line numbers (4927-4938). */
function mlPy042(): string {
  const tail = readFileSync(join(ROOT, 'test', 'fixtures', 'mp-spdz-0.4.2-ml-py-tail.py'), 'utf8').split('\n').filter((l) => !l.startsWith('# '));
  tail.pop(); // the final newline's empty string
  return '#\n'.repeat(4938 - tail.length) + tail.join('\n') + '\n';
}

const MASTER = join(SHARED, 'mp-spdz', 'src', 'Compiler', 'ml.py');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A directory holding ml.py.patch and an MP-SPDZ-like tree (tree/Compiler/ml.py). */
function workspace(ml: string, patch: string): { dir: string; mlPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-ml-patch-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'tree', 'Compiler'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'Compiler', 'ml.py'), ml);
  writeFileSync(join(dir, 'ml.py.patch'), patch);
  return { dir, mlPath: join(dir, 'tree', 'Compiler', 'ml.py') };
}

/** The patch header's command, as a user's script runs it (sh -e). */
function applyAsDocumented(dir: string) {
  return spawnSync('sh', ['-ec', APPLY_COMMAND], { cwd: dir, encoding: 'utf8', env: { ...process.env, MP_SPDZ_HOME: join(dir, 'tree') } });
}

const ALL = renderMlPatch(HELPER_NAMES);

test('the patch header shows the command the tests run', () => {
  expect(ALL).toContain(`#   ${APPLY_COMMAND}\n`);
  expect(ALL).toContain(['', ...ML_PY_TAIL].join('\n '));
});

/** [which, why skipped, its ml.py, where patch(1) says the hunk went] */
const versions: [string, string | undefined, () => string, RegExp][] = [
  ['0.4.2 (its last lines, test/fixtures)', undefined, mlPy042, /^patching file Compiler\/ml\.py\n$/],
  ['master (../shared/mp-spdz/src)', existsSync(MASTER) ? undefined : `no MP-SPDZ source at ${MASTER}`, () => readFileSync(MASTER, 'utf8'), /Hunk #1 succeeded at 4900 \(offset -36 lines\)/],
];

describe.each(versions)('ml.py.patch on MP-SPDZ %s', (_, skip, read, where) => {
  describeUnless(skip)('with patch(1)', () => {
    test('applies: ml.py is upstream followed by the blocks, as the backend writes it', () => {
      const upstream = read();
      const { dir, mlPath } = workspace(upstream, ALL);
      const r = applyAsDocumented(dir);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(where); // the hunk's line is 0.4.2's
      const patched = readFileSync(mlPath, 'utf8');
      expect(patched.startsWith(upstream)).toBe(true);
      expect(patched).toBe(withHelperBlocks(upstream, HELPER_NAMES));
      expect(readdirSync(join(dir, 'tree', 'Compiler'))).toEqual(['ml.py']);
    });

    test('applied again: nothing changes, exit status 0, no reject or backup files', () => {
      const { dir, mlPath } = workspace(read(), ALL);
      expect(applyAsDocumented(dir).status).toBe(0);
      const once = readFileSync(mlPath, 'utf8');
      const again = applyAsDocumented(dir);
      expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
      expect(readFileSync(mlPath, 'utf8')).toBe(once);
      expect(readdirSync(join(dir, 'tree', 'Compiler'))).toEqual(['ml.py']);
    });

    test('on an ml.py holding helpers of another version: fails loudly, changes nothing', () => {
      const other = withHelperBlocks(read(), ['relu']).replace(/^(# >>> ppvc-dsl helper relu )\w+$/m, '$1000000000000');
      const { dir, mlPath } = workspace(other, ALL);
      const r = applyAsDocumented(dir);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain('FAILED');
      expect(readFileSync(mlPath, 'utf8')).toBe(other);
      expect(readdirSync(join(dir, 'tree', 'Compiler'))).toEqual(['ml.py']);
    });
  });
});

describe('withHelperBlocks: only the helper blocks change', () => {
  const upstream = mlPy042();
  const user = '\n# my own additions\ndef mine():\n    return 1\n';

  test('on upstream ml.py: the blocks after its last line', () => {
    const out = withHelperBlocks(upstream, ['relu']);
    const [relu] = helperBlocks(['relu']);
    expect(out).toBe(`${upstream}\n\n${relu!.begin}\n${relu!.code}${relu!.end}\n`);
  });

  test('text after the blocks is kept, after them', () => {
    const before = withHelperBlocks(upstream, ['relu']) + user;
    const out = withHelperBlocks(before, ['argmax']);
    expect(out.startsWith(upstream)).toBe(true);
    expect(out.endsWith(`# <<< ppvc-dsl helper argmax\n${user}`)).toBe(true);
    expect(out).toContain(helperBlocks(['relu'])[0]!.begin);
  });

  test('a block of another version is replaced where it is, not duplicated', () => {
    const old = withHelperBlocks(upstream, ['relu', 'argmax'])
      .replace(/^(# >>> ppvc-dsl helper relu )\w+$/m, '$1000000000000')
      .replace('class PpvcRelu(NoVariableLayer):', 'class PpvcRelu(NoVariableLayer):\n    old = True') + user;
    const out = withHelperBlocks(old, ['relu']);
    expect(out.match(/# >>> ppvc-dsl helper relu /g)).toHaveLength(1);
    expect(out).not.toContain('old = True');
    expect(out).toBe(withHelperBlocks(upstream, ['relu', 'argmax']) + user);
  });

  test('idempotent', () => {
    const once = withHelperBlocks(upstream + user, ['winograd', 'exact_softmax']);
    expect(withHelperBlocks(once, ['winograd'])).toBe(once);
  });

  test("a block of a helper this version does not know is left alone, like the user's text", () => {
    const foreign = '\n# >>> ppvc-dsl helper later 123456789abc\ndef later():\n    pass\n# <<< ppvc-dsl helper later\n';
    const out = withHelperBlocks(upstream + foreign, ['relu']);
    expect(out.startsWith(upstream + foreign)).toBe(true);
  });

  test('a begin marker without its end marker is an error', () => {
    expect(() => withHelperBlocks(`${upstream}# >>> ppvc-dsl helper relu 0123456789ab\nclass PpvcRelu:\n    pass\n`, ['relu'])).toThrow(
      /the ppvc-dsl helper relu at line 4939 has no end marker/,
    );
  });
});

test("applyPatch (the backend's --patch-mp-spdz) keeps text after the blocks and writes nothing when there is nothing to add", async () => {
  const { dir, mlPath } = workspace(withHelperBlocks(mlPy042(), ['relu']) + '\n# mine\n', '');
  const mp = { root: join(dir, 'tree'), version: '0.4.2' };
  await applyPatch(mp, ['avgpool']);
  const once = readFileSync(mlPath, 'utf8');
  expect(once).toBe(withHelperBlocks(mlPy042(), ['relu', 'avgpool']) + '\n# mine\n');
  // nothing to add: the file is not written again (its modification time stays)
  const { mtimeMs } = statSync(mlPath);
  await new Promise((r) => setTimeout(r, 20));
  await applyPatch(mp, ['relu']);
  expect(readFileSync(mlPath, 'utf8')).toBe(once);
  expect(statSync(mlPath).mtimeMs).toBe(mtimeMs);
});
