// The Apple Health export as a file-import source: open (zip or XML, found by content), then stream
// batches of mapped records from any committed byte offset, with workout routes read from the zip.
import { pipeline } from 'node:stream';
import { contentKey } from '../content-key.ts';
import {
  BadImportFileError,
  type FileImporter,
  type FileImportSource,
  type ImportBatch,
} from '../file-import.ts';
import type { MappedRecord } from '../types.ts';
import { BadExportFileError, type ExportFile, openExport } from './export-file.ts';
import { parseGpx } from './gpx.ts';
import { type MappedElement, mapElement } from './mapping.ts';
import { createSanitizer, NotAnExportError } from './sanitize.ts';
import { readTopLevelElements, TruncatedExportError } from './xml-elements.ts';

function asBadFile(error: unknown): unknown {
  if (
    error instanceof NotAnExportError ||
    error instanceof BadExportFileError ||
    error instanceof TruncatedExportError
  ) {
    return new BadImportFileError(error.message);
  }
  // yauzl's complaints about a damaged archive surface while inflating.
  if (error instanceof Error && /invalid|unexpected end|zip|inflate|incorrect/i.test(error.message)) {
    return new BadImportFileError(`the export cannot be read (damaged or truncated?): ${error.message}`);
  }
  return error;
}

async function routeRecords(file: ExportFile, mapped: MappedElement): Promise<MappedRecord[]> {
  const out: MappedRecord[] = [];
  for (const route of mapped.routes) {
    const text = await file.readRoute(route.path);
    if (text === null) continue;
    const points = parseGpx(text);
    const first = points[0]?.[0];
    out.push({
      kind: 'workout_route',
      sourceId: contentKey(['workout_route', route.workoutSourceId, route.path]),
      startAt: first ? new Date(first) : route.startAt,
      endAt: points.at(-1)?.[0] ? new Date(points.at(-1)?.[0] as string) : null,
      tzOffset: route.tzOffset,
      localDay: route.localDay,
      providerUpdatedAt: null,
      payload: { workout_source_id: route.workoutSourceId, path: route.path, points },
      source: null,
    });
  }
  return out;
}

async function openSource(path: string): Promise<FileImportSource> {
  let file: ExportFile;
  try {
    file = await openExport(path);
  } catch (error) {
    throw asBadFile(error);
  }
  return {
    container: file.container,
    name: file.xmlName,
    totalBytes: file.xmlBytes,
    async *batches(startByte, batchElements) {
      try {
        // pipeline (not pipe): a read error of the zip reaches the parse loop instead of stalling it.
        const xml = pipeline(
          await file.openXml(startByte),
          createSanitizer({ skipPrologue: startByte > 0 }),
          () => {},
        );
        for await (const batch of readTopLevelElements(xml, { startByte, batchElements })) {
          const out: ImportBatch = {
            records: [],
            quarantined: [],
            elements: batch.elements.length,
            attachments: 0,
            endByte: batch.endByte,
          };
          for (const element of batch.elements) {
            const mapped = mapElement(element);
            out.records.push(...mapped.records);
            out.quarantined.push(...mapped.quarantined);
            if (mapped.routes.length) {
              const routes = await routeRecords(file, mapped);
              out.records.push(...routes);
              out.attachments += routes.length;
            }
          }
          yield out;
        }
      } catch (error) {
        throw asBadFile(error);
      }
    },
    close: () => file.close(),
  };
}

export const appleHealthImporter: FileImporter = { open: openSource };
