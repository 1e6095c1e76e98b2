// The option keywords of `video` statements and `target` blocks: the checker reads options by
// them (src/check/check.ts), the formatter starts an option group at each (src/format), and
// the editor grammar highlights them (src/editor).
export const VIDEO_OPTION_KEYS: ReadonlySet<string> = new Set(['range']);
export const TARGET_OPTION_KEYS: ReadonlySet<string> = new Set(['protocol', 'ring', 'precision', 'threads', 'trunc', 'budget', 'bound']);
