// Streams the top-level elements of export.xml (children of <HealthData>) as small trees, in batches,
// each batch with the byte offset just past its last element: a position an import can resume from.
// Parser: htmlparser2 in XML mode, chosen by measurement (bench/apple-health/REPORT.md). Input is
// first repaired by sanitize.ts, which keeps every byte where it was, so offsets are file offsets.
import { StringDecoder } from 'node:string_decoder';
import { Parser } from 'htmlparser2';
import type { XmlElement } from './mapping.ts';

export interface ElementBatch {
  elements: XmlElement[];
  /** Offset in the (uncompressed) XML just past the last element of this batch. */
  endByte: number;
}

export class TruncatedExportError extends Error {
  override name = 'TruncatedExportError';
}

export interface ReadOptions {
  /** Where `input` starts in the XML; > 0 when resuming (then `input` has no prologue). */
  startByte?: number;
  /** Top-level elements per batch. */
  batchElements?: number;
}

const ROOT = 'HealthData';

export async function* readTopLevelElements(
  input: AsyncIterable<Buffer>,
  options: ReadOptions = {},
): AsyncGenerator<ElementBatch> {
  const startByte = options.startByte ?? 0;
  const batchElements = options.batchElements ?? 5_000;
  const stack: XmlElement[] = [];
  let batch: XmlElement[] = [];
  let rootClosed = false;
  let sawRoot = false;
  let failure: Error | undefined;
  // Where the last top-level element completed by the current write ends, in parser chars.
  let lastEndChar = -1;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (stack.length === 0 && !sawRoot) {
          if (name !== ROOT) failure ??= new Error(`not an Apple Health export: root element <${name}>`);
          sawRoot = true;
        }
        stack.push({ name, attrs, children: [] });
      },
      onclosetag(_name, isImplied) {
        const el = stack.pop();
        if (!el) return;
        if (stack.length === 0) {
          if (!isImplied) rootClosed = true;
          return;
        }
        if (stack.length === 1) {
          batch.push(el);
          lastEndChar = parser.endIndex + 1;
        } else stack.at(-1)?.children.push(el);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  let bytes = startByte;
  let lastEndByte = startByte;
  const decoder = new StringDecoder('utf8');
  let totalChars = 0;
  const write = (text: string, byteLength: number) => {
    const startChar = totalChars;
    lastEndChar = -1;
    parser.write(text);
    if (lastEndChar >= startChar) {
      lastEndByte = bytes + Buffer.byteLength(text.slice(0, lastEndChar - startChar));
    }
    totalChars += text.length;
    bytes += byteLength;
  };
  // A resumed read starts between two top-level elements: give the parser its root back.
  if (startByte > 0) {
    sawRoot = true;
    write(`<${ROOT}>`, 0);
  }
  for await (const chunk of input) {
    const text = decoder.write(chunk);
    write(text, Buffer.byteLength(text));
    if (failure) throw failure;
    if (batch.length >= batchElements) {
      yield { elements: batch, endByte: lastEndByte };
      batch = [];
    }
  }
  const rest = decoder.end();
  if (rest) write(rest, Buffer.byteLength(rest));
  if (failure) throw failure;
  if (!rootClosed) {
    // The stream ended inside the document: what is still open (implied closes) is not trusted.
    throw new TruncatedExportError(
      `the export ends early (at byte ${bytes}, inside <${stack.map((e) => e.name).join('><') || ROOT}>): the file is truncated`,
    );
  }
  parser.end();
  yield { elements: batch, endByte: lastEndByte };
}
