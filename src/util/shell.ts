// Shell words for printed commands: what a user pastes must mean what we printed.

/** `s` as one POSIX shell word: as is when it holds only safe characters, else in single quotes. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
