// Tokens at rest: AES-256-GCM with a key id in every ciphertext, so keys can rotate
// (`wearhouse rotate-key`): new writes use the current key, reads accept any configured key.
// Each ciphertext is bound to its row and column (additional authenticated data), so a
// ciphertext copied into another connection's row does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface TokenCipher {
  readonly currentKeyId: string;
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
  keyIdOf(ciphertext: string): string;
}

/** GCM's full 128-bit tag: written by encrypt, and the only length decrypt accepts. */
const AUTH_TAG_BYTES = 16;

interface Key {
  id: string;
  bytes: Buffer;
}

/** `spec` is "<keyId>:<base64 32 bytes>" or just the base64 (its id is then derived from the key). */
export function parseKey(spec: string): Key {
  const trimmed = spec.trim();
  const separator = trimmed.lastIndexOf(':');
  const encoded = separator >= 0 ? trimmed.slice(separator + 1) : trimmed;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== 32) throw new Error('a token encryption key must be 32 bytes in base64');
  const id =
    separator >= 0
      ? trimmed.slice(0, separator)
      : `k${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error('a key id may hold letters, digits, _ and - only');
  return { id, bytes };
}

export function generateKeySpec(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** The current key, plus older keys still accepted for reading (TOKEN_ENCRYPTION_OLD_KEYS, comma-separated). */
export function createTokenCipher(currentKeySpec: string, oldKeySpecs: string[] | string = []): TokenCipher {
  if (typeof oldKeySpecs === 'string') oldKeySpecs = oldKeySpecs.split(',');
  const current = parseKey(currentKeySpec);
  const keys = new Map<string, Key>([[current.id, current]]);
  for (const old of oldKeySpecs.filter((spec) => spec.trim() !== '').map(parseKey)) {
    const known = keys.get(old.id);
    if (known && !known.bytes.equals(old.bytes)) {
      // Letting it win would make every token under the real key undecryptable; letting it lose
      // would silently ignore configuration. Either way the operator must fix the ids.
      throw new Error(
        `TOKEN_ENCRYPTION_OLD_KEYS holds a different key with the id "${old.id}" of ${
          known === current ? 'TOKEN_ENCRYPTION_KEY' : 'another old key'
        }: every key needs its own id`,
      );
    }
    if (!known) keys.set(old.id, old);
  }
  return {
    currentKeyId: current.id,
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.bytes, iv);
      cipher.setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        'v1',
        current.id,
        iv.toString('base64'),
        cipher.getAuthTag().toString('base64'),
        data.toString('base64'),
      ].join(':');
    },
    decrypt(ciphertext, context) {
      const [version, keyId, iv, tag, data] = ciphertext.split(':');
      if (version !== 'v1' || !keyId || !iv || !tag || data === undefined)
        throw new Error('not a wearhouse ciphertext');
      const key = keys.get(keyId);
      if (!key) throw new Error(`token was encrypted with key "${keyId}", which is not configured`);
      const authTag = Buffer.from(tag, 'base64');
      // GCM accepts tags down to 4 bytes unless told otherwise; a short tag is far easier to forge.
      if (authTag.length !== AUTH_TAG_BYTES) throw new Error('not a wearhouse ciphertext (bad tag length)');
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64'), {
        authTagLength: AUTH_TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(authTag);
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    },
    keyIdOf(ciphertext) {
      return ciphertext.split(':')[1] ?? '';
    },
  };
}
