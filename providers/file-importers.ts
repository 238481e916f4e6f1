// Providers whose data arrives as a file, by name: the import activity looks the importer up here.
import { appleHealthImporter } from './apple_health/importer.ts';
import type { FileImporter } from './file-import.ts';

export const fileImporters: Readonly<Record<string, FileImporter>> = { apple_health: appleHealthImporter };

/** `wearhouse import <name> --user U FILE`: the provider and the workflow that imports its files. */
export const fileImportSources: Readonly<Record<string, { provider: string; workflowType: string }>> = {
  'apple-health': { provider: 'apple_health', workflowType: 'importAppleHealth' },
};
