// The abstract syntax of a .ppvc file: what was written, with spans, before any checking.
import type { Diagnostic, Span } from '../diagnostics.js';

export interface Name {
  text: string;
  span: Span;
}

export interface NumberNode {
  value: number;
  text: string;
  span: Span;
}

/** A loosely-typed argument, interpreted by the checker (layer options, target options...). */
export type Atom =
  | { kind: 'number'; value: number; text: string; span: Span }
  | { kind: 'dims'; value: number[]; text: string; span: Span }
  | { kind: 'word'; text: string; span: Span }
  | { kind: 'string'; value: string; text: string; span: Span }
  | { kind: 'list'; items: NumberNode[]; text: string; span: Span };

export interface PartyStatement {
  kind: 'party';
  span: Span;
  name: Name;
  id: NumberNode;
}

export interface VideoStatement {
  kind: 'video';
  span: Span;
  name: Name;
  shape: NumberNode[];
  shapeSpan: Span;
  owner: Name;
  options: Atom[];
}

export type SelectStatement =
  | { kind: 'select'; mode: 'oblivious'; span: Span; count: NumberNode; chooser: Name }
  | { kind: 'select'; mode: 'public-list'; span: Span; indices: NumberNode[]; listSpan: Span }
  | { kind: 'select'; mode: 'public-every'; span: Span; step: NumberNode };

export interface LayerStatement {
  span: Span;
  label?: Name;
  kind: Name;
  args: Atom[];
}

export interface ModelStatement {
  kind: 'model';
  span: Span;
  name: Name;
  owner: Name;
  layers?: LayerStatement[];
  file?: { path: string; span: Span; options: Atom[] };
}

/**
 * What the model file of `model NAME by PARTY from "file"` stands for, read before the check
 * (import/model-file.ts, the driver's resolve step): its layers as the DSL statements they would
 * be written as, and the frame shape the file expects. `layers` is undefined when the file could
 * not be imported; `diagnostics` say why (or warn).
 */
export interface ModelFileLayers {
  layers?: { statements: LayerStatement[]; inputShape: number[] };
  diagnostics: Diagnostic[];
}

export interface ClassifyStatement {
  kind: 'classify';
  span: Span;
  model: Name;
  options: Atom[];
}

export interface BindingStatement {
  kind: 'binding';
  span: Span;
  name: Name;
  func: Name;
  arg: Name;
}

export interface RevealStatement {
  kind: 'reveal';
  span: Span;
  value: Name;
  parties: Name[];
}

export interface TargetStatement {
  kind: 'target';
  span: Span;
  backend: Name;
  options: Atom[];
}

export type Statement =
  | PartyStatement
  | VideoStatement
  | SelectStatement
  | ModelStatement
  | ClassifyStatement
  | BindingStatement
  | RevealStatement
  | TargetStatement;

export interface PipelineAst {
  name: Name;
  span: Span;
  statements: Statement[];
}
