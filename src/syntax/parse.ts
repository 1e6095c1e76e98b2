// Text -> tokens -> CST -> AST. Lexing and parsing errors become located diagnostics.
import type { CstNode, IToken, CstElement } from 'chevrotain';
import { type Diagnostic, type SourceFile, type Span, errorAt, spanAt, spanBetween } from '../diagnostics.js';
import type * as A from './ast.js';
import { ppvcLexer } from './tokens.js';
import { ppvcParser } from './parser.js';

export interface ParseResult {
  ast?: A.PipelineAst;
  cst?: CstNode;
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
}

const friendlyTokenNames: Record<string, string> = {
  Newline: 'end of line',
  NumberLiteral: 'a number',
  Identifier: 'a name',
  StringLiteral: 'a quoted string',
  Dims: 'a size such as 5x5',
  LBracket: "'['",
  RBracket: "']'",
  LCurly: "'{'",
  RCurly: "'}'",
  LParen: "'('",
  RParen: "')'",
  Equals: "'='",
  Colon: "':'",
  Comma: "','",
  Semicolon: "';'",
  EOF: 'end of file',
};

function describeToken(t: IToken): string {
  if (t.tokenType.name === 'EOF') return 'end of file';
  if (t.tokenType.name === 'Newline') return 'end of line';
  return `'${t.image}'`;
}

// Characters that print as nothing or as a plain space, named so that the message says what is there.
const invisibleNames: Record<number, string> = {
  0x00a0: 'no-break space',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x2060: 'word joiner',
  0xfeff: 'byte order mark',
};

/** A character for a message: quoted if visible, else its code point (U+00A0), named if known. */
function describeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (invisibleNames[cp]) return `${code} (${invisibleNames[cp]})`;
  // letters, digits, punctuation and symbols show themselves; spaces, controls, format characters and lone surrogates do not
  if (!/^[\p{L}\p{N}\p{P}\p{S}\p{M}]$/u.test(c)) return code;
  return cp < 0x80 ? `'${c}'` : `'${c}' (${code})`;
}

function tokenSpan(file: SourceFile, t: IToken): Span {
  if (t.tokenType.name === 'EOF' || Number.isNaN(t.startOffset)) {
    return spanAt(file, Math.max(0, file.text.length - 1));
  }
  return spanAt(file, t.startOffset, t.image.length);
}

/** Keeps parse error messages short: "expected X" instead of chevrotain's path dumps. */
function expectedFromMessage(msg: string): string | undefined {
  const one = /Expecting token of type --> (\w+) <--/.exec(msg);
  if (one) return friendlyTokenNames[one[1]!] ?? `'${one[1]!.toLowerCase()}'`;
  if (/Expecting: one of these possible Token sequences/.test(msg)) {
    const firsts = new Set<string>();
    for (const m of msg.matchAll(/\d+\. \[([A-Za-z]+)/g)) firsts.add(friendlyTokenNames[m[1]!] ?? `'${m[1]!.toLowerCase()}'`);
    return [...firsts].join(', ');
  }
  return undefined;
}

export function parseSource(file: SourceFile): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = ppvcLexer.tokenize(file.text);
  for (const e of lexed.errors) {
    diagnostics.push(
      errorAt(spanAt(file, e.offset, e.length), `unexpected character ${describeChar(String.fromCodePoint(file.text.codePointAt(e.offset)!))}`, {
        expected: 'a name, a number, a size such as 5x5, a quoted string, or one of = : , [ ] { } ( ) ;',
      }),
    );
  }
  const comments = (lexed.groups['comments'] as IToken[] | undefined) ?? [];
  ppvcParser.input = lexed.tokens;
  const cst = ppvcParser.file();
  const seen = new Set<number>();
  for (const e of ppvcParser.errors) {
    const span = tokenSpan(file, e.token);
    if (seen.has(span.offset)) continue;
    seen.add(span.offset);
    const expected = expectedFromMessage(e.message);
    const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1];
    const what = rule ? ` in ${ruleDescription(rule)}` : '';
    diagnostics.push(
      errorAt(span, `syntax error${what}: unexpected ${describeToken(e.token)}`, {
        expected: expected ?? (e.name === 'NotAllInputParsedException' ? 'end of file' : undefined),
        found: describeToken(e.token),
      }),
    );
  }
  if (diagnostics.length > 0) return { cst, tokens: lexed.tokens, comments, diagnostics };
  const ast = toAst(file, cst);
  return { ast, cst, tokens: lexed.tokens, comments, diagnostics };
}

function ruleDescription(rule: string): string {
  const names: Record<string, string> = {
    file: 'the file',
    header: "the 'pipeline NAME' header",
    statement: 'a statement',
    partyStatement: "a 'party' statement",
    videoStatement: "a 'video' statement",
    selectStatement: "a 'select' statement",
    modelStatement: "a 'model' statement",
    layerBlock: 'a layer block',
    layer: 'a layer',
    classifyStatement: "a 'classify' statement",
    bindingStatement: "an aggregation such as 'label = argmax(sum)'",
    revealStatement: "a 'reveal' statement",
    targetStatement: "a 'target' block",
    atom: 'an argument',
    list: "a list such as '[1, 2, 3]'",
    separator: 'a line break',
  };
  return names[rule] ?? rule;
}

// ---- CST -> AST -------------------------------------------------------------------------

type Children = Record<string, CstElement[]>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function tok(ch: Children, key: string, i = 0): IToken | undefined {
  const e = ch[key]?.[i];
  return e && isToken(e) ? e : undefined;
}

function node(ch: Children, key: string, i = 0): CstNode | undefined {
  const e = ch[key]?.[i];
  return e && !isToken(e) ? e : undefined;
}

function nodes(ch: Children, key: string): CstNode[] {
  return (ch[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

function toAst(file: SourceFile, cst: CstNode): A.PipelineAst {
  const span = (t: IToken): Span => tokenSpan(file, t);
  const name = (t: IToken): A.Name => ({ text: t.image, span: span(t) });
  const num = (t: IToken): A.NumberNode => ({ value: Number(t.image), text: t.image, span: span(t) });
  const nodeSpan = (n: CstNode): Span =>
    spanAt(file, n.location!.startOffset, (n.location!.endOffset ?? n.location!.startOffset) - n.location!.startOffset + 1);

  const list = (n: CstNode): A.NumberNode[] => (n.children['items'] ?? []).filter(isToken).map(num);

  const atom = (n: CstNode): A.Atom | undefined => {
    const c = n.children;
    const t = tok(c, 'NumberLiteral');
    if (t) return { kind: 'number', value: Number(t.image), text: t.image, span: span(t) };
    const d = tok(c, 'Dims');
    if (d) return { kind: 'dims', value: d.image.split('x').map(Number), text: d.image, span: span(d) };
    const w = tok(c, 'Identifier') ?? tok(c, 'GluedWord');
    if (w) return { kind: 'word', text: w.image, span: span(w) };
    const s = tok(c, 'StringLiteral');
    if (s) return { kind: 'string', value: JSON.parse(s.image) as string, text: s.image, span: span(s) };
    const l = node(c, 'list');
    if (l) return { kind: 'list', items: list(l), text: '[...]', span: nodeSpan(l) };
    return undefined; // commas are separators only
  };
  const atoms = (ns: CstNode[]): A.Atom[] => ns.map(atom).filter((a): a is A.Atom => a !== undefined);

  const header = node(cst.children, 'header')!;
  const statements: A.Statement[] = [];
  for (const st of nodes(cst.children, 'statement')) {
    const inner = Object.values(st.children)[0]![0] as CstNode;
    const c = inner.children;
    const sp = nodeSpan(inner);
    switch (inner.name) {
      case 'partyStatement':
        statements.push({ kind: 'party', span: sp, name: name(tok(c, 'name')!), id: num(tok(c, 'id')!) });
        break;
      case 'videoStatement': {
        const shapeNode = node(c, 'shape')!;
        statements.push({
          kind: 'video',
          span: sp,
          name: name(tok(c, 'name')!),
          shape: list(shapeNode),
          shapeSpan: nodeSpan(shapeNode),
          owner: name(tok(c, 'owner')!),
          options: atoms(nodes(c, 'options')),
        });
        break;
      }
      case 'selectStatement': {
        const count = tok(c, 'count');
        const step = tok(c, 'step');
        const indices = node(c, 'indices');
        if (count) statements.push({ kind: 'select', mode: 'oblivious', span: sp, count: num(count), chooser: name(tok(c, 'chooser')!) });
        else if (step) statements.push({ kind: 'select', mode: 'public-every', span: sp, step: num(step) });
        else statements.push({ kind: 'select', mode: 'public-list', span: sp, indices: list(indices!), listSpan: nodeSpan(indices!) });
        break;
      }
      case 'modelStatement': {
        const block = node(c, 'layerBlock');
        const fileTok = tok(c, 'file');
        const m: A.ModelStatement = { kind: 'model', span: sp, name: name(tok(c, 'name')!), owner: name(tok(c, 'owner')!) };
        if (block) {
          m.layers = nodes(block.children, 'layer').map((l) => {
            const lc = l.children;
            const label = tok(lc, 'label');
            return { span: nodeSpan(l), label: label ? name(label) : undefined, kind: name(tok(lc, 'kind')!), args: atoms(nodes(lc, 'args')) };
          });
        }
        if (fileTok) m.file = { path: JSON.parse(fileTok.image) as string, span: span(fileTok), options: atoms(nodes(c, 'options')) };
        statements.push(m);
        break;
      }
      case 'classifyStatement':
        statements.push({ kind: 'classify', span: sp, model: name(tok(c, 'model')!), options: atoms(nodes(c, 'options')) });
        break;
      case 'bindingStatement':
        statements.push({ kind: 'binding', span: sp, name: name(tok(c, 'name')!), func: name(tok(c, 'func')!), arg: name(tok(c, 'arg')!) });
        break;
      case 'revealStatement':
        statements.push({
          kind: 'reveal',
          span: sp,
          value: name(tok(c, 'value')!),
          parties: (c['parties'] ?? []).filter(isToken).map(name),
        });
        break;
      case 'targetStatement':
        statements.push({ kind: 'target', span: sp, backend: name(tok(c, 'backend')!), options: atoms(nodes(c, 'options')) });
        break;
    }
  }
  const nameTok = tok(header.children, 'name')!;
  return { name: name(nameTok), span: nodeSpan(cst), statements };
}

export { spanBetween };
