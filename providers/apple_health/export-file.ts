// Opens what a user hands us: the export.zip the Health app shares (read in place with yauzl's
// random access, never unpacked to disk) or the bare XML, whatever its localized name. The export is
// found by content (`<!DOCTYPE HealthData` / `<HealthData`), not by name: the zip also holds
// export_cda.xml, and iOS names the export after the phone's language (eksport.xml, 导出.xml).
import { createReadStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import { pipeline, type Readable, Transform } from 'node:stream';
import yauzl from 'yauzl';
import { looksLikeExport, NotAnExportError } from './sanitize.ts';

export interface ExportFile {
  container: 'zip' | 'xml';
  /** The export's name inside the zip, or the file's path. */
  xmlName: string;
  /** Uncompressed size of the XML (progress and ETA are in these bytes). */
  xmlBytes: number;
  /** The raw XML from `startByte` on. */
  openXml(startByte: number): Promise<Readable>;
  /** A workout route by the path the export references ("/workout-routes/route_….gpx"), or null. */
  readRoute(path: string): Promise<string | null>;
  close(): Promise<void>;
}

const SNIFF_BYTES = 64 * 1024;

export class BadExportFileError extends Error {
  override name = 'BadExportFileError';
}

export async function openExport(path: string): Promise<ExportFile> {
  let head: Buffer;
  try {
    const handle = await openFile(path, 'r');
    try {
      head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new BadExportFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004'))) return openZip(path);
  if (!looksLikeExport(head)) {
    throw new NotAnExportError(
      `${path} is not an Apple Health export (neither export.zip nor its export.xml)`,
    );
  }
  const { size } = await stat(path);
  return {
    container: 'xml',
    xmlName: path,
    xmlBytes: size,
    openXml: async (startByte) => createReadStream(path, { start: startByte, highWaterMark: 1 << 20 }),
    readRoute: async () => null,
    close: async () => {},
  };
}

async function openZip(path: string): Promise<ExportFile> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new BadExportFileError(
      `${path} is not a readable zip (truncated or damaged?): ${(error as Error).message}`,
    );
  }
  try {
    const entries = await listEntries(zip);
    const routes = new Map<string, yauzl.Entry>();
    for (const e of entries) {
      const at = e.fileName.indexOf('workout-routes/');
      if (at >= 0) routes.set(e.fileName.slice(at), e);
    }
    let xml: yauzl.Entry | undefined;
    for (const e of entries) {
      if (e.fileName.endsWith('/') || e.fileName.includes('workout-routes/')) continue;
      if (!/\.xml$/i.test(e.fileName)) continue;
      if (looksLikeExport(await readHead(zip, e))) {
        xml = e;
        break;
      }
    }
    if (!xml)
      throw new NotAnExportError(`${path} holds no Apple Health export (no XML with a <HealthData> root)`);
    const entry = xml;
    return {
      container: 'zip',
      xmlName: entry.fileName,
      xmlBytes: entry.uncompressedSize,
      async openXml(startByte) {
        if (entry.compressionMethod === 0 && startByte > 0) {
          return zip.openReadStreamPromise(entry, { start: startByte, end: entry.uncompressedSize } as never);
        }
        // Deflate cannot seek: inflate from the start and drop what was already imported (cheap
        // next to parsing and loading it again).
        const stream = await zip.openReadStreamPromise(entry);
        return startByte > 0 ? pipeline(stream, skipBytes(startByte), () => {}) : stream;
      },
      async readRoute(routePath) {
        const e = routes.get(routePath.replace(/^\/+/, ''));
        if (!e) return null;
        const chunks: Buffer[] = [];
        for await (const chunk of await zip.openReadStreamPromise(e)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
      close: async () => zip.close(),
    };
  } catch (error) {
    zip.close();
    if (error instanceof NotAnExportError) throw error;
    throw new BadExportFileError(
      `${path}: cannot read the zip (truncated or damaged?): ${(error as Error).message}`,
    );
  }
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

async function readHead(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= SNIFF_BYTES) break;
  }
  stream.destroy();
  return Buffer.concat(chunks);
}

function skipBytes(count: number): Transform {
  let left = count;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (left <= 0) return callback(null, chunk);
      if (chunk.length <= left) {
        left -= chunk.length;
        return callback();
      }
      const rest = chunk.subarray(left);
      left = 0;
      callback(null, rest);
    },
  });
}
