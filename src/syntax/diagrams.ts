// Syntax diagrams of the grammar, generated from the parser itself (chevrotain), so the
// published diagrams cannot drift from what the parser accepts.
import { createSyntaxDiagramsCode } from 'chevrotain';
import { ppvcParser } from './parser.js';

export function syntaxDiagramsHtml(): string {
  return createSyntaxDiagramsCode(ppvcParser.getSerializedGastProductions());
}
