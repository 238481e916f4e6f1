// Makes an Apple Health export.xml acceptable to a strict XML parser WITHOUT changing its length,
// so that every byte offset a parser reports is also an offset in the original file (the import
// resumes from such offsets). Two repairs (docs/apple-health.md):
//  - the internal DTD subset `<!DOCTYPE HealthData [ … ]>` is blanked: since iOS 16 it is malformed
//    (an ATTLIST misses its '>'), and nothing in it is needed;
//  - control characters XML 1.0 forbids (U+0000–U+001F except tab, LF, CR; iOS writes \x0b in device
//    and source names) become spaces. In UTF-8 these bytes never occur inside a multi-byte character,
//    so replacing bytes is safe.
import { Transform, type TransformCallback } from 'node:stream';

/** How much of the file may precede the root element before we call it "not an export". */
const MAX_PROLOGUE_BYTES = 4 * 1024 * 1024;

const FORBIDDEN = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) if (b !== 0x09 && b !== 0x0a && b !== 0x0d) FORBIDDEN[b] = 1;

/** Replaces forbidden control bytes by spaces, in place. Returns how many it replaced. */
export function blankForbiddenBytes(chunk: Uint8Array): number {
  let replaced = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (FORBIDDEN[chunk[i] as number]) {
      chunk[i] = 0x20;
      replaced++;
    }
  }
  return replaced;
}

/**
 * Blanks the internal subset of the prologue (bytes up to the root element), in place. Returns the
 * offset where the root element starts, or -1 if the prologue has no `<HealthData` yet.
 */
export function blankInternalSubset(prologue: Buffer): number {
  const root = prologue.indexOf('<HealthData');
  if (root < 0) return -1;
  const doctype = prologue.indexOf('<!DOCTYPE');
  if (doctype >= 0 && doctype < root) {
    const open = prologue.indexOf('[', doctype);
    const close = prologue.lastIndexOf(']', root);
    if (open >= 0 && open < root && close > open) prologue.fill(0x20, open, close + 1);
  }
  return root;
}

export class NotAnExportError extends Error {
  override name = 'NotAnExportError';
}

/** True when the start of a file is an Apple Health export (what an importer sniffs by content). */
export function looksLikeExport(head: Buffer): boolean {
  const text = head.toString('utf8');
  return /<!DOCTYPE\s+HealthData|<HealthData[\s>]/.test(text);
}

/**
 * A stream that repairs an export as above. `skipPrologue` is for a resumed read that starts in the
 * middle of the file: there is no prologue to look for.
 */
export function createSanitizer(options: { skipPrologue?: boolean } = {}): Transform {
  let inPrologue = !options.skipPrologue;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      blankForbiddenBytes(chunk);
      if (!inPrologue) return callback(null, chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      const head = Buffer.concat(pending);
      const root = blankInternalSubset(head);
      if (root < 0) {
        if (pendingBytes > MAX_PROLOGUE_BYTES || (pendingBytes > 4096 && !looksLikeExport(head))) {
          return callback(new NotAnExportError('not an Apple Health export: no <HealthData> root element'));
        }
        return callback();
      }
      inPrologue = false;
      pending = [];
      callback(null, head);
    },
    flush(callback) {
      if (inPrologue) {
        return callback(new NotAnExportError('not an Apple Health export: no <HealthData> root element'));
      }
      callback();
    },
  });
}
