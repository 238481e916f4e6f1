// Parse-only speed of three streaming XML parsers on the same export, each doing what the importer
// needs: every element's name and attributes as a plain object, top-level elements counted. Input
// goes through the same length-preserving repair (providers/apple_health/sanitize.ts) for all three;
// `acceptsRaw` says whether a parser also survives the unrepaired file (DTD bug, \x0b).
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { Parser as HtmlParser } from 'htmlparser2';
import { SAXParser, SaxEventType } from 'sax-wasm';
import { SaxesParser } from 'saxes';
import { createSanitizer } from '../../providers/apple_health/sanitize.ts';

export interface ParseOutcome {
  parser: string;
  topLevel: number;
  elements: number;
  /** Sum of attribute counts: proves attributes were read. */
  attributes: number;
  seconds: number;
  bytes: number;
}

type Sink = (name: string, attrs: Record<string, string>, depth: number) => void;

function source(path: string, sanitize: boolean): Readable {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  return sanitize ? file.pipe(createSanitizer()) : file;
}

async function runSaxes(path: string, sink: Sink, sanitize: boolean): Promise<number> {
  const parser = new SaxesParser({ position: true });
  let depth = 0;
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  parser.on('opentag', (node) => {
    sink(node.name, node.attributes as Record<string, string>, depth);
    if (!node.isSelfClosing) depth++;
  });
  parser.on('closetag', (node) => {
    if (!node.isSelfClosing) depth--;
  });
  let bytes = 0;
  for await (const chunk of source(path, sanitize)) {
    bytes += chunk.length;
    parser.write((chunk as Buffer).toString('utf8'));
    if (failure) throw failure;
  }
  parser.close();
  if (failure) throw failure;
  return bytes;
}

async function runHtmlparser2(path: string, sink: Sink, sanitize: boolean): Promise<number> {
  let depth = 0;
  const parser = new HtmlParser(
    {
      onopentag(name, attrs) {
        sink(name, attrs, depth);
        depth++;
      },
      onclosetag() {
        depth--;
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  let bytes = 0;
  for await (const chunk of source(path, sanitize)) {
    bytes += chunk.length;
    parser.write((chunk as Buffer).toString('utf8'));
  }
  parser.end();
  return bytes;
}

const require = createRequire(import.meta.url);

async function runSaxWasm(path: string, sink: Sink, sanitize: boolean): Promise<number> {
  const parser = new SAXParser(SaxEventType.OpenTag | SaxEventType.CloseTag);
  await parser.prepareWasm(await readFile(require.resolve('sax-wasm/lib/sax-wasm.wasm')));
  let depth = 0;
  parser.eventHandler = (event, detail) => {
    const tag = detail as unknown as {
      name: string;
      selfClosing: boolean;
      attributes: { name: { value: string }; value: { value: string } }[];
    };
    if (event === SaxEventType.OpenTag) {
      const attrs: Record<string, string> = {};
      for (const a of tag.attributes) attrs[a.name.value] = a.value.value;
      sink(tag.name, attrs, depth);
      if (!tag.selfClosing) depth++;
    } else if (event === SaxEventType.CloseTag && !tag.selfClosing) depth--;
  };
  let bytes = 0;
  for await (const chunk of source(path, sanitize)) {
    bytes += chunk.length;
    parser.write(chunk as Buffer);
  }
  parser.end();
  return bytes;
}

export const PARSERS = {
  saxes: runSaxes,
  'sax-wasm': runSaxWasm,
  htmlparser2: runHtmlparser2,
} as const;

export async function measureParser(
  name: keyof typeof PARSERS,
  path: string,
  sanitize = true,
): Promise<ParseOutcome> {
  let topLevel = 0;
  let elements = 0;
  let attributes = 0;
  const started = process.hrtime.bigint();
  const bytes = await PARSERS[name](
    path,
    (_n, attrs, depth) => {
      elements++;
      if (depth === 1) topLevel++;
      for (const _ in attrs) attributes++;
    },
    sanitize,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { parser: name, topLevel, elements, attributes, seconds, bytes };
}

/** Whether the parser gets through the unrepaired file without an error. */
export async function acceptsRaw(name: keyof typeof PARSERS, path: string): Promise<string> {
  try {
    await PARSERS[name](path, () => {}, false);
    return 'yes';
  } catch (error) {
    return `no: ${(error as Error).message.split('\n')[0]?.slice(0, 80)}`;
  }
}
