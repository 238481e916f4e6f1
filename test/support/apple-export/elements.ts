// Renders the elements of an Apple Health export.xml the way iOS writes them: one element per line,
// attributes in Apple's order, `<` `>` `&` and quotes escaped, dates as "YYYY-MM-DD HH:MM:SS -0500".

export type Attributes = Record<string, string | number | undefined>;

const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' };

export function escapeAttribute(value: string): string {
  return value.replace(/[<>&"]/g, (c) => ESCAPES[c] ?? c);
}

function attributes(attrs: Attributes): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeAttribute(String(value))}"`;
  }
  return out;
}

/** An element with optional children (already rendered lines), indented like iOS does. */
export function element(name: string, attrs: Attributes, children: string[] = [], indent = ' '): string {
  if (children.length === 0) return `${indent}<${name}${attributes(attrs)}/>\n`;
  return `${indent}<${name}${attributes(attrs)}>\n${children.join('')}${indent}</${name}>\n`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Minutes east of UTC -> "-0500" / "+0100". */
export function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** An instant written as Apple writes it: the wearer's wall clock and its offset. */
export function appleDate(epochMs: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${offsetText(offsetMinutes)}`
  );
}

/** The wall-clock time of a beat as HRV metadata writes it: "7:12:01.45 AM". */
export function beatTime(epochMs: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000);
  const h = local.getUTCHours();
  const centis = Math.floor(local.getUTCMilliseconds() / 10);
  return `${h % 12 === 0 ? 12 : h % 12}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(centis)} ${h < 12 ? 'AM' : 'PM'}`;
}

export function localDay(epochMs: number, offsetMinutes: number): string {
  return appleDate(epochMs, offsetMinutes).slice(0, 10);
}

/**
 * The prologue iOS 16+ writes, including its DTD bug: the ATTLIST of `Workout` misses its closing
 * '>', which strict parsers (expat, saxes) reject.
 */
export function prologue(locale: string, exportDate: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
<!ELEMENT WorkoutActivity ((MetadataEntry|WorkoutEvent|WorkoutStatistics)*)>
<!ELEMENT WorkoutEvent (MetadataEntry*)>
<!ATTLIST WorkoutEvent
  type         CDATA #REQUIRED
  date         CDATA #REQUIRED
  duration     CDATA #IMPLIED
  durationUnit CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
]>
<HealthData locale="${locale}">
 <ExportDate value="${exportDate}"/>
`;
}

export const EPILOGUE = '</HealthData>\n';

/** A GPX file as the Health app writes workout routes. */
export function gpx(points: { lat: number; lon: number; ele: number; epochMs: number }[]): string {
  const trkpts = points
    .map(
      (p) =>
        `   <trkpt lon="${p.lon.toFixed(6)}" lat="${p.lat.toFixed(6)}"><ele>${p.ele.toFixed(2)}</ele><time>${new Date(p.epochMs).toISOString().replace('.000', '')}</time><extensions><speed>2.8</speed><course>90.0</course><hAcc>2.0</hAcc><vAcc>1.5</vAcc></extensions></trkpt>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <metadata>
  <time>${new Date(points[0]?.epochMs ?? 0).toISOString()}</time>
 </metadata>
 <trk>
  <name>Route ${new Date(points[0]?.epochMs ?? 0).toISOString()}</name>
  <trkseg>
${trkpts}
  </trkseg>
 </trk>
</gpx>
`;
}
