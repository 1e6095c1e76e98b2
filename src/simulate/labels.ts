// Ground-truth labels for batch simulation: a CSV file (video,label) or a rule on file names
// (`prefix`: the label is the file name up to the first '-'), class names from --classes.
import { basename } from 'node:path';
import { UserError } from '../diagnostics.js';
import { readRegularFile, unreadable } from '../util/files.js';
import { stem } from './inputs.js';

/** Parses --classes a,b,c; the count must match the pipeline's classes. */
export function parseClasses(spec: string | undefined, classes: number): string[] | undefined {
  if (spec === undefined) return undefined;
  const names = spec.split(',').map((s) => s.trim());
  if (names.some((n) => n.length === 0)) throw new UserError(`--classes ${spec}: empty class name`);
  if (names.length !== classes) throw new UserError(`--classes names ${names.length} classes; the pipeline has ${classes}`);
  if (new Set(names).size !== names.length) throw new UserError(`--classes ${spec}: a class is named twice`);
  return names;
}

/** A class index from a label: a class name (with --classes), or an index 0 .. classes-1. */
export function classIndex(label: string, classes: number, names: string[] | undefined): number | undefined {
  const l = label.trim();
  if (names) {
    const i = names.findIndex((n) => n.toLowerCase() === l.toLowerCase());
    if (i >= 0) return i;
  }
  if (/^\d+$/.test(l) && Number(l) < classes) return Number(l);
  return undefined;
}

export type LabelSource = { kind: 'csv'; path: string } | { kind: 'prefix' };

export interface Labeller {
  /** The true class of a video (undefined: unlabelled) and the label text it came from. */
  labelOf(videoPath: string): { index?: number; text?: string };
  describe: string;
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

export function makeLabeller(source: LabelSource, classes: number, names: string[] | undefined): Labeller {
  if (source.kind === 'prefix') {
    return {
      describe: "label rule 'prefix' (the file name up to the first '-')",
      labelOf(path) {
        const s = stem(path);
        const dash = s.indexOf('-');
        const text = dash >= 0 ? s.slice(0, dash) : s;
        return { index: classIndex(text, classes, names), text };
      },
    };
  }
  let text: string;
  try {
    text = readRegularFile(source.path).toString('utf8');
  } catch (e) {
    throw unreadable(source.path, e);
  }
  const table = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const cells = splitCsvLine(line);
    if (cells.length < 2 || cells[0]!.length === 0) throw new UserError(`${source.path}:${i + 1}: expected 'video,label', found '${line.slice(0, 60)}'`);
    const [video, label] = cells as [string, string];
    // a header line
    if (table.size === 0 && /^(video|file|filename|name|path)$/i.test(video) && /^(label|class|emotion)$/i.test(label)) return;
    if (classIndex(label, classes, names) === undefined) {
      throw new UserError({
        severity: 'error',
        message: `${source.path}:${i + 1}: label '${label}' is not a class of the pipeline`,
        expected: names ? `one of ${names.join(', ')} or an index 0..${classes - 1}` : `an index 0..${classes - 1} (or class names with --classes)`,
        found: `'${label}'`,
      });
    }
    table.set(basename(video), label);
  });
  return {
    describe: `labels from ${source.path} (${table.size} videos)`,
    labelOf(path) {
      const name = basename(path);
      const label = table.get(name) ?? table.get(stem(path)) ?? [...table.entries()].find(([k]) => stem(k) === stem(path))?.[1];
      return label === undefined ? {} : { index: classIndex(label, classes, names), text: label };
    },
  };
}
