// How a program truncates after fixed-point products, as its TEXT says (like the rest of the
// audit, not from the IR): MP-SPDZ rounds an sfix product to nearest, deterministically, only
// after a module-level `sfix.round_nearest = True`; otherwise it truncates probabilistically,
// with the protocol's one-round trunc_pr after `program.use_trunc_pr = True` (where the protocol
// has one) and with MP-SPDZ's TruncPrRing otherwise. A direct call of a probabilistic truncation
// (TruncPr, trunc_pr, ...) truncates probabilistically whatever sfix.round_nearest says.
// What probabilistic truncation can reveal: src/audit/disclosure.ts.
import { Program } from './python-program.js';

export interface TruncationFinding {
  /** How sfix products are truncated. */
  rounding: 'probabilistic' | 'nearest';
  /** A module-level `program.use_trunc_pr = True` (or a number): the protocol's one-round trunc_pr where it has one. */
  oneRound: boolean;
  /** Where the rounding is set (`emotion.mpc:24`), or why the audit takes it as probabilistic. */
  because: string;
  /** Direct calls of probabilistic truncation in the program or its helper code (`file:line: TruncPr`). */
  direct: string[];
}

const PROBABILISTIC_CALLS = new Set(['TruncPr', 'TruncPrRing', 'TruncPrField', 'trunc_pr', 'vtrunc_pr']);

interface Code {
  text: string;
  file: string;
  /** For each line of `text` (0-based), the line of `file` it comes from (code extracted from a patch). */
  lines?: number[];
}

/** The module-level assignments `OBJ.ATTR = VALUE` of a program, in order, and the nested ones. */
function assignments(p: Program, obj: string, attr: string): { value: string; line: number; moduleLevel: boolean }[] {
  const out: { value: string; line: number; moduleLevel: boolean }[] = [];
  p.toks.forEach((t, i) => {
    if (!(p.is(i, 'name', obj) && p.is(i + 1, 'op', '.') && p.is(i + 2, 'name', attr) && p.is(i + 3, 'op', '='))) return;
    if (p.is(i - 1, 'op', '.')) return; // x.sfix.round_nearest: not MP-SPDZ's sfix
    const v = p.toks[i + 4];
    out.push({ value: v?.text ?? '', line: t.line, moduleLevel: t.col === 0 && p.scope[i]! < 0 && p.depth[i] === 0 });
  });
  return out;
}

/** How the program (and the helper code it calls) truncates after products. */
export function truncationIn(program: Code, helpers?: Code): TruncationFinding {
  const p = new Program(program.text, program);
  const where = (c: Code, line: number) => `${c.file}:${c.lines ? (c.lines[line - 1] ?? line) : line}`;
  const direct: string[] = [];
  for (const [code, prog] of [[program, p], ...(helpers ? [[helpers, new Program(helpers.text, helpers)] as const] : [])] as const) {
    prog.toks.forEach((t, i) => {
      if (t.kind === 'name' && PROBABILISTIC_CALLS.has(t.text) && prog.is(i + 1, 'op', '(')) direct.push(`${where(code, t.line)}: ${t.text}`);
    });
  }
  const nearest = assignments(p, 'sfix', 'round_nearest');
  const trunc = assignments(p, 'program', 'use_trunc_pr').filter((a) => a.moduleLevel);
  const lastTrunc = trunc[trunc.length - 1];
  const oneRound = lastTrunc !== undefined && lastTrunc.value !== 'False' && lastTrunc.value !== '0' && lastTrunc.value !== 'None';
  const nested = nearest.find((a) => !a.moduleLevel);
  const last = nearest.filter((a) => a.moduleLevel).pop();
  let rounding: TruncationFinding['rounding'] = 'probabilistic';
  let because: string;
  if (nested) because = `sfix.round_nearest is set inside a block at ${where(program, nested.line)}: the audit cannot tell when, and takes products as truncated probabilistically`;
  else if (!last) because = 'no sfix.round_nearest = True';
  else if (last.value !== 'True') because = `sfix.round_nearest = ${last.value} at ${where(program, last.line)}`;
  else if (direct.length) because = `sfix.round_nearest = True at ${where(program, last.line)}, but probabilistic truncation is called directly`;
  else {
    rounding = 'nearest';
    because = `sfix.round_nearest = True at ${where(program, last.line)}`;
  }
  return { rounding, oneRound: rounding === 'probabilistic' && oneRound, because, direct };
}
