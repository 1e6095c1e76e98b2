// Syntax diagrams of the grammar, generated from the parser itself (chevrotain), so the
// published diagrams cannot drift from what the parser accepts. Self-contained (no CDN):
// see src/editor/diagrams-offline.ts.
export { offlineSyntaxDiagramsHtml as syntaxDiagramsHtml } from '../editor/diagrams-offline.js';
