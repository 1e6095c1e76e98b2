// Leak audit of a generated MP-SPDZ program and the helper code it calls. It reads the TEXT
// (the Python source of the .mpc and the code ml.py.patch adds to MP-SPDZ's ml.py), not the
// IR, so a bug in the generator cannot hide an extra opening from it; and it compares what it
// finds with the declared outputs: the program header's list, or the pipeline's `reveal`s.
//
// The audit is deliberately conservative. An opening is any identifier that can open, print
// or write a value (catalogue.ts, from MP-SPDZ's Compiler: reveal, reveal_to, print_ln,
// output, write_to_file, asm_open, ..., ml.py's debug switches and self-revealing functions),
// any other name holding reveal/print/output/write/open/socket/send/debug/progress that the
// file does not bind itself, Python's dynamic escape hatches (getattr, exec, ...) and imports
// of modules it does not know: wherever they occur as code, called or not, so an alias
// (`f = x.reveal`, `import ... as say`) is caught where it is made. Only comments and the
// literal text of strings are ignored; f-string replacement fields are code. A declared
// output is one module-level print at its receiver of one value revealed to that receiver;
// helper code may open nothing at all.
//
// What it cannot see (documented in test/audit.test.ts, 'documented blind spots'):
// - which value a declared print opens: it matches prints by their label (`"label: %s"`) and
//   receiver, so `print_ln_to(0, "label: %s", logits.reveal_to(0))` in place of the declared
//   line passes (the listing shows the expression);
// - code it does not read: MP-SPDZ's own Compiler package (stock ml.py, library.py, any module
//   under Compiler/ the program imports) is trusted, except for the catalogue's names; whether
//   the MP-SPDZ tree holds exactly the audited ml.py.patch is for build/run to check;
// - openings reached without naming them: a function of trusted code that returns an opener,
//   or opens what it is given (the audit sees the call, not what it does);
// - compile-time Python is arbitrary code (it can write files or patch the bytecode after
//   compile.py): the audit flags the obvious routes (open, print, unknown imports, exec,
//   getattr, ...) but it is no sandbox;
// - the protocol's own leakage: probabilistic truncation makes the opened values' rounding
//   depend on dropped bits (disclosure.ts). The audit reports how the program truncates, from
//   its text (truncation.ts), with the caveat, and fails a program whose header or pipeline says
//   products are rounded deterministically while its code truncates probabilistically.
import { DYNAMIC_ALWAYS, DYNAMIC_BUILTIN, HARMLESS, KNOWN_MODULES, OPEN_WORDS, OPENERS, type OpenKind } from './catalogue.js';
import { Program } from './python-program.js';
import { OPENED_VALUES_HEADER, declaredInHeader, isUnifiedDiff, patchedCode, type Declared } from './sources.js';
import { truncationIn, type TruncationFinding } from './truncation.js';
import { truncationCaveat, type OpenedForCaveat, type TruncationMechanism } from './disclosure.js';
import type { Truncation } from '../ir/pipeline.js';

export type { Declared } from './sources.js';
export type { OpenKind } from './catalogue.js';

export interface AuditInput {
  /** The party whose input file is read; -1 when it is not a literal party (a client, a file, an unknown expression). */
  party: number;
  /** What the input is read into, as far as the text says: `sfix.Matrix`, `sint`, `list`, or `unknown`. */
  type: string;
  /** The receiving variable or expression, e.g. `video` or `layer (each of layers)`. */
  what: string;
  line: number;
  /** The file the line is in, when the audit was told (auditProgram's `file`). */
  file?: string;
}

export interface AuditOpen {
  kind: OpenKind;
  /** The party that learns the value; 'all' when every party does, or when the audit cannot tell. */
  recipient: number | 'all';
  /** The source text of the opening expression (whitespace collapsed). */
  expression: string;
  /** For prints: the text before `: %s` in the format string (the generator prints `label: %s`). */
  label?: string;
  line: number;
  /** The file the line is in, when the audit was told (auditProgram's `file`). */
  file?: string;
  /** Set for openings in helper code, which may open nothing. */
  role?: 'helpers';
  /** The function or class the opening is in (`PpvcRelu._forward`), if any. */
  in?: string;
  /**
   * Set when the opening is not a statement of its own at module level: in a loop, a
   * condition, a function, a comprehension, after `;`. Such a line may run any number of
   * times, with other values, so it cannot be a declared output.
   */
  nested?: true;
}

export interface AuditReport {
  inputs: AuditInput[];
  opens: AuditOpen[];
  /** Problems that are not openings: missing or unreadable helper code, a malformed header or patch. */
  problems?: string[];
}

export interface AuditOptions {
  /** Name the file in every location (`emotion.mpc:156`); without it locations read `line 156`. */
  file?: string;
  /** Helper code: every opening in it is a problem, whatever is declared. */
  role?: 'program' | 'helpers';
  /** For each line of the text (0-based), the line of `file` it comes from (code extracted from a patch). */
  lines?: number[];
}

// ---- finding openings --------------------------------------------------------------------

interface Site {
  idx: number;
  name: string;
  kind: OpenKind;
  recipient: number | 'all';
  /** Token range of the whole expression (receiver through closing parenthesis). */
  first: number;
  last: number;
  /** For calls: token indices of the parentheses. */
  open?: number;
  close?: number;
  label?: string;
  absorbed: boolean;
  note?: string;
  /** The innermost print whose arguments hold this site. */
  host?: Site;
}

const INPUT_CALLS = new Set([
  'input_from', 'get_input_from', 'get_raw_input_from', 'input_tensor_from', 'input_tensor_via',
  'input_tensor_from_client', 'receive_from_client', 'read_from_socket', 'read_from_file', 'public_input',
  'inputmixed', 'asm_input', 'rawinput',
]);
/** Inputs whose first argument is not a party (clients, sockets, files). */
const NOT_A_PARTY = new Set(['input_tensor_from_client', 'receive_from_client', 'read_from_socket', 'read_from_file', 'public_input']);
const STATIC_INPUTS = new Set(['get_input_from', 'get_raw_input_from', 'input_tensor_from', 'input_tensor_via', 'input_tensor_from_client', 'receive_from_client']);
/** Names of the helpers ppvc-dsl adds to MP-SPDZ's ml.py (ml.PpvcRelu, ml.ppvc_argmax, ...). */
const HELPER_NAME = /^_?[Pp]pvc/;

function formatLabel(fmt: string | undefined): string | undefined {
  if (fmt === undefined) return undefined;
  const m = /^([\s\S]*?)\s*:\s*%s/.exec(fmt);
  return m ? m[1]!.trim() : undefined;
}

interface Scan {
  report: AuditReport;
  /** Helper names (ml.PpvcRelu, ...) the code refers to, with the line of the first reference. */
  helpersUsed: Map<string, number>;
  /** Names the code defines at module level (def, class). */
  defines: Set<string>;
}

/** Lists every input and every place the program opens, prints or writes a value. */
export function auditProgram(source: string, options: AuditOptions = {}): AuditReport {
  return scan(source, options).report;
}

function scan(source: string, options: AuditOptions): Scan {
  const p = new Program(source, options);
  const toks = p.toks;
  const sites: Site[] = [];
  const inputs: AuditInput[] = [];
  const helpersUsed = new Map<string, number>();
  const lineOf = (i: number) => {
    const l = toks[i]!.line;
    return options.lines ? (options.lines[l - 1] ?? l) : l;
  };
  const bindingSites = new Set<number>();
  for (const list of p.bindings.values()) for (const b of list) bindingSites.add(b.at);

  const party = (open: number | undefined, index = 0): number | undefined => {
    if (open === undefined) return undefined;
    const args = p.args(open);
    const positional = args.filter((x) => !x.keyword && !x.star);
    const a = args.find((x) => x.keyword === 'player') ?? positional[index];
    return a ? p.intValue(a.first, a.last) : undefined;
  };

  toks.forEach((t, i) => {
    if (t.kind !== 'name') return;
    const call = p.is(i + 1, 'op', '(') && p.match[i + 1]! > i ? i + 1 : undefined;
    const attr = p.is(i - 1, 'op', '.');
    const first = attr ? p.primaryStart(i - 2) : i;
    const last = call !== undefined ? p.match[call]! : i;
    const name = t.text;

    if (INPUT_CALLS.has(name.toLowerCase()) && call !== undefined) inputs.push({ ...describeInput(p, i, first, call, name.toLowerCase(), party), line: lineOf(i), ...(options.file !== undefined ? { file: options.file } : {}) });
    if (HELPER_NAME.test(name) && !helpersUsed.has(name) && !(!attr && p.isOwn(name, i))) helpersUsed.set(name, lineOf(i));

    if (name === 'import') {
      const { modules, first: start } = importedModules(p, i);
      const unknown = modules.filter((m) => !KNOWN_MODULES.test(m));
      if (unknown.length) {
        let end = i;
        while (end + 1 < toks.length && p.stmt[end + 1] === p.stmt[i] && toks[end + 1]!.kind !== 'newline' && !p.is(end + 1, 'op', ';')) end++;
        sites.push({ idx: i, name, kind: 'import', recipient: 'all', first: start, last: end, absorbed: false, note: `imports ${unknown.join(', ')}: code the audit does not read` });
      }
      return;
    }

    const opener = OPENERS.get(name);
    const dynamic = DYNAMIC_ALWAYS.has(name) || (DYNAMIC_BUILTIN.has(name) && !attr);
    if (!opener && !dynamic) {
      if (!OPEN_WORDS.test(name) || HARMLESS.has(name)) return;
      // The file's own variables and functions (`n_outputs = ...`, `def _ppvc_output_shape`)
      // open nothing by themselves: what they hold was flagged where it was bound, and their
      // bodies are audited. Attributes (`x.output_stats`), keyword arguments and names used
      // before any binding are MP-SPDZ's and stay flagged. (Listed names are never excused:
      // rebinding MP-SPDZ's `reveal` is itself suspicious.)
      const keyword = p.depth[i]! > 0 && p.is(i + 1, 'op', '=') && (p.is(i - 1, 'op', '(') || p.is(i - 1, 'op', ','));
      if (!attr && (bindingSites.has(i) || (!keyword && p.isOwn(name, i)))) return;
    }
    const kind: OpenKind = dynamic ? 'dynamic' : opener ? opener.kind : 'other';
    let recipient: number | 'all' = 'all';
    if (opener?.party !== undefined) recipient = party(call, opener.party) ?? 'all';
    else if (kind === 'other' && call !== undefined) recipient = party(call, Number.MAX_SAFE_INTEGER) ?? 'all'; // only player=
    const site: Site = { idx: i, name, kind, recipient, first, last, open: call, close: call !== undefined ? p.match[call] : undefined, absorbed: false };
    if ((kind === 'print_ln' || kind === 'print_ln_to') && call !== undefined) {
      const fmt = p.args(call).find((a) => !a.keyword && !a.star && toks[a.first]?.kind === 'string');
      if (fmt) {
        let text = '';
        for (let k = fmt.first; k <= fmt.last && toks[k]!.kind === 'string'; k++) text += toks[k]!.value ?? '';
        site.label = formatLabel(text);
      }
    }
    if (dynamic) site.note = 'dynamic code: can open values under names the audit cannot see';
    else if (name === 'print' && !attr) site.note = 'compile-time print';
    else if (name === 'open' && !attr) site.note = 'compile-time file access';
    sites.push(site);
  });

  absorbIntoPrints(p, sites);

  const opens = sites
    .filter((s) => !s.absorbed)
    .map((s): AuditOpen => {
      const expression = p.text(s.first, s.last) + (s.note ? ` (${s.note})` : '');
      const o: AuditOpen = { kind: s.kind, recipient: s.recipient, expression, line: lineOf(s.idx) };
      if (s.label !== undefined) o.label = s.label;
      if (options.file !== undefined) o.file = options.file;
      // an argument of a print is as nested as the print
      const at = s.host ?? s;
      const head = statementHead(p, at.idx);
      if (head !== at.first || toks[head]!.col !== 0 || p.scope[at.idx]! >= 0) o.nested = true;
      if (options.role === 'helpers') {
        o.role = 'helpers';
        if (p.where[s.idx]) o.in = p.where[s.idx];
      }
      return o;
    });
  return { report: { inputs, opens }, helpersUsed, defines: p.moduleDefinitions() };
}

/**
 * A declared output is one print at its receiver of one opened value: `print_ln_to(P, "name: %s",
 * x.reveal_to(P))`, `print_ln_to(P, "name: %s %s", *[x.reveal_to(P) for x in v])`, or the
 * print of a variable bound to such a `reveal_to(P)` on its own. That reveal is the print's
 * argument: one opening, not two. Every other reveal inside a print (a second value, a reveal
 * to another party or to all, a reveal nested in an expression) stays an opening of its own,
 * named by the print's label.
 */
function absorbIntoPrints(p: Program, sites: Site[]): void {
  const toks = p.toks;
  const hosts = sites.filter((s) => (s.kind === 'print_ln' || s.kind === 'print_ln_to') && s.open !== undefined);
  for (const s of sites) {
    const host = hosts.filter((q) => q !== s && q.open! < s.idx && s.idx < q.close!).sort((a, b) => b.open! - a.open!)[0];
    if (host) {
      s.label ??= host.label;
      s.host = host;
    }
  }
  const prints = hosts.filter((s) => s.kind === 'print_ln_to' && typeof s.recipient === 'number');
  const revealAt = new Map(sites.filter((s) => s.kind === 'reveal_to' && s.name === 'reveal_to' && s.open !== undefined).map((s) => [s.idx, s]));
  /** The reveal_to(P) site that is exactly the expression [first, last], if any. */
  const exactReveal = (first: number, last: number, to: number | 'all'): Site | undefined => {
    if (!p.is(last, 'op', ')')) return undefined;
    const open = p.match[last]!;
    const s = revealAt.get(open - 1);
    return s && !s.absorbed && s.recipient === to && s.first === first ? s : undefined;
  };
  for (const q of prints) {
    const values = p.args(q.open!).filter((a) => !a.keyword).slice(2); // after the player and the format
    if (values.length !== 1) continue;
    const v = values[0]!;
    let s: Site | undefined;
    if (!v.star) s = exactReveal(v.first, v.last, q.recipient);
    else if (p.is(v.first, 'op', '[') && p.match[v.first] === v.last) {
      // *[x.reveal_to(P) for x in v]
      let f = v.first + 1;
      while (f < v.last && !(p.is(f, 'name', 'for') && p.depth[f] === p.depth[v.first]! + 1)) f++;
      if (f < v.last) s = exactReveal(v.first + 1, f - 1, q.recipient);
    }
    if (s) {
      s.absorbed = true;
      continue;
    }
    // `y = x.reveal_to(P)` ... `print_ln_to(P, "name: %s", y)`
    if (!v.star && v.first === v.last && p.is(v.first, 'name')) {
      const b = p.binding(toks[v.first]!.text, v.first);
      const rhs = b?.kind === 'assign' ? b.rhs : undefined;
      const r = rhs ? exactReveal(rhs.first, rhs.last, q.recipient) : undefined;
      if (r) {
        r.absorbed = true;
        q.note = `${toks[v.first]!.text} = ${p.text(r.first, r.last)} at line ${toks[r.idx]!.line}`;
      }
    }
  }
}

/** The first token of the statement holding token i. */
function statementHead(p: Program, i: number): number {
  let k = i;
  while (k > 0 && p.stmt[k - 1] === p.stmt[i] && p.toks[k - 1]!.kind !== 'newline') k--;
  return k;
}

/** The modules the import statement whose `import` keyword is token i names, and the statement's first token. */
function importedModules(p: Program, i: number): { modules: string[]; first: number } {
  const toks = p.toks;
  // `from a.b import c`: the dotted name between `from` and `import`
  let k = i - 1;
  while (k >= 0 && !p.is(k, 'name', 'from') && (p.is(k, 'name') || p.is(k, 'op', '.') || p.is(k, 'op', '...'))) k--;
  if (p.is(k, 'name', 'from')) return { modules: [k + 1 <= i - 1 ? p.text(k + 1, i - 1).replace(/\s+/g, '') : ''], first: k };
  // `import a.b as c, d`
  const modules: string[] = [];
  k = i + 1;
  while (p.is(k, 'name')) {
    let m = toks[k]!.text;
    while (p.is(k + 1, 'op', '.') && p.is(k + 2, 'name')) {
      m += '.' + toks[k + 2]!.text;
      k += 2;
    }
    modules.push(m);
    k++;
    if (p.is(k, 'name', 'as')) k += 2;
    if (!p.is(k, 'op', ',')) break;
    k++;
  }
  return { modules, first: i };
}

function describeInput(
  p: Program,
  i: number,
  first: number,
  call: number,
  name: string,
  party: (open: number | undefined) => number | undefined,
): Omit<AuditInput, 'line'> {
  const who = NOT_A_PARTY.has(name) ? -1 : party(call) ?? -1;
  const receiver = first < i - 1 ? p.text(first, i - 2) : '';
  // `x = sint.get_input_from(0)`: the class is the type, the assigned name is what
  if (STATIC_INPUTS.has(name) || !receiver) {
    const target = assignedName(p, first);
    return { party: who, type: receiver || 'unknown', what: target ?? p.text(first, p.match[call]!) };
  }
  // `video.input_from(0)`, `conv2d_1.weights.input_from(1)`, `layers[0].input_from(1)`, `for layer in layers: layer.input_from(1)`
  const base = p.toks[first]!;
  const b = base.kind === 'name' ? p.binding(base.text, first) : undefined;
  if (b?.kind === 'loop') {
    const ib = p.binding(b.iter!, b.at);
    return { party: who, type: ib?.kind === 'assign' ? ib.type! : 'unknown', what: `${receiver} (each of ${b.iter})` };
  }
  return { party: who, type: b?.kind === 'assign' ? b.type! : 'unknown', what: receiver };
}

/** `NAME = <expr starting at first>` -> NAME. */
function assignedName(p: Program, first: number): string | undefined {
  return p.is(first - 1, 'op', '=') && p.is(first - 2, 'name') && p.depth[first - 1] === 0 ? p.toks[first - 2]!.text : undefined;
}

// ---- comparison with the declared outputs ----------------------------------------------

const whom = (r: number | 'all') => (r === 'all' ? 'all parties' : `party ${r}`);
const partyList = (to: Iterable<number>) => {
  const xs = [...to];
  return xs.length ? xs.map((x) => `party ${x}`).join(', ') : 'nobody';
};
/** `emotion.mpc:156`, or `line 156` when the report names no file. */
export const locationOf = (o: { file?: string; line: number }) => (o.file !== undefined ? `${o.file}:${o.line}` : `line ${o.line}`);

/**
 * ok iff every open is a declared output (matched by label) to one of its declared receivers,
 * each declared receiver gets it exactly once, nothing else is opened, helper code opens
 * nothing, and the report has no other problems (report.problems).
 */
export function compareWithDeclared(report: AuditReport, declared: Declared[]): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const outputs = new Map(declared.map((d) => [d.name, new Set(d.to)]));
  const seen = new Map<string, Map<number, AuditOpen>>();
  for (const o of report.opens) {
    const at = locationOf(o);
    if (o.role === 'helpers') {
      problems.push(`${at}${o.in ? ` (in ${o.in})` : ''}: ${o.kind} in helper code, which may open nothing (only the program's declared prints open values): ${o.expression}`);
      continue;
    }
    const to = o.label !== undefined ? outputs.get(o.label) : undefined;
    if (!to) {
      const named = o.label !== undefined ? ` '${o.label}'` : '';
      problems.push(`${at}: ${o.kind} opens${named} to ${whom(o.recipient)}, which is not a declared output: ${o.expression}`);
      continue;
    }
    if (o.recipient === 'all' || !to.has(o.recipient)) {
      problems.push(`${at}: ${o.kind} opens '${o.label}' to ${whom(o.recipient)}, but it is declared only to ${partyList(to)}: ${o.expression}`);
      continue;
    }
    if (o.nested) {
      problems.push(`${at}: ${o.kind} opens '${o.label}' to ${whom(o.recipient)} inside a block (a loop, condition, function or comprehension may run it any number of times, with other values); a declared output is a statement of its own at module level: ${o.expression}`);
      continue;
    }
    const byParty = seen.get(o.label!) ?? new Map<number, AuditOpen>();
    const prev = byParty.get(o.recipient);
    if (prev) problems.push(`${at}: '${o.label}' is opened to party ${o.recipient} a second time (first at ${locationOf(prev)}): ${o.expression}`);
    else byParty.set(o.recipient, o);
    seen.set(o.label!, byParty);
  }
  for (const d of declared) {
    for (const r of new Set(d.to)) {
      if (!seen.get(d.name)?.has(r)) problems.push(`'${d.name}' is declared to party ${r}, but no line of the program opens it to that party`);
    }
  }
  problems.push(...(report.problems ?? []));
  return { ok: problems.length === 0, problems };
}

// ---- a program with its helper code, against its declaration ------------------------------

export interface AuditFile {
  /** The name to print in locations: a path, or e.g. `emotion.mpc (generated from examples/emotion.ppvc)`. */
  file: string;
  text: string;
}

export interface AuditRequest {
  program: AuditFile;
  /** The helper code the program calls: ml.py.patch (a unified diff) or plain Python; undefined if there is none. */
  helpers?: AuditFile;
  /** Where helper code was looked for, for the problem when the program calls helpers and there is none. */
  helpersLookedFor?: string;
  /** The declared outputs and what declares them; default: the program's header. */
  declared?: { outputs: Declared[]; by: string };
  /** For a pipeline's program: how the pipeline truncates, under its protocol, and what it opens (for the caveat). */
  truncation?: { kind: Truncation; mechanism: TruncationMechanism; opened: OpenedForCaveat };
}

export interface Audit extends AuditReport {
  problems: string[];
  /** The outputs the program may open. */
  declared: Declared[];
  /** What declares them: `the header of emotion.mpc (line 15)`, `the reveal statements of examples/emotion.ppvc`. */
  declaredBy: string;
  /** The helpers (ml.PpvcRelu, ...) the program calls. */
  helpersUsed: string[];
  /** How the program truncates after products, from its text. */
  truncation: TruncationFinding;
  /** The caveat of probabilistic truncation, when the program uses it (disclosure.ts). */
  caveat?: string;
  verdict: { ok: boolean; problems: string[] };
}

const sameDeclarations = (a: Declared[], b: Declared[]) => {
  const key = (d: Declared[]) => JSON.stringify(d.map((x) => [x.name, [...new Set(x.to)].sort((m, n) => m - n)]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
  return key(a) === key(b);
};
const formatDeclared = (d: Declared[]) => (d.length ? d.map((x) => `${x.name} -> ${partyList(x.to)}`).join('; ') : 'nothing');

/**
 * Audits a program and the helper code it calls against the outputs declared for it. Every
 * opening in the helper code is a problem; so is a helper the program calls that the helper
 * code does not define, a program without a header (when the header declares), and a header
 * that differs from the declaration the caller gives.
 */
export function auditWithHelpers(req: AuditRequest): Audit {
  const { program, helpers } = req;
  const problems: string[] = [];
  const main = scan(program.text, { file: program.file });
  const opens = [...main.report.opens];
  const inputs = [...main.report.inputs];
  const header = declaredInHeader(program.text);
  for (const h of header.problems) problems.push(`${program.file}:${h.line}: ${h.message}`);

  let declared: Declared[];
  let declaredBy: string;
  if (req.declared) {
    declared = req.declared.outputs;
    declaredBy = req.declared.by;
    if (header.line !== undefined && !sameDeclarations(header.declared, declared)) {
      problems.push(`${program.file}:${header.line}: the program's header declares ${formatDeclared(header.declared)}, but ${declaredBy} declare ${formatDeclared(declared)}`);
    }
  } else if (header.line !== undefined) {
    declared = header.declared;
    declaredBy = `the header of ${program.file} (line ${header.line})`;
  } else {
    declared = [];
    declaredBy = `nothing: ${program.file} has no header`;
    problems.push(
      `${program.file}: declares no outputs: it has no \`${OPENED_VALUES_HEADER}\` header (ppvc-dsl writes one into every program), so nothing may be opened and the audit cannot confirm the program`,
    );
  }

  const used = [...main.helpersUsed.keys()];
  let helperCode: { text: string; file: string; lines?: number[] } | undefined;
  if (helpers) {
    const diff = isUnifiedDiff(helpers.text);
    const code = diff ? patchedCode(helpers.text) : undefined;
    helperCode = { text: code ? code.text : helpers.text, file: helpers.file, ...(code ? { lines: code.lines } : {}) };
    for (const h of code?.problems ?? []) problems.push(`${helpers.file}:${h.line}: ${h.message}`);
    const hs = scan(code ? code.text : helpers.text, { file: helpers.file, role: 'helpers', lines: code?.lines });
    opens.push(...hs.report.opens);
    inputs.push(...hs.report.inputs);
    for (const [name, line] of main.helpersUsed) {
      if (!hs.defines.has(name)) problems.push(`${program.file}:${line}: calls ${name}, which ${helpers.file} does not define: the audit cannot see what it does`);
    }
  } else if (used.length) {
    const where = req.helpersLookedFor ? `no ${req.helpersLookedFor}` : 'no helper code to read';
    problems.push(`${program.file}: calls helper code (${used.join(', ')}) but there is ${where}: the audit cannot see whether those helpers open values`);
  }

  // how products are truncated: what the code does against what the header or pipeline says
  const truncation = truncationIn({ text: program.text, file: program.file }, helperCode);
  const says = req.truncation ? { kind: req.truncation.kind, by: `${declaredBy.replace(/^the reveal statements of /, '')} (trunc nearest)` } : header.rounding ? { kind: header.rounding.kind, by: `the header of ${program.file} (line ${header.rounding.line})` } : undefined;
  if (says?.kind === 'nearest' && truncation.rounding === 'probabilistic') {
    problems.push(`${says.by} says products are rounded to nearest deterministically, but the code truncates probabilistically: ${truncation.because}${truncation.direct.length ? ` (${truncation.direct.join('; ')})` : ''}`);
  }
  const caveat =
    truncation.rounding === 'probabilistic'
      ? truncationCaveat(req.truncation?.mechanism ?? (truncation.oneRound ? 'either' : 'generic'), req.truncation?.opened ?? { kind: 'unknown', receivers: 'their receivers' })
      : undefined;

  const report: AuditReport = { inputs, opens, problems };
  return { inputs, opens, problems, declared, declaredBy, helpersUsed: used, truncation, ...(caveat ? { caveat } : {}), verdict: compareWithDeclared(report, declared) };
}
