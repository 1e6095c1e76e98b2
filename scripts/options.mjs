// The scripts' command lines: `--name value` options taken out of argv, the rest (model files) left.

/** Takes `--name value` out of `args` (changing it) and returns the value, or `fallback` when absent. */
export function takeOption(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
}
