/** Quotes one word for a POSIX shell (single quotes; safe for any content). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A POSIX shell command line that runs `command` with `args` exactly as given. */
export function shellCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuote).join(' ');
}
