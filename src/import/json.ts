// Untyped JSON from model files, read defensively: every accessor checks the type it
// returns, so a malformed file becomes a diagnostic instead of a TypeError.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json | undefined;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isArray(v: unknown): v is Json[] {
  return Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A JSON value for messages: short, single-line. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** JSON.parse without exceptions. */
export function parseJson(text: string): { value?: Json; error?: string } {
  try {
    return { value: JSON.parse(text) as Json };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
