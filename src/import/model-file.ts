// `model NAME by PARTY from "file"`: imports the model file (Keras JSON, TF.js layers or graph
// model) and turns it into the DSL's layer block (to-dsl.ts), which the check then checks exactly
// as if it had been written inline, so both spellings give the same program.
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostic, SourceFile, Span } from '../diagnostics.js';
import type { LayerStatement, ModelFileLayers, PipelineAst } from '../syntax/ast.js';
import { parseSource } from '../syntax/parse.js';
import { importModelFile, toChannelsLast } from './keras-json.js';
import type { ImportedModel } from './imported-model.js';
import { type DslModel, toDsl } from './to-dsl.js';

export interface LoadedModel {
  model: ImportedModel;
  dsl: DslModel;
  statements: LayerStatement[];
  /** The generated block as a source file, for messages that point into it. */
  text: SourceFile;
}

/** The model file a pipeline names, relative to the pipeline's own directory. */
export function resolveModelPath(pipelinePath: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(pipelinePath), path);
}

/** Imports a model file into DSL layer statements (no check against a pipeline yet). */
export function importAsDsl(path: string, diags: Diagnostic[], span?: Span): LoadedModel | undefined {
  const imported = importModelFile(path);
  const located = (d: Diagnostic): Diagnostic => ({ ...d, span: d.span ?? span });
  diags.push(...imported.diagnostics.map(located));
  if (!imported.model) return undefined;
  const converted = toChannelsLast(imported.model);
  diags.push(...converted.diagnostics.map(located));
  if (!converted.model) return undefined;
  const dsl = toDsl(converted.model);
  const text: SourceFile = {
    path: `${path} (as ppvc)`,
    text: `pipeline imported\nmodel m by p {\n${dsl.lines.map((l) => `  ${l}`).join('\n')}\n}\n`,
  };
  const parsed = parseSource(text);
  if (!parsed.ast) {
    diags.push(...parsed.diagnostics);
    return undefined;
  }
  const m = parsed.ast.statements.find((s) => s.kind === 'model');
  return { model: converted.model, dsl, statements: m && m.kind === 'model' ? (m.layers ?? []) : [], text };
}

/**
 * The resolve step before the check: the layers of the model file a pipeline names (`model NAME
 * by PARTY from "file"`), as DSL statements, with what importing it reported. The check compares
 * the file's frame size with the video's and checks the statements as if written inline, so
 * check/ itself reads no files. Undefined when the model is written inline.
 */
export function resolveModelFile(from: SourceFile, ast: PipelineAst): ModelFileLayers | undefined {
  const m = ast.statements.find((s) => s.kind === 'model');
  if (m?.kind !== 'model' || !m.file) return undefined;
  const diagnostics: Diagnostic[] = [];
  const loaded = importAsDsl(resolveModelPath(from.path, m.file.path), diagnostics, m.file.span);
  return { diagnostics, layers: loaded && { statements: loaded.statements, inputShape: loaded.model.inputShape } };
}
