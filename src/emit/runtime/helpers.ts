// The Python helpers ppvc-dsl adds to MP-SPDZ's Compiler/ml.py (0.4.2 lacks them). Each helper
// is a block, one file beside this module (src/emit/runtime/NAME.py, copied into dist/ by the
// build): a program's ml.py.patch carries only the blocks it uses and those they need. What
// ships is byte for byte the reviewed file (formatted and linted by the tests with Ruff,
// test/runtime-python.test.ts); which blocks a block needs is read from the code (the names
// it uses that another block defines), not declared.
//
// They work on whole tensors at once: window gathers are local memory reads, so a pooling
// layer costs one vectorised multiplication (average) or log2(window) comparison rounds (max),
// where upstream's FixAveragePool2d/MaxPool loop over every frame and channel.
//
// They run inside ml.py, whose globals (`from Compiler.types import *` and friends) they use.
// Beyond its public layer and type API they rely on these MP-SPDZ internals (README, "The
// ml.py patch", lists them for users):
//  - FixConv2d's constructor and attributes (weights, bias, unreduced, the squant parameters,
//    n_summands, n_threads) and its `_forward`/`reduction` protocol: PpvcConv2d overrides only
//    the batch loop and the truncation and keeps upstream's weight layout, input and
//    quantisation (conv.py, winograd.py).
//  - Layer's `_forward(batch)`, `_X`/`_Y` and `inputs`: how ml.Optimizer drives any layer; the
//    Ppvc layers are NoVariableLayer subclasses (every layer block).
//  - `sfix._new`/`cfix._new`: wrap an integer representation without another truncation,
//    where the helpers truncate once themselves (most blocks).
//  - FixConv2d's squant `unreduced(...).reduce_after_mul()`: upstream's own truncation of a
//    convolution's sums, so that PpvcConv2d rounds exactly as FixConv2d (conv.py).
//  - `Compiler.types._bitint.wallace_tree_without_finish`, `CarryOutRawLE`,
//    `sint.split_to_n_summands` and `get_program().use_split()`: the comparison on the upper
//    bits of split shares (_ppvc_positive, windows.py); no public API compares on a bit range.
//  - `get_program().open_memory_scope()/close_memory_scope()`: keep gathers and scatters
//    through address registers in program order (_ppvc_ordered_memory, ordered.py).
//  - `Compiler.floatingpoint.PreOR` and `bit_decompose(maybe_mixed=True)`: the position of the
//    softmax sum's highest bit without a comparison (softmax_division.py).
//  - `exp_for_softmax` (ml.py): the exact softmax's exponentials (exact_softmax.py).
import { readFileSync } from 'node:fs';
import { blockNames } from './python-names.js';

/** The blocks, in the order they appear in ml.py: a block after those it needs. */
export const HELPER_NAMES = [
  'ordered',
  'local',
  'windows',
  'avgpool',
  'maxpool',
  'input',
  'relu',
  'conv2ds',
  'conv',
  'winograd',
  'matmul',
  'matrix_conv',
  'matrix_winograd',
  'depthwise',
  'dense',
  'batchnorm',
  'reshape_ops',
  'merge',
  'argmax',
  'softmax_division',
  'relu_softmax',
  'exact_softmax',
] as const;

export type HelperName = (typeof HELPER_NAMES)[number];

export interface Helper {
  name: HelperName;
  /** The blocks defining names this block's code uses (derived from the code). */
  needs: HelperName[];
  /** The file's text, exactly. */
  code: string;
}

/** Where a block's file is: beside this module, in src/ as in dist/. */
export function helperFile(name: HelperName): URL {
  return new URL(`./${name}.py`, import.meta.url);
}

function loadHelpers(): Record<HelperName, Helper> {
  const code = new Map(HELPER_NAMES.map((n) => [n, readFileSync(helperFile(n), 'utf8')] as const));
  const names = new Map(HELPER_NAMES.map((n) => [n, blockNames(code.get(n)!)] as const));
  const definedBy = new Map<string, HelperName>();
  for (const [n, { defines }] of names) {
    for (const d of defines) {
      const other = definedBy.get(d);
      if (other) throw new Error(`runtime blocks ${other} and ${n} both define ${d}`);
      definedBy.set(d, n);
    }
  }
  const entries = HELPER_NAMES.map((n, i) => {
    const needs = new Set<HelperName>();
    for (const r of names.get(n)!.reads) {
      const by = definedBy.get(r);
      if (by !== undefined && by !== n) needs.add(by);
    }
    const late = [...needs].find((d) => HELPER_NAMES.indexOf(d) > i);
    // ml.py runs top to bottom: a base class or decorator must be defined before the block
    if (late) throw new Error(`runtime block ${n} needs ${late}, which comes after it in HELPER_NAMES`);
    return [n, { name: n, needs: HELPER_NAMES.filter((h) => needs.has(h)), code: code.get(n)! }] as const;
  });
  return Object.fromEntries(entries) as Record<HelperName, Helper>;
}

export const HELPERS: Record<HelperName, Helper> = loadHelpers();

/** The helpers and everything they depend on, in a fixed order (deterministic output). */
export function closeHelpers(wanted: Iterable<HelperName>): HelperName[] {
  const set = new Set<HelperName>();
  const add = (h: HelperName) => {
    if (set.has(h)) return;
    HELPERS[h].needs.forEach(add);
    set.add(h);
  };
  for (const h of wanted) add(h);
  return HELPER_NAMES.filter((h) => set.has(h));
}
