/**
 * Durations and points in time as people type them on the command line (`gt feed --since 10m`,
 * `gt trace --timeout 30s`). Pure: `now` is always passed in.
 */

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
} as const;

type Unit = keyof typeof UNIT_MS;

const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a duration into milliseconds: a number followed by a unit (`ms`, `s`, `m`, `h`, `d`, `w`),
 * possibly several in a row (`1h30m`) and with decimals (`1.5h`). Returns null for anything else,
 * including a bare number (ambiguous) and a zero duration.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (!DURATION_RE.test(t)) return null;
  let ms = 0;
  for (const m of t.matchAll(PART_RE)) ms += Number(m[1]) * UNIT_MS[m[2] as Unit];
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}

/**
 * Parses `--since`: a duration back from `now` (`90s`, `10m`, `2h`, `1d`, `1h30m`), or an ISO 8601
 * date or date-time (`2026-11-22`, `2026-11-22T09:00:00Z`, `2026-11-22T10:00+01:00`; without a zone
 * it is local time, a bare date is UTC midnight as in JavaScript). Returns null when it is neither.
 */
export function parseSince(text: string, now: Date): Date | null {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms);
  const t = text.trim();
  if (!ISO_DATE_RE.test(t)) return null;
  const at = Date.parse(t);
  return Number.isNaN(at) ? null : new Date(at);
}

/**
 * Parses a timeout: a bare positive integer is milliseconds (`--timeout 5000`), else a duration
 * (`30s`, `2m`). Returns null when it is neither or not positive.
 */
export function parseTimeoutMs(text: string): number | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n > 0 && Number.isSafeInteger(n) ? n : null;
  }
  return parseDuration(t);
}
