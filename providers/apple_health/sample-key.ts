// The source_id of one HealthKit sample (a `record`), as the export importer has always derived it:
// a content key (providers/content-key.ts) of its type, source, unit, value as written, and its
// instants. Health Auto Export's pushes use it too wherever they carry a whole sample (a sleep stage:
// type, source, stage, start and end), so the same stage pushed by the app and found again in an
// export.xml is one row (docs/apple-health.md, "Keys shared with Health Auto Export").
import { contentKey } from '../content-key.ts';

export interface SampleIdentity {
  type: string;
  sourceName: string | null;
  unit: string | null;
  /** The value as the export writes it (`value="…"`): a category label, or a number's text. */
  value: string | null;
  start: Date;
  end: Date;
}

export function sampleKey(sample: SampleIdentity): string {
  return contentKey([
    'record',
    sample.type,
    sample.sourceName,
    sample.unit,
    sample.value,
    sample.start.getTime(),
    sample.end.getTime(),
  ]);
}
