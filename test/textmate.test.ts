// The TextMate grammar (editors/ppvc.tmLanguage.json) is generated from the lexer and cannot
// drift: the committed editor files must equal the generated ones, and on every example the
// grammar must split each line exactly as the chevrotain lexer does, giving every token the scope
// of its token type and leaving no character outside a token. With vscode-textmate and
// vscode-oniguruma installed (devDependencies), the check runs on VS Code's own engine too.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { IToken } from 'chevrotain';
import { ROOT, describeUnless, exampleFiles } from './helpers.js';
import { type TextMateGrammar, buildTextMateGrammar, toOniguruma, tokenizeLineMinimal, textMateGrammarJson } from '../src/editor/textmate.js';
import { editorFiles, vscodeManifest } from '../src/editor/vscode-extension.js';
import { languageWords } from '../src/editor/language-syntax.js';
import { LAYER_KINDS } from '../src/check/layers.js';
import { PROTOCOL_NAMES } from '../src/target/protocols.js';
import { TARGET_OPTION_KEYS, VIDEO_OPTION_KEYS } from '../src/syntax/option-keys.js';
import { keywords, ppvcLexer } from '../src/syntax/tokens.js';

const grammar = buildTextMateGrammar();
const committed = JSON.parse(readFileSync(join(ROOT, 'editors', 'ppvc.tmLanguage.json'), 'utf8')) as TextMateGrammar;

const shouldFail = readdirSync(join(ROOT, 'test', 'should-fail'))
  .filter((f) => f.endsWith('.ppvc'))
  .sort()
  .map((f) => `test/should-fail/${f}`);

/** Every token kind, hyphenated names, soft keywords as names, a layer kind as a label, strings. */
const ALL_TOKENS = `# every token: comment
pipeline all_tokens ; party alice = 0 # end-of-line comment
party bob-2 = 1
video frames: [10, 8, 8, 1] from alice  range [-0.5, 1.5e0]
select public frames [0, 5]
model m by bob-2 from "models/m.json" scale 1
model n by alice {
  relu: conv2d 4 kernel 3x3x1 stride 2 same relu nobias
  x1: add relu, relu
  reshape [12]; dropout .25
}
classify each frame with m, softmax relu_normalized
label = argmax(votes)
reveal label to alice, bob-2
target mp-spdz { protocol sy-rep-ring  ring 72  precision 16 31  trunc exact  budget 1000 }
`;

interface Span {
  start: number;
  end: number;
  scopes: string[];
}

/** The scopes the grammar gives a token type (by its repository entry). */
function scopesFor(tokenType: string): string[] {
  const key = tokenType.replace(/^./, (c) => c.toLowerCase());
  const rule = grammar.repository[key];
  if (!rule) throw new Error(`no repository entry for token ${tokenType}`);
  return rule.patterns ? rule.patterns.map((p) => p.name!) : [rule.name!];
}

/** Chevrotain's tokens (comments included) of each line: [start column, end column, type]. */
function lexerTokensByLine(text: string): { start: number; end: number; type: string }[][] {
  const lexed = ppvcLexer.tokenize(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lines: { start: number; end: number; type: string }[][] = lineStarts.map(() => []);
  const all: IToken[] = [...lexed.tokens, ...((lexed.groups['comments'] as IToken[] | undefined) ?? [])];
  for (const t of all) {
    if (t.tokenType.name === 'Newline') continue;
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= t.startOffset) line++;
    const start = t.startOffset - lineStarts[line]!;
    lines[line]!.push({ start, end: start + t.image.length, type: t.tokenType.name });
  }
  for (const l of lines) l.sort((a, b) => a.start - b.start);
  return lines;
}

function expectSameSplit(path: string, text: string, tokenize: (line: string, i: number) => Span[]): void {
  const expected = lexerTokensByLine(text);
  text.split('\n').forEach((line, i) => {
    const spans = tokenize(line, i);
    // every character is covered once, in order
    let at = 0;
    for (const s of spans) {
      expect(s.start).toBe(at);
      at = s.end;
    }
    if (line.length > 0) expect(at).toBe(line.length);
    const scoped = spans.filter((s) => s.scopes.length > 1);
    // nothing but white space is left with the grammar's scope only; no invalid characters
    for (const s of spans) if (s.scopes.length === 1) expect(`${path}:${i + 1}: ${JSON.stringify(line.slice(s.start, s.end))}`).toMatch(/: "\s*"$/);
    for (const s of scoped) expect(s.scopes[0]).toBe('source.ppvc');
    expect(scoped.filter((s) => s.scopes.some((x) => x.startsWith('invalid')))).toEqual([]);
    // the same tokens as the lexer's, each with its token type's scope
    const got = scoped.map((s) => `${s.start}-${s.end} ${line.slice(s.start, s.end)}`);
    const want = expected[i]!.map((t) => `${t.start}-${t.end} ${line.slice(t.start, t.end)}`);
    expect(`${path}:${i + 1}\n${got.join('\n')}`).toBe(`${path}:${i + 1}\n${want.join('\n')}`);
    scoped.forEach((s, k) => {
      const type = expected[i]![k]!.type;
      expect(`${path}:${i + 1}: ${type} ${s.scopes[s.scopes.length - 1]}`).toBe(
        `${path}:${i + 1}: ${type} ${scopesFor(type).includes(s.scopes[s.scopes.length - 1]!) ? s.scopes[s.scopes.length - 1] : scopesFor(type).join('|')}`,
      );
    });
  });
}

/**
 * Words an editor must colour: those a new user found left plain (issue 23), the checker's tables
 * (layer kinds, protocols, option keys), the lexer's keywords, and every word the generator
 * derives from the syntax (option keys and values).
 */
const MUST_SCOPE = ['kernel', 'stride', 'valid', 'same', 'softmax', 'relu_normalized', 'argmax', 'sum', 'votes', 'exact', 'logits', 'linear', 'nobias', 'multiplier', 'max', 'epsilon', 'probabilistic', 'nearest', 'mp-spdz', 'input'];
const keywordWords = keywords.map((t) => (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, ''));
const WORDS = [...new Set([...MUST_SCOPE, ...LAYER_KINDS, ...PROTOCOL_NAMES, ...TARGET_OPTION_KEYS, ...VIDEO_OPTION_KEYS, ...keywordWords, ...languageWords().keys()])];

/** A name's scope and the grammar's own: what a word without a rule of its own gets. */
const DEFAULT_SCOPES = new Set(['source.ppvc', 'variable.other.name.ppvc']);

/** The words that are not one token with a scope of their own (none may be). */
function unscopedWords(words: string[], tokenize: (line: string) => Span[]): string[] {
  return words.filter((w) => {
    const tokens = tokenize(w).filter((t) => t.end > t.start);
    const scope = tokens[0]?.scopes[tokens[0].scopes.length - 1] ?? '';
    return !(tokens.length === 1 && tokens[0]!.end === w.length && !DEFAULT_SCOPES.has(scope) && !scope.startsWith('invalid'));
  });
}

const sources: [string, string][] = [
  ...exampleFiles().map((p): [string, string] => [p, readFileSync(join(ROOT, p), 'utf8')]),
  ...shouldFail.filter((p) => ppvcLexer.tokenize(readFileSync(join(ROOT, p), 'utf8')).errors.length === 0).map((p): [string, string] => [p, readFileSync(join(ROOT, p), 'utf8')]),
  ['all-tokens', ALL_TOKENS],
];

test('the committed editor files are the generated ones (node dist/editor/write-editor-files.js)', () => {
  for (const [name, text] of Object.entries(editorFiles())) {
    expect(`editors/${name}:\n${readFileSync(join(ROOT, 'editors', name), 'utf8')}`).toBe(`editors/${name}:\n${text}`);
  }
  expect(committed).toEqual(JSON.parse(textMateGrammarJson()));
});

test("the VS Code extension carries the root package's licence and repository, a LICENSE and a .vscodeignore", () => {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; version: string; repository?: unknown };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'editors', 'package.json'), 'utf8')) as Record<string, unknown>;
  expect([manifest['license'], manifest['version']]).toEqual([root.license, root.version]);
  expect('repository' in manifest).toBe(root.repository !== undefined);
  expect(readFileSync(join(ROOT, 'editors', 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  expect(readFileSync(join(ROOT, 'editors', '.vscodeignore'), 'utf8')).toMatch(/^\*\*\n(!.*\n)+$/m);
  // once the root package names its repository, the extension points into editors/ of it
  const url = 'git+https://git.example/ppvc-dsl.git';
  expect(vscodeManifest({ license: 'MIT', repository: url })['repository']).toEqual({ type: 'git', url, directory: 'editors' });
  expect(vscodeManifest({ license: 'MIT', repository: { type: 'git', url, directory: 'tools' } })['repository']).toEqual({ type: 'git', url, directory: 'tools/editors' });
});

test('the grammar has a rule for every token of the lexer, in the lexer\'s order', () => {
  const order = grammar.patterns.map((p) => p.include!.slice(1));
  expect(order[0]).toBe('comment');
  expect(order.indexOf('pipeline')).toBeLessThan(order.indexOf('identifier'));
  expect(order.indexOf('dims')).toBeLessThan(order.indexOf('numberLiteral'));
  expect(order[order.length - 1]).toBe('invalid');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'editors', 'package.json'), 'utf8'));
  expect(manifest.contributes.grammars[0]).toEqual({ language: 'ppvc', scopeName: 'source.ppvc', path: './ppvc.tmLanguage.json' });
  expect(manifest.contributes.languages[0].extensions).toEqual(['.ppvc']);
});

test('JavaScript token patterns become Oniguruma patterns', () => {
  expect(toOniguruma('{')).toBe('\\{');
  expect(toOniguruma('}')).toBe('\\}');
  expect(toOniguruma(']')).toBe('\\]');
  expect(toOniguruma('\\[')).toBe('\\[');
  expect(toOniguruma('[^\\]x]+')).toBe('[^\\]x]+');
  expect(toOniguruma('a{4}')).toBe('a{4}');
  expect(toOniguruma('[0-9a-f]{4}')).toBe('[0-9a-f]{4}');
});

describe('the minimal TextMate tokenizer', () => {
  test.each(sources)('%s: the grammar splits every line as the lexer does', (path, text) => {
    expectSameSplit(path, text, (line) => tokenizeLineMinimal(committed, line));
  });

  test('the check is sharp: a grammar without the size rule splits 5x5 differently from the lexer', () => {
    // without the size rule (and the glued-word rule, which would take 5x5 whole too)
    const broken: TextMateGrammar = { ...committed, patterns: committed.patterns.filter((p) => p.include !== '#dims' && p.include !== '#gluedWord') };
    const line = '  conv2d 64 kernel 5x5 valid';
    const spans = tokenizeLineMinimal(broken, line).filter((t) => t.scopes.length > 1).map((t) => line.slice(t.start, t.end));
    expect(spans).not.toContain('5x5');
    expect(() => expectSameSplit('broken', line, (l) => tokenizeLineMinimal(broken, l))).toThrow();
  });

  test('every keyword, layer kind, option key, option value and protocol name has a scope of its own', () => {
    expect(WORDS.length).toBeGreaterThan(60);
    expect(unscopedWords(WORDS, (line) => tokenizeLineMinimal(committed, line))).toEqual([]);
    // the check is sharp: names keep the name scope
    expect(unscopedWords(['alice', 'conv2d_1', 'kernels'], (line) => tokenizeLineMinimal(committed, line))).toEqual(['alice', 'conv2d_1', 'kernels']);
  });

  test("a character the lexer rejects is marked invalid", () => {
    const toks = tokenizeLineMinimal(committed, 'video v: [10, 8, 8, 1] from alice @');
    expect(toks.find((t) => t.scopes.includes('invalid.illegal.character.ppvc'))).toMatchObject({ start: 34, end: 35 });
  });
});

// vscode-textmate and vscode-oniguruma: loaded by name so that the suite type-checks and runs
// (this part skipped, saying so) before they are installed
interface VsTextmate {
  Registry: new (o: unknown) => { loadGrammar(scope: string): Promise<{ tokenizeLine(line: string, stack: unknown): { tokens: { startIndex: number; endIndex: number; scopes: string[] }[]; ruleStack: unknown } } | null> };
  INITIAL: unknown;
  parseRawGrammar(text: string, path: string): unknown;
}
interface VsOniguruma {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (s: string) => unknown;
}

/** The package, or undefined where it is not installed (any other failure to load it is thrown). */
function optional<T>(name: string): T | undefined {
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${name}'`)) return undefined;
    throw e;
  }
}

const vt = optional<VsTextmate>('vscode-textmate');
const onig = optional<VsOniguruma>('vscode-oniguruma');
const missing = [vt ? '' : 'vscode-textmate', onig ? '' : 'vscode-oniguruma'].filter(Boolean);
const engine = describeUnless(missing.length ? `${missing.join(' and ')} not installed (devDependencies: run npm install)` : undefined);

engine("VS Code's TextMate engine (vscode-textmate, Oniguruma)", () => {
  let tokenizeFile: (text: string) => Span[][];
  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await onig!.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const registry = new vt!.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new onig!.OnigScanner(p), createOnigString: (s: string) => new onig!.OnigString(s) }),
      loadGrammar: async (scope: string) =>
        scope === 'source.ppvc' ? vt!.parseRawGrammar(readFileSync(join(ROOT, 'editors', 'ppvc.tmLanguage.json'), 'utf8'), 'ppvc.tmLanguage.json') : null,
    });
    const g = await registry.loadGrammar('source.ppvc');
    if (!g) throw new Error('vscode-textmate did not load editors/ppvc.tmLanguage.json');
    tokenizeFile = (text) => {
      let stack = vt!.INITIAL;
      return text.split('\n').map((line) => {
        const r = g.tokenizeLine(line, stack);
        stack = r.ruleStack;
        return r.tokens
          .map((t) => ({ start: t.startIndex, end: Math.min(t.endIndex, line.length), scopes: t.scopes }))
          .filter((t) => t.end > t.start);
      });
    };
  });

  test('every keyword, layer kind, option key, option value and protocol name has a scope of its own', () => {
    expect(unscopedWords(WORDS, (line) => tokenizeFile(line)[0]!)).toEqual([]);
    expect(unscopedWords(['alice', 'relu-x', 'sums'], (line) => tokenizeFile(line)[0]!)).toEqual(['alice', 'relu-x', 'sums']);
  });

  test.each(sources)('%s: the grammar splits every line as the lexer does', (path, text) => {
    const lines = tokenizeFile(text);
    expectSameSplit(path, text, (_line, i) => lines[i]!);
  });
});
