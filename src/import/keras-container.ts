// The wrappers a Keras architecture arrives in, peeled off down to the model's
// {class_name, config}: plain to_json() objects, JSON strings holding that JSON (written by
// json.dump(model.to_json())), TF.js layers-model files (modelTopology.model_config, or an
// old tfjs-layers save whose modelTopology is the model itself), bare get_config() dicts,
// and Keras 3's {module, class_name, config, registered_name, build_config} objects.
import type { Diagnostic } from '../diagnostics.js';
import { type Json, type JsonObject, isArray, isObject, parseJson, str } from './json.js';
import type { ModelFormat } from './imported-model.js';
import { fileError } from './messages.js';

export const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'] as const;

export interface KerasRoot {
  kind: 'keras';
  format: ModelFormat;
  kerasVersion?: string;
  className: string;
  config: Json | undefined;
  /** Keras 3's top-level build_config.input_shape (with the batch axis), a last-resort input shape. */
  buildInputShape?: Json;
  /** TF.js layers models: the weight names of the weightsManifest (`layer/kernel`, ...). */
  weightNames?: string[];
}

export interface GraphRoot {
  kind: 'tfjs-graph';
  json: JsonObject;
}

export function isModelClass(className: string | undefined): boolean {
  return className !== undefined && (MODEL_CLASSES as readonly string[]).includes(className);
}

/** Parses the text and finds the model inside; undefined (with a diagnostic) if there is none. */
export function unwrapContainer(text: string, file: string, diags: Diagnostic[]): KerasRoot | GraphRoot | undefined {
  const parsed = parseJson(text);
  if (parsed.error !== undefined) {
    diags.push(fileError(file, `not valid JSON: ${parsed.error}`));
    return undefined;
  }
  let value = parsed.value;
  let format: ModelFormat = 'keras-json';
  if (typeof value === 'string') {
    // json.dump(model.to_json()) writes the JSON as one string: decode it once more.
    const inner = parseJson(value);
    if (inner.error !== undefined) {
      diags.push(fileError(file, `the file is a JSON string, but the string is not JSON: ${inner.error}`));
      return undefined;
    }
    value = inner.value;
    format = 'keras-json-double-encoded';
  }
  if (!isObject(value)) {
    diags.push(fileError(file, `expected a JSON object describing a model, found ${describe(value)}`));
    return undefined;
  }

  if ('modelTopology' in value) {
    const topo = value['modelTopology'];
    if (value['format'] === 'graph-model' || (isObject(topo) && isArray(topo['node']))) return { kind: 'tfjs-graph', json: value };
    if (!isObject(topo)) {
      diags.push(fileError(file, `TF.js model.json without a model topology (modelTopology is ${describe(topo)}): it only lists weights`));
      return undefined;
    }
    const kerasVersion = str(topo['keras_version']);
    // Converter output nests the model in model_config; old tfjs-layers saves do not.
    const model = isObject(topo['model_config']) ? topo['model_config'] : topo;
    const root = fromModelObject(model, file, 'tfjs-layers', kerasVersion, diags);
    if (root) root.weightNames = manifestNames(value['weightsManifest']);
    return root;
  }
  if (isArray(value['node'])) return { kind: 'tfjs-graph', json: value };
  if ('class_name' in value) return fromModelObject(value, file, format, str(value['keras_version']), diags);
  if (isArray(value['layers'])) {
    // model.get_config(): the config without its {class_name, config} wrapper.
    const className = 'input_layers' in value ? 'Functional' : 'Sequential';
    return { kind: 'keras', format: 'keras-get-config', className, config: value };
  }
  diags.push(
    fileError(file, 'not a Keras model: expected {"class_name", "config"} (model.to_json()), a TF.js model.json with "modelTopology", or a get_config() dict with "layers"'),
  );
  return undefined;
}

function fromModelObject(obj: JsonObject, file: string, format: ModelFormat, kerasVersion: string | undefined, diags: Diagnostic[]): KerasRoot | undefined {
  const className = str(obj['class_name']);
  if (className === undefined) {
    diags.push(fileError(file, `the model has no "class_name" (found ${describe(obj['class_name'])})`));
    return undefined;
  }
  if (!isModelClass(className)) {
    diags.push(
      fileError(file, `the top-level object is a '${className}', not a model`, [`expected one of ${MODEL_CLASSES.join(', ')}`]),
    );
    return undefined;
  }
  const build = obj['build_config'];
  return {
    kind: 'keras',
    format,
    kerasVersion,
    className,
    config: obj['config'],
    buildInputShape: isObject(build) ? build['input_shape'] : undefined,
  };
}

function manifestNames(manifest: Json | undefined): string[] | undefined {
  if (!isArray(manifest)) return undefined;
  const names = manifest.flatMap((g) => (isObject(g) && isArray(g['weights']) ? g['weights'] : []));
  return names.flatMap((w) => (isObject(w) && typeof w['name'] === 'string' ? [w['name']] : []));
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  if (v === undefined) return 'nothing';
  return `${typeof v} ${String(v)}`;
}
