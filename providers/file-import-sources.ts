// Sources whose data arrives as a file, as plain data (no I/O): workflows and the CLI find the
// provider of an import here; the importers themselves are in providers/file-importers.ts.

export interface FileImportSourceFacts {
  /** Stored in every row's `provider` column. */
  provider: string;
  /** The Temporal workflow type that imports such a file. */
  workflowType: string;
}

/** `wearhouse import <name> --user U FILE` → the source's facts. */
export const fileImportSources: Readonly<Record<string, FileImportSourceFacts>> = {
  'apple-health': { provider: 'apple_health', workflowType: 'importAppleHealth' },
};

/** The source a workflow type imports; throws for a workflow type that imports nothing. */
export function fileImportSourceOf(workflowType: string): FileImportSourceFacts {
  const found = Object.values(fileImportSources).find((s) => s.workflowType === workflowType);
  if (!found) throw new Error(`no file import source for workflow ${workflowType}`);
  return found;
}
