// Reads the loosely-typed atoms of a layer or option list against a small schema, so each
// statement can say precisely which argument is wrong and what it expected.
import { type Diagnostic, type Span, errorAt } from '../diagnostics.js';
import type { Atom } from '../syntax/ast.js';
import { closestWord, didYouMean } from '../util/suggest.js';

/** The words a statement's arguments may use, for telling a misspelt keyword from a stray word. */
export interface Vocabulary {
  /** Every keyword and flag the statement takes. */
  words: readonly string[];
  /** The keywords whose value is a word (a layer name, a protocol...): never taken for a keyword. */
  wordValued?: readonly string[];
}

export class ArgReader {
  private used: boolean[];
  /** For a word taken as a misspelling of a keyword: that keyword (reported once, when read). */
  private corrected: (string | undefined)[];
  constructor(
    private readonly atoms: Atom[],
    private readonly what: string,
    private readonly at: Span,
    private readonly diags: Diagnostic[],
    vocabulary?: Vocabulary,
  ) {
    this.used = atoms.map(() => false);
    this.corrected = atoms.map(() => undefined);
    if (vocabulary) this.correctTypos(vocabulary);
  }

  /**
   * A word that is no keyword of the statement but a near miss of one (`kernal`) is one error
   * that names the keyword, and is then read as that keyword with its value: no cascade of
   * "needs 'kernel'" and "unexpected argument '3x3'" after it. The value of a word-valued
   * keyword (`from NAME`) is never corrected.
   */
  private correctTypos(v: Vocabulary): void {
    const valued = new Set(v.wordValued ?? []);
    for (let j = 0; j < this.atoms.length; j++) {
      const a = this.atoms[j]!;
      if (a.kind !== 'word') continue;
      let word = a.text;
      if (!v.words.includes(word)) {
        const near = closestWord(word, v.words);
        if (near === undefined) continue;
        this.error(a.span, `${this.what}: unknown argument '${word}': did you mean '${near}'?`, `'${near}'`, `'${word}'`);
        this.corrected[j] = word = near;
      }
      if (valued.has(word)) j++;
    }
  }

  /** An atom's text, or the keyword a misspelt word stands for. */
  private textOf(j: number): string {
    return this.corrected[j] ?? this.atoms[j]!.text;
  }

  private error(span: Span, message: string, expected?: string, found?: string): void {
    this.diags.push(errorAt(span, message, { expected, found }));
  }

  /** The first unused leading number, as a positive integer. */
  positiveInt(name: string, required: boolean): number | undefined {
    const i = this.atoms.findIndex((a, j) => !this.used[j] && a.kind === 'number');
    if (i < 0 || (i > 0 && !this.used.slice(0, i).every(Boolean))) {
      if (required) this.error(this.at, `${this.what} needs ${name}`, `${name} as a whole number, e.g. '${this.what} 64'`);
      return undefined;
    }
    this.used[i] = true;
    return this.checkInt(this.atoms[i]!, name);
  }

  /** A leading size: `5x5` or `5` (meaning 5x5). */
  positionalSize(name: string, required: boolean): [number, number] | undefined {
    const i = this.atoms.findIndex((a, j) => !this.used[j] && (a.kind === 'number' || a.kind === 'dims'));
    if (i !== 0 || this.used[0]) {
      if (required) this.error(this.at, `${this.what} needs ${name}`, `${name} such as 2x2`);
      return undefined;
    }
    this.used[i] = true;
    return this.size(this.atoms[i]!, name);
  }

  /** `key VALUE` where VALUE is a size (`5x5`, or `5` for 5x5). */
  keyedSize(key: string, fallback: [number, number] | undefined, required = false): [number, number] | undefined {
    const at = this.findWord(key);
    if (at < 0) {
      if (required) this.error(this.at, `${this.what} needs '${key}'`, `'${key} 3x3' (or '${key} 3')`);
      return fallback;
    }
    this.used[at] = true;
    const v = this.atoms[at + 1];
    if (!v || this.used[at + 1] || (v.kind !== 'number' && v.kind !== 'dims')) {
      this.error(this.atoms[at]!.span, `'${key}' needs a size`, `'${key} 3x3' or '${key} 3'`, v ? `'${v.text}'` : 'nothing');
      return fallback;
    }
    this.used[at + 1] = true;
    return this.size(v, key) ?? fallback;
  }

  /** `key N` with a positive integer N. */
  keyedInt(key: string, fallback: number | undefined, opts: { min?: number; max?: number } = {}): number | undefined {
    const at = this.findWord(key);
    if (at < 0) return fallback;
    this.used[at] = true;
    const v = this.atoms[at + 1];
    if (!v || this.used[at + 1] || v.kind !== 'number') {
      this.error(this.atoms[at]!.span, `'${key}' needs a whole number`, `'${key} N'`, v ? `'${v.text}'` : 'nothing');
      return fallback;
    }
    this.used[at + 1] = true;
    const n = this.checkInt(v, key, opts.min ?? 1, opts.max);
    return n ?? fallback;
  }

  /** `key WORD` where WORD is one of `choices`. */
  keyedWord<W extends string>(key: string, choices: readonly W[], fallback: W | undefined): W | undefined {
    const at = this.findWord(key);
    if (at < 0) return fallback;
    this.used[at] = true;
    const v = this.atoms[at + 1];
    if (!v || this.used[at + 1] || v.kind !== 'word' || !(choices as readonly string[]).includes(v.text)) {
      this.error(v?.span ?? this.atoms[at]!.span, v ? `unknown ${key} '${v.text}'${didYouMean(v.text, choices)}` : `'${key}' needs a value`, choices.join(', '), v ? `'${v.text}'` : 'nothing');
      if (v && !this.used[at + 1] && v.kind === 'word') this.used[at + 1] = true;
      return fallback;
    }
    this.used[at + 1] = true;
    return v.text as W;
  }

  /** `key N M`: two numbers. */
  keyedPair(key: string): [number, number, Span] | undefined {
    const at = this.findWord(key);
    if (at < 0) return undefined;
    this.used[at] = true;
    const a = this.atoms[at + 1];
    const b = this.atoms[at + 2];
    if (!a || !b || a.kind !== 'number' || b.kind !== 'number') {
      this.error(this.atoms[at]!.span, `'${key}' needs two whole numbers`, `'${key} 16 31'`);
      return undefined;
    }
    this.used[at + 1] = this.used[at + 2] = true;
    const x = this.checkInt(a, key, 0);
    const y = this.checkInt(b, key, 0);
    return x === undefined || y === undefined ? undefined : [x, y, this.atoms[at]!.span];
  }

  /** `key [lo, hi]`: a numeric range. */
  keyedRange(key: string): [number, number, Span] | undefined {
    const at = this.findWord(key);
    if (at < 0) return undefined;
    this.used[at] = true;
    const v = this.atoms[at + 1];
    if (!v || v.kind !== 'list' || v.items.length !== 2) {
      this.error(v?.span ?? this.atoms[at]!.span, `'${key}' needs two numbers in brackets`, `'${key} [0, 1]'`, v ? `'${v.text}'` : 'nothing');
      return undefined;
    }
    this.used[at + 1] = true;
    return [v.items[0]!.value, v.items[1]!.value, v.span];
  }

  /** At most one word out of a group of alternatives (e.g. valid|same). */
  flag<W extends string>(choices: readonly W[], fallback: W): W {
    let found: W | undefined;
    this.atoms.forEach((a, j) => {
      const text = this.textOf(j);
      if (this.used[j] || a.kind !== 'word' || !(choices as readonly string[]).includes(text)) return;
      this.used[j] = true;
      if (found !== undefined) this.error(a.span, `${this.what}: '${found}' and '${text}' contradict each other`, `one of ${choices.join(', ')}`);
      else found = text as W;
    });
    return found ?? fallback;
  }

  /** `key NUMBER`: a finite number of at least `min` (or above 0 with `min = 'positive'`), e.g. `epsilon 0.001`. */
  keyedNumber(key: string, fallback: number | undefined, min: number | 'positive' = -Infinity): number | undefined {
    const at = this.findWord(key);
    if (at < 0) return fallback;
    this.used[at] = true;
    const v = this.atoms[at + 1];
    const fits = (x: number) => Number.isFinite(x) && (min === 'positive' ? x > 0 : x >= min);
    if (!v || this.used[at + 1] || v.kind !== 'number' || !fits(v.value)) {
      const bound = min === 'positive' ? ' greater than 0' : min > -Infinity ? ` of at least ${min}` : '';
      this.error(v?.span ?? this.atoms[at]!.span, `'${key}' needs a finite number${bound}`, `'${key} N'`, v ? `'${v.text}'` : 'nothing');
      return fallback;
    }
    this.used[at + 1] = true;
    return v.value;
  }

  /** `key NAME`: a layer name. */
  keyedName(key: string): { text: string; span: Span } | undefined {
    const at = this.findWord(key);
    if (at < 0) return undefined;
    this.used[at] = true;
    const v = this.atoms[at + 1];
    if (!v || this.used[at + 1] || v.kind !== 'word') {
      this.error(this.atoms[at]!.span, `'${key}' needs a layer name`, `'${key} NAME' (a labelled layer, or 'input')`, v ? `'${v.text}'` : 'nothing');
      return undefined;
    }
    this.used[at + 1] = true;
    return { text: v.text, span: v.span };
  }

  /** Every `key NAME NUMBER` (repeatable): NAME a word or a quoted string, NUMBER finite and above 0 (`otherKeys`: words a wrong NUMBER is not taken for). */
  keyedNamedNumbers(key: string, example: string, otherKeys: ReadonlySet<string> = new Set()): { name: string; nameSpan: Span; value: number; span: Span }[] {
    const out: { name: string; nameSpan: Span; value: number; span: Span }[] = [];
    for (let at = this.findWord(key); at >= 0; at = this.findWord(key)) {
      this.used[at] = true;
      const name = this.atoms[at + 1];
      const v = this.atoms[at + 2];
      // a wrong argument is reported once, here, not again as unexpected
      if (!name || this.used[at + 1] || (name.kind !== 'word' && name.kind !== 'string')) {
        this.error(name?.span ?? this.atoms[at]!.span, `'${key}' needs a layer name`, example, name ? `'${name.text}'` : 'nothing');
        if (name && !this.used[at + 1] && name.kind === 'number') this.used[at + 1] = true;
        continue;
      }
      this.used[at + 1] = true;
      if (!v || this.used[at + 2] || v.kind !== 'number' || !(Number.isFinite(v.value) && v.value > 0)) {
        this.error(v?.span ?? name.span, `'${key} ${name.text}' needs a number greater than 0`, example, v ? `'${v.text}'` : 'nothing');
        if (v && !this.used[at + 2] && !(v.kind === 'word' && otherKeys.has(this.textOf(at + 2)))) this.used[at + 2] = true;
        continue;
      }
      this.used[at + 2] = true;
      out.push({ name: name.kind === 'string' ? name.value : name.text, nameSpan: name.span, value: v.value, span: this.atoms[at]!.span });
    }
    return out;
  }

  /** The first unused bracketed list of whole numbers. */
  list(name: string, required: boolean): { values: number[]; span: Span } | undefined {
    const i = this.atoms.findIndex((a, j) => !this.used[j] && a.kind === 'list');
    if (i < 0) {
      if (required) this.error(this.at, `${this.what} needs ${name}`, `${name} in brackets, e.g. [1, 2]`);
      return undefined;
    }
    this.used[i] = true;
    const a = this.atoms[i] as Extract<Atom, { kind: 'list' }>;
    for (const it of a.items) {
      if (!Number.isInteger(it.value) || it.value < 0 || it.value > 1 << 24) {
        const tooLarge = Number.isInteger(it.value) && it.value > 1 << 24;
        this.error(it.span, tooLarge ? `${name}: ${it.text} is above the limit of ${1 << 24} (2^24)` : `${name} must be whole numbers`, `whole numbers from 0 to ${1 << 24}`, it.text);
        return undefined;
      }
    }
    return { values: a.items.map((x) => x.value), span: a.span };
  }

  /** Every remaining word, as layer names (for add / concat). */
  names(): { text: string; span: Span }[] {
    const out: { text: string; span: Span }[] = [];
    this.atoms.forEach((a, j) => {
      if (this.used[j] || a.kind !== 'word') return;
      this.used[j] = true;
      out.push({ text: a.text, span: a.span });
    });
    return out;
  }

  /** An optional leading number in [0, 1), such as dropout's rate (ignored at inference, but a rate of 1.5 is a mistake worth saying). */
  positionalFraction(name: string): number | undefined {
    const i = this.atoms.findIndex((a, j) => !this.used[j] && a.kind === 'number');
    if (i !== 0) return undefined;
    this.used[i] = true;
    const a = this.atoms[i] as Extract<Atom, { kind: 'number' }>;
    if (!(a.value >= 0 && a.value < 1)) this.error(a.span, `${this.what}: the ${name} must be at least 0 and below 1`, `a ${name} such as 0.2`, `'${a.text}'`);
    return a.value;
  }

  /** A word that takes no value, such as `nobias`. */
  word(w: string): boolean {
    const at = this.findWord(w);
    if (at < 0) return false;
    this.used[at] = true;
    return true;
  }

  /** Reports every atom no rule consumed: nothing is silently dropped. */
  finish(expectedHelp: string): void {
    this.atoms.forEach((a, j) => {
      // a misspelt keyword was reported when it was found
      if (!this.used[j] && this.corrected[j] === undefined) this.error(a.span, `${this.what}: unexpected argument '${a.text}'`, expectedHelp, `'${a.text}'`);
    });
  }

  private findWord(w: string): number {
    return this.atoms.findIndex((a, j) => !this.used[j] && a.kind === 'word' && this.textOf(j) === w);
  }

  private checkInt(a: Atom, name: string, min = 1, max = 1 << 24): number | undefined {
    if (a.kind !== 'number' || !Number.isInteger(a.value)) {
      this.error(a.span, `${name} must be a whole number`, 'a whole number', `'${a.text}'`);
      return undefined;
    }
    if (a.value < min || a.value > max) {
      this.error(a.span, `${name} is out of range`, `a whole number from ${min} to ${max}`, a.text);
      return undefined;
    }
    return a.value;
  }

  private size(a: Atom, name: string): [number, number] | undefined {
    if (a.kind === 'number') {
      const n = this.checkInt(a, name);
      return n === undefined ? undefined : [n, n];
    }
    if (a.kind === 'dims') {
      if (a.value.length !== 2 || a.value.some((x) => x < 1)) {
        this.error(a.span, `${name} must be two positive sizes`, 'e.g. 3x3', `'${a.text}'`);
        return undefined;
      }
      return [a.value[0]!, a.value[1]!];
    }
    this.error(a.span, `${name} must be a size`, 'e.g. 3x3', `'${a.text}'`);
    return undefined;
  }
}
