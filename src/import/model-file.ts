// `model NAME by PARTY from "file"`: imports the model file (Keras JSON, TF.js layers or graph
// model), turns it into the DSL's layer block (to-dsl.ts) and checks that block exactly as if
// it had been written inline, so both spellings give the same program.
import { dirname, isAbsolute, join } from 'node:path';
import { type Diagnostic, type SourceFile, type Span, errorAt } from '../diagnostics.js';
import type { Atom, LayerStatement } from '../syntax/ast.js';
import type { Layer, Shape } from '../ir/pipeline.js';
import { formatShape } from '../ir/shapes.js';
import { checkLayers } from '../check/layers.js';
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

export function loadModelFile(
  from: SourceFile,
  path: string,
  span: Span,
  options: Atom[],
  inputShape: Shape,
  diags: Diagnostic[],
): Layer[] | undefined {
  for (const a of options) diags.push(errorAt(a.span, `unexpected argument '${a.text}' after the model file`, { expected: 'end of line' }));
  const loaded = importAsDsl(resolveModelPath(from.path, path), diags, span);
  if (!loaded) return undefined;
  const fileShape = loaded.model.inputShape;
  if (formatShape(fileShape) !== formatShape(inputShape)) {
    diags.push(
      errorAt(span, `the model in '${path}' takes ${formatShape(fileShape)} frames, but the video's frames are ${formatShape(inputShape)}`, {
        expected: formatShape(fileShape),
        found: formatShape(inputShape),
        hints: ['change the video statement to the model\'s frame size (prepare-video resizes frames)'],
      }),
    );
    return undefined;
  }
  return checkLayers(loaded.statements, inputShape, diags);
}
