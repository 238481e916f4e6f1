// Days and local times for generated documents: a day is a whole number of days since 1970-01-01
// (the wearer's calendar day), and instants are written the way Oura writes LocalizedDateTime:
// 'YYYY-MM-DDTHH:MM:SS+hh:mm' in the wearer's offset.

export const DAY_MS = 86_400_000;

export function dayNumberOf(isoDay: string): number {
  return Math.floor(Date.parse(`${isoDay}T00:00:00Z`) / DAY_MS);
}

export function isoDayOf(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function offsetString(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Epoch ms of `minutes` after local midnight of `dayNumber` (minutes may be negative or past 24 h). */
export function localMs(dayNumber: number, minutes: number, offsetMinutes: number): number {
  return dayNumber * DAY_MS + (minutes - offsetMinutes) * 60_000;
}

/** An instant as a LocalizedDateTime in the given offset, to the second. */
export function localized(ms: number, offsetMinutes: number): string {
  const local = new Date(Math.round(ms / 1000) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  return `${local}${offsetString(offsetMinutes)}`;
}

/** The wearer's calendar day (day number) at an instant. */
export function localDayNumber(ms: number, offsetMinutes: number): number {
  return Math.floor((ms + offsetMinutes * 60_000) / DAY_MS);
}
