// The lexical grammar of .ppvc files. Statements are line-oriented: a newline (or `;`)
// ends a statement, `#` starts a comment. Keywords are "soft": they also count as
// identifiers, so `video frames: [...]` may name its input `frames`.
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f\v]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: 'comments' });
export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true });
/** A JSON string literal (so that its value is exactly what JSON.parse makes of it). */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/ });
/** A size such as `5x5` or `2x3x1`. */
export const Dims = createToken({ name: 'Dims', pattern: /\d+(?:x\d+)+(?![A-Za-z0-9_])/ });
/** A number glued to letters (`3pc`, `5x5a`): one word, so that messages quote it whole. */
export const GluedWord = createToken({
  name: 'GluedWord',
  // not a number in scientific notation (1e-3). The lookahead's mantissa is `\d+(?:\.\d*)?`, not
  // the equivalent `\d+\.?\d*`: that one splits a digit run two ways and backtracks quadratically
  // (100,000 digits took 30 s).
  pattern: /(?!\d+(?:\.\d*)?[eE][-+]?\d+(?![A-Za-z0-9_]))\d[\d.]*[A-Za-z_][A-Za-z0-9_-]*/,
});
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?/,
});
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/ });

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(`${word}(?![A-Za-z0-9_-])`),
    longer_alt: Identifier,
    categories: [Identifier],
  });
}

export const Pipeline = keyword('pipeline');
export const Party = keyword('party');
export const Video = keyword('video');
export const From = keyword('from');
export const Select = keyword('select');
export const Frames = keyword('frames');
export const By = keyword('by');
export const Public = keyword('public');
export const Every = keyword('every');
export const Model = keyword('model');
export const Classify = keyword('classify');
export const Each = keyword('each');
export const Frame = keyword('frame');
export const With = keyword('with');
export const Reveal = keyword('reveal');
export const To = keyword('to');
export const Target = keyword('target');

export const keywords = [
  Pipeline, Party, Video, From, Select, Frames, By, Public, Every, Model, Classify, Each, Frame, With, Reveal, To, Target,
];

export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
export const LCurly = createToken({ name: 'LCurly', pattern: /{/ });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Newline,
  StringLiteral,
  Dims,
  GluedWord,
  NumberLiteral,
  ...keywords,
  Identifier,
  Equals,
  Colon,
  Semicolon,
  Comma,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  LParen,
  RParen,
];

export const ppvcLexer = new Lexer(allTokens, { ensureOptimizations: false, positionTracking: 'full' });
