const CANONICAL =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d*[1-9])?Z$/;

/**
 * Normalises an RFC 3339 timestamp from any Beads export to UTC, keeping the fractional digits it had
 * (`2025-10-16T20:46:08.971822-07:00` -> `2025-10-17T03:46:08.971822Z`); an all-zero fraction is dropped.
 * Returns null when the text is not a timestamp. JS dates have only milliseconds, so the fraction is
 * carried as text and only the whole seconds go through Date.
 */
export function normalizeTimestamp(text: string): string | null {
  if (CANONICAL.test(text)) return text;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const [, date, time, fraction, zone] = m;
  let offset = zone ?? 'Z';
  if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${date}T${time}${offset.toUpperCase()}`);
  if (Number.isNaN(ms)) return null;
  const whole = new Date(ms).toISOString().slice(0, 19);
  const frac = (fraction ?? '').replace(/0+$/, '');
  return `${whole}${frac === '' ? '' : `.${frac}`}Z`;
}
