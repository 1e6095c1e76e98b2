// Leak audit of a generated MP-SPDZ program. It reads the program TEXT (the Python source of
// the .mpc), not the IR, so a bug in the generator cannot hide an extra opening from it.
//
// The audit is deliberately conservative: every identifier that could open, print or write a
// value (anything containing reveal/print/output/write/open/socket/send, and Python's dynamic
// escape hatches such as getattr/exec) is listed as an open. Only comments and the literal
// text of strings are ignored; f-string replacement fields are code and are scanned.
// Library code the program calls (ml.*, the ml.py patch) is outside its scope.

export interface AuditInput {
  /** The party whose input file is read; -1 when it is not a literal party (a client, a file, an unknown expression). */
  party: number;
  /** What the input is read into, as far as the text says: `sfix.Matrix`, `sint`, `list`, or `unknown`. */
  type: string;
  /** The receiving variable or expression, e.g. `video` or `layer (each of layers)`. */
  what: string;
  line: number;
}

export interface AuditOpen {
  kind: 'reveal_to' | 'reveal' | 'print_ln' | 'print_ln_to' | 'other';
  /** The party that learns the value; 'all' when every party does, or when the audit cannot tell. */
  recipient: number | 'all';
  /** The source text of the opening expression (whitespace collapsed). */
  expression: string;
  /** For prints: the text before `: %s` in the format string (the generator prints `label: %s`). */
  label?: string;
  line: number;
}

export interface AuditReport {
  inputs: AuditInput[];
  opens: AuditOpen[];
}

// ---- tokenizer ------------------------------------------------------------------------------

type TokKind = 'name' | 'number' | 'string' | 'op' | 'newline';

interface Tok {
  kind: TokKind;
  /** Source text; for names NFKC-normalised, as Python compares identifiers. */
  text: string;
  /** For strings: the literal body (without prefix and quotes). */
  value?: string;
  start: number;
  end: number;
  line: number;
  /** 0-based column: 0 for a statement at module level. */
  col: number;
}

const OPS3 = ['**=', '//=', '>>=', '<<=', '...'];
const OPS2 = ['->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='];
const STRING_PREFIXES = new Set(['', 'r', 'u', 'f', 'b', 't', 'br', 'rb', 'fr', 'rf', 'tr', 'rt']);
const ID_START = /[\p{XID_Start}_]/u;
const ID_CONTINUE = /[\p{XID_Continue}]/u;
const NUMBER = /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;

class Tokenizer {
  readonly toks: Tok[] = [];
  /** [start, end) of each comment, to leave them out of quoted expressions. */
  readonly comments: [number, number][] = [];
  private readonly lineStarts: number[] = [0];

  constructor(private readonly src: string) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private push(kind: TokKind, text: string, start: number, end: number, value?: string): void {
    const line = this.lineOf(start);
    this.toks.push({ kind, text, value, start, end, line, col: start - this.lineStarts[line - 1]! });
  }

  /** Tokenizes src[from, to). `nested` is set inside f-string fields (no logical newlines there). */
  run(from = 0, to = this.src.length, nested = false): void {
    const s = this.src;
    let depth = 0;
    let i = from;
    while (i < to) {
      const c = s[i]!;
      if (c === '\n') {
        if (depth === 0 && !nested) this.push('newline', '\n', i, i + 1);
        i++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        i++;
      } else if (c === '\\' && (s[i + 1] === '\n' || (s[i + 1] === '\r' && s[i + 2] === '\n'))) {
        i += s[i + 1] === '\n' ? 2 : 3; // explicit line joining
      } else if (c === '#') {
        const start = i;
        while (i < to && s[i] !== '\n') i++;
        this.comments.push([start, i]);
      } else if (this.stringAt(i, to)) {
        i = this.string(i, to);
      } else if (ID_START.test(String.fromCodePoint(s.codePointAt(i)!))) {
        let j = i + (s.codePointAt(i)! > 0xffff ? 2 : 1);
        while (j < to) {
          const cp = s.codePointAt(j)!;
          if (!ID_CONTINUE.test(String.fromCodePoint(cp))) break;
          j += cp > 0xffff ? 2 : 1;
        }
        this.push('name', s.slice(i, j).normalize('NFKC'), i, j);
        i = j;
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(s);
        const j = Math.min(to, m ? i + m[0].length : i + 1);
        this.push('number', s.slice(i, j), i, j);
        i = j;
      } else {
        const three = s.slice(i, i + 3);
        const two = s.slice(i, i + 2);
        const op = OPS3.includes(three) && i + 3 <= to ? three : OPS2.includes(two) && i + 2 <= to ? two : String.fromCodePoint(s.codePointAt(i)!);
        if ('([{'.includes(op)) depth++;
        else if (')]}'.includes(op)) depth = Math.max(0, depth - 1);
        this.push('op', op, i, i + op.length);
        i += op.length;
      }
    }
    if (!nested) this.push('newline', '\n', to, to);
  }

  private stringAt(i: number, to: number): boolean {
    const m = /([A-Za-z]{0,2})(['"])/y;
    m.lastIndex = i;
    const r = m.exec(this.src);
    return !!r && i + r[0].length <= to && STRING_PREFIXES.has(r[1]!.toLowerCase());
  }

  /** Lexes one string literal from i; returns the offset after it. f-string fields become code tokens. */
  private string(i: number, to: number): number {
    const s = this.src;
    const prefix = /[A-Za-z]*/y;
    prefix.lastIndex = i;
    const p = prefix.exec(s)![0].toLowerCase();
    let j = i + p.length;
    const q = s[j]!;
    const triple = s.slice(j, j + 3) === q.repeat(3);
    const quote = triple ? q.repeat(3) : q;
    j += quote.length;
    const bodyStart = j;
    let bodyEnd = -1;
    while (j < to) {
      if (s[j] === '\\') {
        j += 2; // an escaped character never ends the string (also in raw strings)
        continue;
      }
      if (s.startsWith(quote, j)) {
        bodyEnd = j;
        j += quote.length;
        break;
      }
      if (!triple && s[j] === '\n') break; // unterminated: Python rejects it; stop at the line end
      j++;
    }
    if (bodyEnd < 0) bodyEnd = j = Math.min(j, to);
    this.push('string', s.slice(i, j), i, j, s.slice(bodyStart, bodyEnd));
    if (p.includes('f') || p.includes('t')) this.fieldsOf(bodyStart, bodyEnd, j);
    return j;
  }

  /** Replacement fields `{expr}` of an f-string are code: emit them as parenthesised tokens. */
  private fieldsOf(from: number, to: number, after: number): void {
    const s = this.src;
    let k = from;
    while (k < to) {
      if (s.startsWith('{{', k)) {
        k += 2;
      } else if (s[k] === '{') {
        let depth = 1;
        let e = k + 1;
        let inStr: string | undefined;
        for (; e < to; e++) {
          const ch = s[e]!;
          if (inStr) {
            if (ch === '\\') e++;
            else if (ch === inStr) inStr = undefined;
          } else if (ch === "'" || ch === '"') inStr = ch;
          else if ('{[('.includes(ch)) depth++;
          else if ('}])'.includes(ch) && --depth === 0) break;
        }
        this.push('op', '(', k, k); // synthetic group so the field stays one argument
        this.run(k + 1, Math.min(e, to), true);
        this.push('op', ')', after, after);
        k = e + 1;
      } else k++;
    }
  }
}

// ---- structure ------------------------------------------------------------------------------

interface Binding {
  at: number; // token index of the binding
  stmt: number;
  kind: 'const' | 'assign' | 'loop';
  /** An unconditional binding at module level (column 0): from here on the name is the program's own. */
  moduleLevel: boolean;
  value?: number;
  /** For assign: the callee of the right-hand side (`sfix.Matrix`), `list`, or `unknown`. */
  type?: string;
  /** For loop: the iterated expression. */
  iter?: string;
}

interface Site {
  idx: number;
  name: string;
  kind: AuditOpen['kind'];
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
}

const OPEN_WORDS = /reveal|print|output|write|open|socket|send/i;
/** Python escape hatches that can call any of the above by a computed name. */
const DYNAMIC_ALWAYS = new Set([
  'getattr', 'globals', 'locals', 'vars', '__import__', 'importlib', '__dict__', '__getattribute__', '__getattr__',
  'methodcaller', 'attrgetter', '__builtins__', '__builtin__', 'builtins',
]);
/** Only as builtins: `cnn.eval(...)` is MP-SPDZ's model evaluation, `eval(...)` runs code. */
const DYNAMIC_BUILTIN = new Set(['exec', 'eval', 'compile']);
/**
 * Keyword arguments of MP-SPDZ layer constructors that only describe shapes. Other keywords
 * with an open word stay flagged: `print_accuracy=`, `reveal_diagonal=` or `print_secrets=`
 * make library code open values.
 */
const SHAPE_KEYWORDS = new Set(['output_shape']);
const REVEAL_ALL = new Set(['reveal', 'reveal_list', 'reveal_nested', 'print_reveal_nested']);
/** Opening calls whose first argument (or `player=`) is the receiving party. */
const PLAYER_FIRST = new Set(['reveal_to', 'print_ln_to', 'print_str_to', 'reveal_to_binary_output', 'binary_output']);
const INPUT_CALLS = new Set([
  'input_from', 'get_input_from', 'get_raw_input_from', 'input_tensor_from', 'input_tensor_via',
  'input_tensor_from_client', 'receive_from_client', 'read_from_socket', 'read_from_file', 'public_input',
  'inputmixed', 'asm_input', 'rawinput',
]);
/** Inputs whose first argument is not a party (clients, sockets, files). */
const NOT_A_PARTY = new Set(['input_tensor_from_client', 'receive_from_client', 'read_from_socket', 'read_from_file', 'public_input']);
const STATIC_INPUTS = new Set(['get_input_from', 'get_raw_input_from', 'input_tensor_from', 'input_tensor_via', 'input_tensor_from_client', 'receive_from_client']);
const PY_KEYWORDS = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);
const COMPOUND = new Set(['for', 'if', 'elif', 'else', 'while', 'with', 'def', 'class', 'try', 'except', 'finally', 'async', 'lambda']);

class Program {
  readonly toks: Tok[];
  readonly match: number[];
  readonly stmt: number[];
  readonly depth: number[];
  readonly bindings = new Map<string, Binding[]>();
  private readonly comments: [number, number][];

  constructor(readonly src: string) {
    const t = new Tokenizer(src);
    t.run();
    this.toks = t.toks;
    this.comments = t.comments;
    this.match = this.toks.map(() => -1);
    this.depth = this.toks.map(() => 0);
    const stack: number[] = [];
    this.toks.forEach((tok, i) => {
      this.depth[i] = stack.length;
      if (tok.kind !== 'op') return;
      if ('([{'.includes(tok.text)) stack.push(i);
      else if (')]}'.includes(tok.text) && stack.length) {
        const o = stack.pop()!;
        this.match[o] = i;
        this.match[i] = o;
        this.depth[i] = stack.length;
      }
    });
    let n = 0;
    this.stmt = this.toks.map((tok, i) => {
      const id = n;
      if (tok.kind === 'newline' || (tok.kind === 'op' && tok.text === ';' && this.depth[i] === 0)) n++;
      return id;
    });
    this.collectBindings();
  }

  is(i: number, kind: TokKind, text?: string): boolean {
    const t = this.toks[i];
    return !!t && t.kind === kind && (text === undefined || t.text === text);
  }

  text(first: number, last: number): string {
    const a = this.toks[first];
    const b = this.toks[last];
    if (!a || !b) return '';
    const end = Math.max(a.start, b.end);
    let out = '';
    let at = a.start;
    for (const [cs, ce] of this.comments) {
      if (ce <= at || cs >= end) continue;
      out += this.src.slice(at, cs) + ' ';
      at = ce;
    }
    out += this.src.slice(at, end);
    return out.replace(/\s+/g, ' ').trim();
  }

  /** Start of the primary expression (`a.b[0].c(1)`) that ends at token `end`. */
  primaryStart(end: number): number {
    let i = end;
    for (;;) {
      const t = this.toks[i];
      if (!t) return i + 1;
      if (t.kind === 'op' && ')]}'.includes(t.text) && this.match[i]! >= 0) {
        i = this.match[i]!;
        const before = this.toks[i - 1];
        const callee = before && ((before.kind === 'name' && !PY_KEYWORDS.has(before.text)) || before.kind === 'string' || (before.kind === 'op' && ')]}'.includes(before.text)));
        if (callee) {
          i--;
          continue;
        }
        return i;
      }
      if (t.kind === 'name' || t.kind === 'string' || t.kind === 'number') {
        if (this.is(i - 1, 'op', '.')) {
          i -= 2;
          continue;
        }
        return i;
      }
      return i + 1;
    }
  }

  /** The top-level arguments of the call whose `(` is at `open`, as token ranges. */
  args(open: number): { first: number; last: number; keyword?: string }[] {
    const close = this.match[open]!;
    const out: { first: number; last: number; keyword?: string }[] = [];
    let start = open + 1;
    for (let i = open + 1; i <= close; i++) {
      if (i === close || (this.is(i, 'op', ',') && this.depth[i] === this.depth[open]! + 1)) {
        if (i > start) {
          const keyword = this.is(start, 'name') && this.is(start + 1, 'op', '=') ? this.toks[start]!.text : undefined;
          out.push({ first: keyword ? start + 2 : start, last: i - 1, keyword });
        }
        start = i + 1;
      } else if (this.match[i]! > i) i = this.match[i]! - 1; // skip nested groups
    }
    return out;
  }

  private bind(name: string, b: Binding): void {
    const list = this.bindings.get(name) ?? [];
    list.push(b);
    this.bindings.set(name, list);
  }

  /** The binding of `name` in effect at token `at`; else one later in the same statement (comprehensions). */
  binding(name: string, at: number): Binding | undefined {
    const list = this.bindings.get(name) ?? [];
    let best: Binding | undefined;
    for (const b of list) if (b.at < at) best = b;
    return best ?? list.find((b) => b.stmt === this.stmt[at]);
  }

  /** An integer a party argument evaluates to: a literal or a constant bound by `NAME = 3`. */
  intValue(first: number, last: number): number | undefined {
    let i = first;
    let sign = 1;
    if (this.is(i, 'op', '-') && i < last) {
      sign = -1;
      i++;
    }
    if (i !== last) return undefined;
    const t = this.toks[i]!;
    if (t.kind === 'number' && /^\d[\d_]*$/.test(t.text)) return sign * Number(t.text.replace(/_/g, ''));
    if (t.kind === 'name') {
      const b = this.binding(t.text, i);
      if (b?.kind === 'const' && b.value !== undefined) return sign * b.value;
    }
    return undefined;
  }

  /**
   * True if `name` at token `at` is the program's own variable, not MP-SPDZ's: bound before,
   * unconditionally at module level. (A binding in a function or under an `if` may not apply.)
   */
  isLocal(name: string, at: number): boolean {
    return (this.bindings.get(name) ?? []).some((b) => b.moduleLevel && b.at <= at);
  }

  private collectBindings(): void {
    const toks = this.toks;
    // `def NAME`, `class NAME`, `... as NAME`, `NAME :=`: names the program defines itself
    const statementStart = (i: number) => {
      let k = i;
      while (k > 0 && this.stmt[k - 1] === this.stmt[i]) k--;
      return toks[k]!;
    };
    toks.forEach((t, i) => {
      if (t.kind !== 'name') return;
      const named = (t.text === 'def' || t.text === 'class' || t.text === 'as') && this.is(i + 1, 'name');
      if (named) {
        const head = statementStart(i);
        const moduleLevel = head.col === 0 && (t.text === 'as' ? head.text === 'import' || head.text === 'from' : head === t);
        this.bind(toks[i + 1]!.text, { at: i + 1, stmt: this.stmt[i + 1]!, kind: 'assign', moduleLevel, type: 'unknown' });
      }
      if (this.is(i + 1, 'op', ':=')) this.bind(t.text, { at: i, stmt: this.stmt[i]!, kind: 'assign', moduleLevel: false, type: 'unknown' });
    });
    // for-loops and comprehensions: `for NAME[, NAME] in EXPR`
    toks.forEach((t, i) => {
      if (t.kind !== 'name' || t.text !== 'for') return;
      let j = i + 1;
      const targets: number[] = [];
      while (j < toks.length && !this.is(j, 'name', 'in') && toks[j]!.kind !== 'newline') {
        if (toks[j]!.kind === 'name') targets.push(j);
        j++;
      }
      if (!this.is(j, 'name', 'in')) return;
      const d = this.depth[i]!;
      let k = j + 1;
      while (k < toks.length) {
        const u = toks[k]!;
        if (u.kind === 'newline' || (this.depth[k] === d && ((u.kind === 'op' && (u.text === ':' || u.text === ';')) || (u.kind === 'name' && (u.text === 'if' || u.text === 'for'))))) break;
        if (this.depth[k]! < d) break;
        if (this.match[k]! > k) k = this.match[k]!;
        k++;
      }
      const iter = this.text(j + 1, k - 1);
      for (const n of targets) this.bind(toks[n]!.text, { at: n, stmt: this.stmt[n]!, kind: 'loop', moduleLevel: false, iter });
    });
    // assignments: `NAME = ...`, `A, B = 1, 2`, `x: T = ...`, also after `if c:` on one line
    let s = 0;
    while (s < toks.length) {
      let e = s;
      while (e < toks.length && this.stmt[e] === this.stmt[s]) e++;
      this.assignment(s, e - 1);
      s = e;
    }
    for (const list of this.bindings.values()) list.sort((a, b) => a.at - b.at);
  }

  private assignment(first: number, last: number): void {
    let eq = -1;
    let start = first;
    for (let i = first; i <= last; i++) {
      if (this.depth[i] !== 0) continue;
      if (this.is(i, 'op', ':') && eq < 0) {
        // `x: int = 1` annotates; `if c: y = 2` starts a new simple statement
        if (!(this.is(first, 'name') && COMPOUND.has(this.toks[first]!.text))) continue;
        start = i + 1;
      }
      if (this.is(i, 'op', '=')) {
        eq = i;
        break;
      }
    }
    if (eq < 0) return;
    let targetEnd = eq - 1;
    for (let i = start; i < eq; i++) if (this.is(i, 'op', ':') && this.depth[i] === 0) targetEnd = i - 1; // annotation
    const targets: number[] = [];
    for (let i = start; i <= targetEnd; i++) {
      if (this.is(i, 'op', ',') || this.is(i, 'op', '(') || this.is(i, 'op', ')')) continue;
      if (!this.is(i, 'name')) return; // attribute or subscript targets bind nothing
      targets.push(i);
    }
    if (!targets.length) return;
    const rhs = this.topLevelItems(eq + 1, last);
    const stmt = this.stmt[eq]!;
    const moduleLevel = start === first && this.toks[first]!.col === 0;
    targets.forEach((n, k) => {
      const item = targets.length === 1 ? { first: eq + 1, last: last } : rhs[k];
      if (!item) return;
      let end = item.last;
      while (end > item.first && this.toks[end]!.kind === 'newline') end--;
      const value = this.intValue(item.first, end);
      if (value !== undefined) this.bind(this.toks[n]!.text, { at: n, stmt, kind: 'const', moduleLevel, value });
      else this.bind(this.toks[n]!.text, { at: n, stmt, kind: 'assign', moduleLevel, type: this.typeOf(item.first, end) });
    });
  }

  private topLevelItems(first: number, last: number): { first: number; last: number }[] {
    const out: { first: number; last: number }[] = [];
    let start = first;
    for (let i = first; i <= last + 1; i++) {
      if (i === last + 1 || (this.is(i, 'op', ',') && this.depth[i] === 0) || this.toks[i]?.kind === 'newline') {
        if (i > start) out.push({ first: start, last: i - 1 });
        start = i + 1;
        if (this.toks[i]?.kind === 'newline') break;
      }
    }
    return out;
  }

  /** The callee of a right-hand side (`sfix.Matrix(...)` -> `sfix.Matrix`), `list`, or `unknown`. */
  private typeOf(first: number, last: number): string {
    if (this.is(first, 'op', '[')) return 'list';
    let i = first;
    const parts: string[] = [];
    while (this.is(i, 'name')) {
      parts.push(this.toks[i]!.text);
      if (!this.is(i + 1, 'op', '.')) break;
      i += 2;
    }
    return parts.length && this.is(i + 1, 'op', '(') && i + 1 <= last ? parts.join('.') : 'unknown';
  }
}

// ---- the audit ------------------------------------------------------------------------------

function formatLabel(fmt: string | undefined): string | undefined {
  if (fmt === undefined) return undefined;
  const m = /^([\s\S]*?)\s*:\s*%s/.exec(fmt);
  return m ? m[1]!.trim() : undefined;
}

/** Lists every input and every place the program opens, prints or writes a value. */
export function auditProgram(mpcSource: string): AuditReport {
  const p = new Program(mpcSource);
  const toks = p.toks;
  const sites: Site[] = [];
  const inputs: AuditInput[] = [];

  const party = (open: number | undefined): number | undefined => {
    if (open === undefined) return undefined;
    const args = p.args(open);
    const a = args.find((x) => x.keyword === 'player') ?? (args[0] && !args[0].keyword ? args[0] : undefined);
    return a ? p.intValue(a.first, a.last) : undefined;
  };

  toks.forEach((t, i) => {
    if (t.kind !== 'name') return;
    const call = p.is(i + 1, 'op', '(') && p.match[i + 1]! > i ? i + 1 : undefined;
    const attr = p.is(i - 1, 'op', '.');
    const first = attr ? p.primaryStart(i - 2) : i;
    const last = call !== undefined ? p.match[call]! : i;
    const name = t.text;
    const lower = name.toLowerCase();

    if (INPUT_CALLS.has(lower) && call !== undefined) inputs.push(describeInput(p, i, first, call, lower, party));

    // The program's own variables (`output = ...`, a label the user called `printed`) open
    // nothing by themselves: what they hold was flagged where it was bound. Attributes
    // (`x.output`) and names used before any binding are MP-SPDZ's and stay flagged.
    if (!attr && p.isLocal(name, i)) return;
    if (SHAPE_KEYWORDS.has(name) && p.depth[i]! > 0 && p.is(i + 1, 'op', '=') && (p.is(i - 1, 'op', '(') || p.is(i - 1, 'op', ','))) return;
    const dynamic = DYNAMIC_ALWAYS.has(name) || (DYNAMIC_BUILTIN.has(name) && !attr);
    if (!dynamic && !OPEN_WORDS.test(lower)) return;
    let kind: AuditOpen['kind'] = 'other';
    let recipient: number | 'all' = 'all';
    if (dynamic) kind = 'other';
    else if (REVEAL_ALL.has(lower)) kind = 'reveal';
    else if (lower === 'reveal_to') kind = 'reveal_to';
    else if (lower === 'print_ln_to') kind = 'print_ln_to';
    else if (lower.startsWith('print') && lower !== 'print' && !lower.includes('reveal') && call !== undefined) {
      kind = 'print_ln';
      recipient = 0; // MP-SPDZ prints at party 0 only; what it prints must already be public
    }
    if (PLAYER_FIRST.has(lower) || kind === 'reveal_to' || kind === 'print_ln_to') recipient = party(call) ?? 'all';
    else if (kind === 'other' && call !== undefined) {
      const player = p.args(call).find((a) => a.keyword === 'player');
      if (player) recipient = p.intValue(player.first, player.last) ?? 'all';
    }
    const site: Site = { idx: i, name, kind, recipient, first, last, open: call, close: call !== undefined ? p.match[call] : undefined, absorbed: false };
    if (kind === 'print_ln' || kind === 'print_ln_to') {
      const fmt = call !== undefined ? p.args(call).find((a) => !a.keyword && toks[a.first]?.kind === 'string') : undefined;
      if (fmt) {
        let text = '';
        for (let k = fmt.first; k <= fmt.last && toks[k]!.kind === 'string'; k++) text += toks[k]!.value ?? '';
        site.label = formatLabel(text);
      }
    }
    if (dynamic) site.note = 'dynamic code: can open values under names the audit cannot see';
    else if (name === 'print') site.note = 'compile-time print';
    sites.push(site);
  });

  const prints = sites.filter((s) => (s.kind === 'print_ln' || s.kind === 'print_ln_to') && s.open !== undefined);
  // A reveal_to(N) inside a print at party N is that print's argument: one open, not two.
  // Anything else inside a print (a reveal() to all, a reveal_to another party) stays separate.
  for (const s of sites) {
    const host = prints.filter((q) => q !== s && q.open! < s.idx && s.idx < q.close!).sort((a, b) => b.open! - a.open!)[0];
    if (!host) continue;
    s.label ??= host.label;
    if (s.kind === 'reveal_to' && s.recipient === host.recipient) s.absorbed = true;
  }
  // `y = x.reveal_to(1)` ... `print_ln_to(1, "label: %s", y)`: the print names what was opened.
  for (const q of prints) {
    if (q.absorbed) continue;
    for (let k = q.open! + 1; k < q.close!; k++) {
      if (!p.is(k, 'name') || p.is(k - 1, 'op', '.')) continue;
      const b = p.binding(toks[k]!.text, k);
      if (!b || b.kind !== 'assign') continue;
      for (const s of sites) {
        if (s.absorbed || s === q || p.stmt[s.idx] !== b.stmt || s.idx < b.at) continue;
        if ((s.kind === 'reveal_to' || s.kind === 'reveal') && s.recipient === q.recipient && !prints.some((h) => h.open! < s.idx && s.idx < h.close!)) {
          s.absorbed = true;
          q.note = `${toks[k]!.text} = ${p.text(s.first, s.last)} at line ${toks[s.idx]!.line}`;
        }
      }
    }
  }

  const opens = sites
    .filter((s) => !s.absorbed)
    .map((s): AuditOpen => {
      const expression = p.text(s.first, s.last) + (s.note ? ` (${s.note})` : '');
      const o: AuditOpen = { kind: s.kind, recipient: s.recipient, expression, line: toks[s.idx]!.line };
      if (s.label !== undefined) o.label = s.label;
      return o;
    });
  return { inputs, opens };
}

function describeInput(
  p: Program,
  i: number,
  first: number,
  call: number,
  name: string,
  party: (open: number | undefined) => number | undefined,
): AuditInput {
  const line = p.toks[i]!.line;
  const who = NOT_A_PARTY.has(name) ? -1 : party(call) ?? -1;
  const receiver = first < i - 1 ? p.text(first, i - 2) : '';
  // `x = sint.get_input_from(0)`: the class is the type, the assigned name is what
  if (STATIC_INPUTS.has(name) || !receiver) {
    const target = assignedName(p, first);
    return { party: who, type: receiver || 'unknown', what: target ?? p.text(first, p.match[call]!), line };
  }
  // `video.input_from(0)`, `layers[0].input_from(1)`, `for layer in layers: layer.input_from(1)`
  const base = p.toks[first]!;
  const b = base.kind === 'name' ? p.binding(base.text, first) : undefined;
  if (b?.kind === 'loop') {
    const ib = p.binding(b.iter!, b.at);
    return { party: who, type: ib?.kind === 'assign' ? ib.type! : 'unknown', what: `${receiver} (each of ${b.iter})`, line };
  }
  return { party: who, type: b?.kind === 'assign' ? b.type! : 'unknown', what: receiver, line };
}

/** `NAME = <expr starting at first>` -> NAME. */
function assignedName(p: Program, first: number): string | undefined {
  return p.is(first - 1, 'op', '=') && p.is(first - 2, 'name') && p.depth[first - 1] === 0 ? p.toks[first - 2]!.text : undefined;
}

// ---- comparison with the pipeline's declared outputs ------------------------------------------

const whom = (r: number | 'all') => (r === 'all' ? 'all parties' : `party ${r}`);
const partyList = (to: Iterable<number>) => {
  const xs = [...to];
  return xs.length ? xs.map((x) => `party ${x}`).join(', ') : 'nobody';
};

/**
 * ok iff every open is a declared output (matched by label) to one of its declared receivers,
 * each declared receiver gets it exactly once, and nothing else is opened.
 */
export function compareWithDeclared(report: AuditReport, declared: { name: string; to: number[] }[]): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const outputs = new Map(declared.map((d) => [d.name, new Set(d.to)]));
  const seen = new Map<string, Map<number, AuditOpen>>();
  for (const o of report.opens) {
    const to = o.label !== undefined ? outputs.get(o.label) : undefined;
    if (!to) {
      const named = o.label !== undefined ? ` '${o.label}'` : '';
      problems.push(`line ${o.line}: ${o.kind} opens${named} to ${whom(o.recipient)}, which is not a declared output: ${o.expression}`);
      continue;
    }
    if (o.recipient === 'all' || !to.has(o.recipient)) {
      problems.push(`line ${o.line}: ${o.kind} opens '${o.label}' to ${whom(o.recipient)}, but it is declared only to ${partyList(to)}: ${o.expression}`);
      continue;
    }
    const byParty = seen.get(o.label!) ?? new Map<number, AuditOpen>();
    const prev = byParty.get(o.recipient);
    if (prev) problems.push(`line ${o.line}: '${o.label}' is opened to party ${o.recipient} a second time (first at line ${prev.line}): ${o.expression}`);
    else byParty.set(o.recipient, o);
    seen.set(o.label!, byParty);
  }
  for (const d of declared) {
    for (const r of new Set(d.to)) {
      if (!seen.get(d.name)?.has(r)) problems.push(`'${d.name}' is declared to party ${r}, but no line of the program opens it to that party`);
    }
  }
  return { ok: problems.length === 0, problems };
}
