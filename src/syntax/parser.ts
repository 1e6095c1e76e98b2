// The concrete syntax of .ppvc files as a chevrotain CST parser. The grammar is documented
// in grammar/ppvc.ebnf; `ppvc-dsl diagrams` renders these rules as syntax diagrams.
// Statement-specific words (layer names, options, protocols) are parsed generically as
// "atoms" and interpreted by the checker, which gives better messages than a parse error.
import { CstParser, type CstNode } from 'chevrotain';
import * as T from './tokens.js';

export class PpvcParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: 'full' });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.OPTION(() => this.SUBRULE(this.separator));
    this.SUBRULE(this.header);
    this.MANY(() => {
      this.SUBRULE2(this.separator);
      this.OPTION2(() => this.SUBRULE(this.statement));
    });
  });

  separator = this.RULE('separator', () => {
    this.AT_LEAST_ONE(() => this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
  });

  header = this.RULE('header', () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.partyStatement) },
      { ALT: () => this.SUBRULE(this.videoStatement) },
      { ALT: () => this.SUBRULE(this.selectStatement) },
      { ALT: () => this.SUBRULE(this.modelStatement) },
      { ALT: () => this.SUBRULE(this.classifyStatement) },
      { ALT: () => this.SUBRULE(this.revealStatement) },
      { ALT: () => this.SUBRULE(this.targetStatement) },
      { ALT: () => this.SUBRULE(this.bindingStatement) },
    ]);
  });

  // party alice = 0
  partyStatement = this.RULE('partyStatement', () => {
    this.CONSUME(T.Party);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Equals);
    this.CONSUME(T.NumberLiteral, { LABEL: 'id' });
  });

  // video frames: [97, 48, 48, 1] from alice range [0, 1]
  videoStatement = this.RULE('videoStatement', () => {
    this.CONSUME(T.Video);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.list, { LABEL: 'shape' });
    this.CONSUME(T.From);
    this.CONSUME2(T.Identifier, { LABEL: 'owner' });
    this.MANY(() => this.SUBRULE(this.atom, { LABEL: 'options' }));
  });

  // select 7 frames by bob | select public frames [0, 15] | select public every 15
  selectStatement = this.RULE('selectStatement', () => {
    this.CONSUME(T.Select);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.NumberLiteral, { LABEL: 'count' });
          this.CONSUME(T.Frames);
          this.CONSUME(T.By);
          this.CONSUME(T.Identifier, { LABEL: 'chooser' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Public);
          this.OR2([
            {
              ALT: () => {
                this.CONSUME2(T.Frames);
                this.SUBRULE(this.list, { LABEL: 'indices' });
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Every);
                this.CONSUME2(T.NumberLiteral, { LABEL: 'step' });
              },
            },
          ]);
        },
      },
    ]);
  });

  // model cnn by bob { layer... } | model cnn by bob from "model.json"
  modelStatement = this.RULE('modelStatement', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.By);
    this.CONSUME2(T.Identifier, { LABEL: 'owner' });
    this.OR([
      { ALT: () => this.SUBRULE(this.layerBlock) },
      {
        ALT: () => {
          this.CONSUME(T.From);
          this.CONSUME(T.StringLiteral, { LABEL: 'file' });
          this.MANY(() => this.SUBRULE(this.atom, { LABEL: 'options' }));
        },
      },
    ]);
  });

  layerBlock = this.RULE('layerBlock', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.layer) },
      ]),
    );
    this.CONSUME(T.RCurly);
  });

  // [label:] kind atom*   e.g. `conv2d 64 kernel 5x5 valid relu`
  layer = this.RULE('layer', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'label' });
      this.CONSUME(T.Colon);
    });
    this.CONSUME2(T.Identifier, { LABEL: 'kind' });
    this.MANY(() => this.SUBRULE(this.atom, { LABEL: 'args' }));
  });

  // classify each frame with cnn, softmax relu_normalized
  classifyStatement = this.RULE('classifyStatement', () => {
    this.CONSUME(T.Classify);
    this.CONSUME(T.Each);
    this.CONSUME(T.Frame);
    this.CONSUME(T.With);
    this.CONSUME(T.Identifier, { LABEL: 'model' });
    this.MANY(() => this.SUBRULE(this.atom, { LABEL: 'options' }));
  });

  // label = argmax(sum)
  bindingStatement = this.RULE('bindingStatement', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Equals);
    this.CONSUME2(T.Identifier, { LABEL: 'func' });
    this.CONSUME(T.LParen);
    this.CONSUME3(T.Identifier, { LABEL: 'arg' });
    this.CONSUME(T.RParen);
  });

  // reveal label to alice[, bob]
  revealStatement = this.RULE('revealStatement', () => {
    this.CONSUME(T.Reveal);
    this.CONSUME(T.Identifier, { LABEL: 'value' });
    this.CONSUME(T.To);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: 'parties' }) });
  });

  // target mp-spdz { protocol replicated-ring  ring 64  precision 16 31 }
  targetStatement = this.RULE('targetStatement', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: 'backend' });
    this.CONSUME(T.LCurly);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.atom, { LABEL: 'options' }) },
      ]),
    );
    this.CONSUME(T.RCurly);
  });

  atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Dims) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.GluedWord) },
      { ALT: () => this.CONSUME(T.Comma) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  // [1, 2, 3]
  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.NumberLiteral, { LABEL: 'items' }) });
    this.CONSUME(T.RBracket);
  });
}

/** One parser instance is enough: chevrotain parsers are reusable via `input =`. */
export const ppvcParser = new PpvcParser();

export type { CstNode };
