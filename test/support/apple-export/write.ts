// Writes generated exports to disk: the bare XML, or the zip the Health app shares
// (apple_health_export/<localized name>.xml, export_cda.xml, workout-routes/*.gpx), streamed so a
// 1 GB export never sits in memory.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { type ExportOptions, type ExportStats, emptyStats, exportXmlChunks } from './generate.ts';

export async function writeExportXml(path: string, options: ExportOptions): Promise<ExportStats> {
  const stats = emptyStats();
  await pipeline(Readable.from(exportXmlChunks(options, stats)), createWriteStream(path));
  return stats;
}

export interface ZipOptions {
  /** The export's localized name: export.xml, eksport.xml, exportar.xml, 导出.xml… */
  xmlName?: string;
  /** Store (no compression) makes big bench files quick to write; real exports are deflated. */
  compress?: boolean;
}

const CDA = `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Health Export</title></ClinicalDocument>
`;

export async function writeExportZip(
  path: string,
  options: ExportOptions,
  zip: ZipOptions = {},
): Promise<ExportStats> {
  const stats = emptyStats();
  const xmlName = zip.xmlName ?? 'export.xml';
  const compress = zip.compress ?? true;
  const archive = new yazl.ZipFile();
  const written = pipeline(archive.outputStream, createWriteStream(path));
  // The clinical document comes first and is also XML: an importer must pick the export by content.
  archive.addBuffer(Buffer.from(CDA), `apple_health_export/${xmlName.replace(/\.xml$/, '')}_cda.xml`, {
    compress,
  });
  const xml = Readable.from(exportXmlChunks(options, stats));
  const xmlDone = new Promise<void>((resolve, reject) => {
    xml.once('end', resolve);
    xml.once('error', reject);
  });
  archive.addReadStream(xml, `apple_health_export/${xmlName}`, { compress });
  await xmlDone;
  for (const [route, text] of stats.routes) {
    archive.addBuffer(Buffer.from(text), `apple_health_export${route}`, { compress });
  }
  archive.end();
  await written;
  return stats;
}
