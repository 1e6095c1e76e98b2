// What the audit reads besides the program's code: the outputs a generated program's header
// declares, and the Python a unified diff (ml.py.patch) adds to MP-SPDZ.

export interface Declared {
  name: string;
  /** Receiving parties, by id. */
  to: number[];
}

export interface SourceProblem {
  line: number;
  message: string;
}

export interface Header {
  /** The line of `# Opened values (nothing else is opened):`; undefined when there is none. */
  line?: number;
  declared: Declared[];
  /**
   * How the header says products are rounded: `# Rounding: ...` (deterministically, to nearest)
   * or `# Caveat: products are truncated probabilistically ...`; undefined when it says neither
   * (a program of an earlier ppvc-dsl).
   */
  rounding?: { kind: 'nearest' | 'probabilistic'; line: number };
  problems: SourceProblem[];
}

/**
 * The generator's header line that starts the list of opened values (src/emit/mpc-program.ts;
 * programs of earlier versions say `(nothing else is revealed)`, read alike).
 */
export const OPENED_VALUES_HEADER = '# Opened values (nothing else is opened):';

/**
 * The outputs the program's header declares: the entries (`#   label -> alice (party 0), bob
 * (party 1)`) under `# Opened values ...:` in the comment block that opens the file. A list
 * further down, after the first line of code, is a comment like any other.
 */
export function declaredInHeader(program: string): Header {
  const lines = program.split('\n');
  const out: Header = { declared: [], problems: [] };
  const byName = new Map<string, Set<number>>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.replace(/\r$/, '');
    if (l.trim() !== '' && !l.startsWith('#')) break; // the first line of code ends the header
    if (!out.rounding && /^#\s*Rounding:/.test(l)) out.rounding = { kind: 'nearest', line: i + 1 };
    if (!out.rounding && /^#\s*Caveat:\s*products are truncated probabilistically/.test(l)) out.rounding = { kind: 'probabilistic', line: i + 1 };
    if (!/^#\s*Opened values\b/i.test(l)) continue;
    if (out.line !== undefined) {
      out.problems.push({ line: i + 1, message: `a second list of opened values (the first is at line ${out.line}): the header must declare them once` });
      continue;
    }
    out.line = i + 1;
    for (let k = i + 1; k < lines.length; k++) {
      const e = lines[k]!.replace(/\r$/, '');
      if (!/^#\s{2,}\S/.test(e)) break;
      i = k;
      const m = /^#\s+(\S+)\s*->\s*(.*?)\s*$/.exec(e);
      const receivers = m ? m[2]!.split(/\s*,\s*/).map((r) => /^(?:[^\s()]+\s+)?\(?party\s+(\d+)\)?$/.exec(r)) : [];
      if (!m || receivers.length === 0 || receivers.some((r) => !r)) {
        out.problems.push({ line: k + 1, message: `cannot read this entry of the opened values (expected \`#   NAME -> RECEIVER (party N), ...\`): ${e.trim()}` });
        continue;
      }
      const to = byName.get(m[1]!) ?? new Set<number>();
      for (const r of receivers) to.add(Number(r![1]));
      byName.set(m[1]!, to);
    }
  }
  out.declared = [...byName].map(([name, to]) => ({ name, to: [...to].sort((a, b) => a - b) }));
  return out;
}

export interface PatchedCode {
  /** The added lines, as Python (hunks separated by an empty line). */
  text: string;
  /** For each line of `text` (0-based), its 1-based line in the patch; 0 for a separator. */
  lines: number[];
  /** The files the patch changes. */
  files: string[];
  problems: SourceProblem[];
}

/** Lines outside hunks that patch(1) reads as headers or ignores. */
const PATCH_HEADER = /^(?:#|diff |index |new file mode |deleted file mode |old mode |new mode |similarity index |rename from |rename to |Index: |=+$)/;

/** True if the text looks like a unified diff (rather than plain Python). */
export function isUnifiedDiff(text: string): boolean {
  return /^--- .*\n\+\+\+ .*\n@@ /m.test(text);
}

/**
 * The code a unified diff adds, read as patch(1) reads it: hunks sized by their `@@` headers.
 * A removed line changes MP-SPDZ's own code, which the audit does not read; anything else
 * outside a hunk but comments and diff headers might be read by patch(1) in ways the audit does
 * not: both are problems.
 */
export function patchedCode(patch: string): PatchedCode {
  const ls = patch.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  const out: PatchedCode = { text: '', lines: [], files: [], problems: [] };
  const text: string[] = [];
  let file: string | undefined;
  let i = 0;
  while (i < ls.length) {
    const l = ls[i]!.replace(/\r$/, '');
    if (l.startsWith('--- ') && ls[i + 1]?.startsWith('+++ ')) {
      file = ls[i + 1]!.slice(4).split('\t')[0]!.trim().replace(/^b\//, '');
      out.files.push(file);
      i += 2;
      continue;
    }
    const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(l);
    if (m) {
      if (file === undefined) out.problems.push({ line: i + 1, message: 'a hunk before any file header (--- / +++)' });
      let old = m[1] === undefined ? 1 : Number(m[1]);
      let added = m[2] === undefined ? 1 : Number(m[2]);
      const start = i + 1;
      i++;
      while ((old > 0 || added > 0) && i < ls.length) {
        const h = ls[i]!.replace(/\r$/, '');
        const c = h[0];
        if (c === '+') {
          text.push(h.slice(1));
          out.lines.push(i + 1);
          added--;
        } else if (c === '-') {
          out.problems.push({ line: i + 1, message: `removes a line of ${file ?? 'a file'}, which changes MP-SPDZ's own code (the audit reads only added code): ${h.slice(1).trim()}` });
          old--;
        } else if (c === ' ' || h === '') {
          old--;
          added--;
        } else if (c !== '\\') break;
        i++;
      }
      if (old > 0 || added > 0) out.problems.push({ line: start, message: `this hunk is shorter than its header says: patch(1) rejects the patch` });
      text.push('');
      out.lines.push(0);
      continue;
    }
    if (l !== '' && !PATCH_HEADER.test(l)) {
      out.problems.push({ line: i + 1, message: `neither a comment nor part of a unified-diff hunk (patch(1) may read it in ways the audit does not): ${l.trim().slice(0, 60)}` });
    }
    i++;
  }
  out.text = text.join('\n') + '\n';
  return out;
}
