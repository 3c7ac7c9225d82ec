/** `git push --porcelain` flags of a ref the remote took: fast-forward, forced, new, already there. */
const TAKEN = new Set([' ', '+', '*', '=']);

/**
 * True when the output of `git push --porcelain` reports that the remote now has `ref` at what was
 * pushed to it (one `<flag>\t<src>:<ref>\t<summary>` line per ref, the flag from the remote's own
 * report-status). False when no line says so: a caller that must know asks the remote (`ls-remote`).
 */
export function pushTook(stdout: string, ref: string): boolean {
  for (const line of stdout.split('\n')) {
    const [flag, refs] = line.split('\t');
    if (flag !== undefined && TAKEN.has(flag) && refs?.endsWith(`:${ref}`) === true) return true;
  }
  return false;
}
