// Health Auto Export writes dates as "yyyy-MM-dd HH:mm:ss Z" ("2024-02-06 14:30:00 -0800"), in the
// phone's zone; newer versions may send ISO 8601. Both keep the wearer's offset, which gives the
// record's local day without a timezone database.

const pattern = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2})(\.\d{1,9})?)?\s?(Z|[+-]\d{2}:?\d{2})$/;

export const HAE_DATE_MESSAGE = 'must be a date like "2024-02-06 14:30:00 -0800"';

export interface HaeInstant {
  at: Date;
  /** '+hh:mm', '-hh:mm' or 'Z'. */
  offset: string;
  /** The calendar date as the phone showed it. */
  localDay: string;
}

export function parseHaeDate(text: string): HaeInstant | undefined {
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const [, day = '', hm = '', seconds = '00', fraction = '', zone = ''] = match;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const at = new Date(`${day}T${hm}:${seconds}${fraction}${offset}`);
  if (Number.isNaN(at.getTime())) return undefined;
  return { at, offset, localDay: day };
}

export const isHaeDate = (text: string) => parseHaeDate(text) !== undefined;
