// Apple Health as a ProviderModule: no environment, no API; the runtime maps export elements
// (the import in providers/apple_health/import.ts streams them out of the file).
import { z } from 'zod';
import type { MappedPage, ProviderModule } from '../types.ts';
import { appleHealthDescriptor } from './descriptor.ts';
import { mapElement, type XmlElement } from './mapping.ts';

export { appleHealthDescriptor } from './descriptor.ts';

/** Maps top-level export elements ({name, attrs, children}); the kind argument is not needed. */
export function mapAppleHealthElements(documents: unknown[]): MappedPage {
  const page: MappedPage = { records: [], quarantined: [] };
  for (const document of documents) {
    const mapped = mapElement(document as XmlElement);
    page.records.push(...mapped.records);
    page.quarantined.push(...mapped.quarantined);
  }
  return page;
}

const envSchema = z.object({});

export const provider: ProviderModule<typeof envSchema> = {
  descriptor: appleHealthDescriptor,
  envSchema,
  // Nothing is requested from Apple: no budget to share.
  budgetFrom: () => ({ perMinute: 1 }),
  createRuntime: () => ({
    descriptor: appleHealthDescriptor,
    mapDocuments: (_kind: string, documents: unknown[]) => mapAppleHealthElements(documents),
  }),
};
