// Providers whose data arrives as a file, by name: the import activity looks the importer up here.
import { appleHealthImporter } from './apple_health/importer.ts';
import type { FileImporter } from './file-import.ts';

export const fileImporters: Readonly<Record<string, FileImporter>> = { apple_health: appleHealthImporter };
