/**
 * The `YYYYMMDD` UTC date of a Unix timestamp in seconds, computed from the timestamp alone
 * (never a second clock read). Civil-from-days arithmetic (H. Hinnant) avoids a Date object on
 * every call; the last answer is kept because consecutive signatures share a day.
 */
let lastDay = Number.NaN;
let lastDate = '';

export function utcDate(timestampSeconds: number): string {
  const day = Math.floor(timestampSeconds / 86_400);
  if (day === lastDay) return lastDate;
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  lastDay = day;
  lastDate = `${String(y).padStart(4, '0')}${m < 10 ? '0' : ''}${m}${d < 10 ? '0' : ''}${d}`;
  return lastDate;
}
