// Secrets in process: a key id can only name one key (an old key cannot displace the current one),
// decryption demands the full 16-byte GCM tag, and the OAuth state comparison is constant-time
// whatever the lengths (both sides hashed, then compared by timingSafeEqual).
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { sameSecret } from '../cli/oauth.ts';
import { createTokenCipher, generateKeySpec } from '../store/crypto.ts';

// The real node:crypto, with timingSafeEqual observed: the assertion is that it is always reached.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

describe('token cipher keys', () => {
  it('refuses an old key that reuses the current key id with other bytes, naming both variables', () => {
    const current = generateKeySpec('k1');
    const impostor = generateKeySpec('k1');
    expect(() => createTokenCipher(current, [impostor])).toThrow(
      'TOKEN_ENCRYPTION_OLD_KEYS holds a different key with the id "k1" of TOKEN_ENCRYPTION_KEY: every key needs its own id',
    );
    expect(() => createTokenCipher(current, [generateKeySpec('k0'), generateKeySpec('k0')])).toThrow(
      /id "k0" of another old key/,
    );
  });

  it('still reads and writes with the current key when the same key is listed again as old', () => {
    const current = generateKeySpec('k1');
    const before = createTokenCipher(current).encrypt('secret', 'ctx');
    const cipher = createTokenCipher(current, [current, generateKeySpec('k0')]);
    expect(cipher.currentKeyId).toBe('k1');
    expect(cipher.decrypt(before, 'ctx')).toBe('secret');
  });

  it('refuses a ciphertext whose tag was cut short (GCM would accept 4 bytes)', () => {
    const cipher = createTokenCipher(generateKeySpec('k1'));
    const [version, keyId, iv, tag, data] = cipher.encrypt('secret', 'ctx').split(':');
    const short = Buffer.from(tag as string, 'base64')
      .subarray(0, 4)
      .toString('base64');
    for (const cut of [
      short,
      Buffer.from(tag as string, 'base64')
        .subarray(0, 12)
        .toString('base64'),
    ]) {
      expect(() => cipher.decrypt([version, keyId, iv, cut, data].join(':'), 'ctx')).toThrow(
        'not a wearhouse ciphertext (bad tag length)',
      );
    }
    expect(cipher.decrypt([version, keyId, iv, tag, data].join(':'), 'ctx')).toBe('secret');
  });
});

describe('sameSecret', () => {
  it('answers correctly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'a')).toBe(false);
  });

  it('compares equal-length digests in constant time even when the lengths differ', () => {
    const spy = vi.mocked(nodeCrypto.timingSafeEqual);
    spy.mockClear();
    sameSecret('short', 'a much longer secret than that');
    sameSecret('abc', 'abc');
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [left, right] of spy.mock.calls) {
      expect((left as Buffer).length).toBe(32);
      expect((right as Buffer).length).toBe(32);
    }
  });
});
