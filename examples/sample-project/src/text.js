/** Upper-cases the first character of `s`. */
export function capitalize(s) {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

/** `s` with its characters in reverse order (by code point). */
export function reverse(s) {
  return [...s].reverse().join('');
}

/** True when `s` is empty or only whitespace. */
export function isBlank(s) {
  return s.trim().length === 0;
}
