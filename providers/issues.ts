// zod issues as one readable line, for quarantine reasons and error messages: paths and messages
// only, never values (a payload may hold personal data or tokens).
import type { z } from 'zod';

/** "score: Invalid input: expected number, received string; …" */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || 'record'}: ${issue.message}`;
  });
  const more = error.issues.length - max;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}
