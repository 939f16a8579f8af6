/** The timeline's dot colours: distinct on white, readable for common colour-vision deficiencies in pairs. */
export const JOB_COLOURS = ['#E65100', '#1976D2', '#2E7D32', '#6A1B9A', '#00838F', '#AD1457', '#5D4037', '#F9A825'] as const;

/**
 * A job's colour on the timeline, from its id alone (FNV-1a, 32 bits): the same job keeps its
 * colour whichever other jobs are enabled, listed or filtered out.
 */
export function jobColour(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return JOB_COLOURS[(hash >>> 0) % JOB_COLOURS.length] ?? JOB_COLOURS[0];
}
