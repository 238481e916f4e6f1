// Sources that arrive as a file (an Apple Health export): what the generic import activity
// (activities/import-file.ts) needs from them. A source streams mapped records in batches, each ending
// at a byte offset it can later resume from.
import type { MappedRecord, QuarantinedRecord } from './types.ts';

export interface ImportBatch {
  records: MappedRecord[];
  quarantined: QuarantinedRecord[];
  /** Top-level elements (documents) this batch covers. */
  elements: number;
  /** Route files (or other attachments) read into records. */
  attachments: number;
  /** Resume position after this batch. */
  endByte: number;
}

export interface FileImportSource {
  container: string;
  /** The data file's name inside the container (or the path). */
  name: string;
  /** Total bytes `endByte` counts towards (progress and ETA). */
  totalBytes: number;
  batches(startByte: number, batchElements: number): AsyncGenerator<ImportBatch>;
  close(): Promise<void>;
}

export interface FileImporter {
  open(path: string): Promise<FileImportSource>;
}

/** The file is not something this importer can read (wrong file, truncated, damaged): retrying cannot help. */
export class BadImportFileError extends Error {
  override name = 'BadImportFileError';
}
