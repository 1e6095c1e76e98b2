// The structure the leak audit reads from Python tokens: brackets, statements, function scopes
// and the names each scope binds. Approximate where approximation is conservative: a name
// whose binding the audit cannot place counts as MP-SPDZ's, never as the program's own.
import { readPython, type SourceOrigin, type Tok, type TokKind } from './python-source.js';

export type { Tok, TokKind } from './python-source.js';

export interface Binding {
  at: number; // token index of the binding
  stmt: number;
  kind: 'const' | 'assign' | 'loop' | 'def' | 'param';
  /** An unconditional binding at module level (column 0): from here on the name is the program's own. */
  moduleLevel: boolean;
  /** Token index of the innermost `def` whose body holds the binding; -1 at module level (or in a class body). */
  scope: number;
  value?: number;
  /** For assign: the callee of the right-hand side (`sfix.Matrix`), `list`, or `unknown`. */
  type?: string;
  /** For loop: the iterated expression. */
  iter?: string;
  /** For assign with one target: the token range of the right-hand side. */
  rhs?: { first: number; last: number };
}

export const PY_KEYWORDS = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  'None', 'True', 'False',
]);
const COMPOUND = new Set(['for', 'if', 'elif', 'else', 'while', 'with', 'def', 'class', 'try', 'except', 'finally', 'async', 'lambda']);

interface Block {
  kind: 'def' | 'class';
  /** Token index of the `def` / `class` keyword. */
  at: number;
  indent: number;
  name: string;
}

export class Program {
  readonly toks: Tok[];
  readonly match: number[];
  readonly stmt: number[];
  readonly depth: number[];
  /** Innermost enclosing `def` (token index of its keyword) of each token; -1 outside functions. */
  readonly scope: number[];
  /** The `def` enclosing each `def` (by its keyword's index); -1 for functions at module level or in a class. */
  readonly parentScope = new Map<number, number>();
  /** Dotted name (`PpvcRelu._forward`) of the innermost def or class of each token; '' at module level. */
  readonly where: string[];
  readonly bindings = new Map<string, Binding[]>();
  /** Names a function declares `global` or `nonlocal`: `${def index}:${name}`. */
  private readonly notLocal = new Set<string>();
  private readonly comments: [number, number][];

  /** Throws a UserError (file:line:col) when Python rejects the text. */
  constructor(
    readonly src: string,
    origin: SourceOrigin = {},
  ) {
    const t = readPython(src, origin);
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
    this.scope = this.toks.map(() => -1);
    this.where = this.toks.map(() => '');
    this.collectScopes();
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
  args(open: number): { first: number; last: number; keyword?: string; star?: boolean }[] {
    const close = this.match[open]!;
    const out: { first: number; last: number; keyword?: string; star?: boolean }[] = [];
    let start = open + 1;
    for (let i = open + 1; i <= close; i++) {
      if (i === close || (this.is(i, 'op', ',') && this.depth[i] === this.depth[open]! + 1)) {
        if (i > start) {
          const keyword = this.is(start, 'name') && this.is(start + 1, 'op', '=') ? this.toks[start]!.text : undefined;
          const star = this.is(start, 'op', '*') || this.is(start, 'op', '**');
          out.push({ first: keyword ? start + 2 : star ? start + 1 : start, last: i - 1, keyword, star });
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
   * True if `name` at token `at` is the program's own variable, not MP-SPDZ's: at module level,
   * bound before, unconditionally, at module level; in a function, also a local of it (or of an
   * enclosing function: a parameter, an assignment, a loop variable, a nested def), or a
   * function or class the file defines at module level (functions see later definitions).
   */
  isOwn(name: string, at: number): boolean {
    const list = this.bindings.get(name) ?? [];
    const inFunction = this.scope[at]! >= 0;
    if (list.some((b) => b.moduleLevel && (b.at <= at || (inFunction && b.kind === 'def')))) return true;
    for (let d = this.scope[at]!; d >= 0; d = this.parentScope.get(d) ?? -1) {
      if (this.notLocal.has(`${d}:${name}`)) return false;
      if (list.some((b) => b.scope === d && !b.moduleLevel)) return true;
    }
    return false;
  }

  /** The names the file defines at module level with `def` or `class`. */
  moduleDefinitions(): Set<string> {
    const out = new Set<string>();
    for (const [name, list] of this.bindings) if (list.some((b) => b.kind === 'def' && b.moduleLevel)) out.add(name);
    return out;
  }

  /** Functions and classes by indentation: each token's innermost def, and its dotted name. */
  private collectScopes(): void {
    const toks = this.toks;
    const blocks: Block[] = [];
    let i = 0;
    while (i < toks.length) {
      // one logical line: [i, end)
      let end = i;
      while (end < toks.length && toks[end]!.kind !== 'newline') end++;
      if (end > i) {
        const indent = toks[i]!.col;
        while (blocks.length && blocks[blocks.length - 1]!.indent >= indent) blocks.pop();
        const innerDef = () => [...blocks].reverse().find((b) => b.kind === 'def')?.at ?? -1;
        const dotted = () => blocks.map((b) => b.name).join('.');
        let head = i;
        if (this.is(head, 'name', 'async')) head++;
        const opens = (this.is(head, 'name', 'def') || this.is(head, 'name', 'class')) && this.is(head + 1, 'name');
        const outer = innerDef();
        const outerName = dotted();
        for (let k = i; k < end; k++) {
          this.scope[k] = outer;
          this.where[k] = outerName;
        }
        if (opens) {
          const kind = toks[head]!.text === 'def' ? 'def' : 'class';
          if (kind === 'def') this.parentScope.set(head, outer);
          blocks.push({ kind, at: head, indent, name: toks[head + 1]!.text });
          // the header (name, parameters, defaults, annotations) is evaluated outside; a body
          // on the same line (`def f(): return x`) is inside
          let colon = head + 2;
          if (this.is(colon, 'op', '(') && this.match[colon]! > colon) colon = this.match[colon]! + 1;
          while (colon < end && !(this.is(colon, 'op', ':') && this.depth[colon] === this.depth[head])) colon++;
          for (let k = colon + 1; k < end; k++) {
            this.scope[k] = kind === 'def' ? head : outer;
            this.where[k] = dotted();
          }
          // a one-line body ends with its line
          if (colon + 1 < end) blocks.pop();
        }
      }
      i = end + 1;
    }
  }

  private collectBindings(): void {
    const toks = this.toks;
    const scopeAt = (i: number) => this.scope[i] ?? -1;
    const statementStart = (i: number) => {
      let k = i;
      while (k > 0 && this.stmt[k - 1] === this.stmt[i]) k--;
      return toks[k]!;
    };
    toks.forEach((t, i) => {
      if (t.kind !== 'name') return;
      // `def NAME`, `class NAME`, `... as NAME`, `NAME :=`: names the program defines itself
      const named = (t.text === 'def' || t.text === 'class' || t.text === 'as') && this.is(i + 1, 'name');
      if (named) {
        const head = statementStart(i);
        const isDef = t.text !== 'as';
        const moduleLevel = head.col === 0 && scopeAt(i) < 0 && (isDef ? head === t || (head.text === 'async' && toks[i - 1] === head) : head.text === 'import' || head.text === 'from');
        this.bind(toks[i + 1]!.text, { at: i + 1, stmt: this.stmt[i + 1]!, kind: isDef ? 'def' : 'assign', moduleLevel, scope: scopeAt(i), type: 'unknown' });
        if (t.text === 'def') this.parameters(i);
      }
      if (this.is(i + 1, 'op', ':=')) this.bind(t.text, { at: i, stmt: this.stmt[i]!, kind: 'assign', moduleLevel: false, scope: scopeAt(i), type: 'unknown' });
      if ((t.text === 'global' || t.text === 'nonlocal') && scopeAt(i) >= 0) {
        for (let k = i + 1; k < toks.length && this.stmt[k] === this.stmt[i]; k++) if (this.is(k, 'name')) this.notLocal.add(`${scopeAt(i)}:${toks[k]!.text}`);
      }
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
      for (const n of targets) this.bind(toks[n]!.text, { at: n, stmt: this.stmt[n]!, kind: 'loop', moduleLevel: false, scope: scopeAt(n), iter });
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

  /** The parameters of the def at token `def`: bound in the function's own scope. */
  private parameters(def: number): void {
    const open = def + 2;
    if (!this.is(open, 'op', '(') || this.match[open]! < open) return;
    for (const a of this.args(open)) {
      const first = a.keyword !== undefined ? a.first - 2 : a.first; // `x=1`: args() took x for a keyword
      if (this.is(first, 'name')) this.bind(this.toks[first]!.text, { at: first, stmt: this.stmt[first]!, kind: 'param', moduleLevel: false, scope: def });
    }
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
    const scope = this.scope[eq] ?? -1;
    const moduleLevel = start === first && this.toks[first]!.col === 0 && scope < 0;
    targets.forEach((n, k) => {
      const item = targets.length === 1 ? { first: eq + 1, last: last } : rhs.length === targets.length ? rhs[k] : undefined;
      if (!item) {
        // unpacking one value: `_, h, w, c = self.output_shape`
        this.bind(this.toks[n]!.text, { at: n, stmt, kind: 'assign', moduleLevel, scope, type: 'unknown' });
        return;
      }
      let end = item.last;
      while (end > item.first && this.toks[end]!.kind === 'newline') end--;
      const value = this.intValue(item.first, end);
      if (value !== undefined) this.bind(this.toks[n]!.text, { at: n, stmt, kind: 'const', moduleLevel, scope, value });
      else this.bind(this.toks[n]!.text, { at: n, stmt, kind: 'assign', moduleLevel, scope, type: this.typeOf(item.first, end), rhs: targets.length === 1 ? { first: item.first, last: end } : undefined });
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
