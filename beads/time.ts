let lastSecond = Number.NaN;
let lastText = '';

/** Timestamps the store writes: RFC 3339, UTC, second precision (`2026-03-10T12:00:00Z`). */
export function formatTimestamp(d: Date): string {
  // toISOString costs a microsecond and a change makes several stamps in the same second.
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    const iso = d.toISOString(); // always ends in `.sssZ`; throws on an invalid date
    lastText = `${iso.slice(0, -5)}Z`;
    lastSecond = second;
  }
  return lastText;
}

/** Milliseconds since the epoch of a stored RFC 3339 timestamp (any offset, any fraction), or NaN. */
export function timestampMs(s: string): number {
  return Date.parse(s);
}

/**
 * Parses a date given on the command line or in an API call: ISO 8601 date (`2026-12-01`, midnight UTC) or
 * date-time with an offset or `Z`. Returns the store's format, or null when it does not parse.
 */
export function parseDateInput(s: string): string | null {
  const text = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return null;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text.replace(' ', 'T');
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : formatTimestamp(new Date(ms));
}
