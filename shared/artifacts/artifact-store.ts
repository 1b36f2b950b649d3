/**
 * Where job logs and artifacts go, in Prow's GCS layout so tools that read Prow results (TestGrid,
 * Spyglass, our status pages) read ours: GCS in the cloud (shared/artifacts/gcs.ts), a directory
 * in local mode (shared/artifacts/disk.ts); both pass test/contract/artifact-store.contract.ts.
 *
 * Paths are relative to the store's root ("bucket"), with "/" separators, e.g.
 * `pr-logs/pull/acme_widgets/7/pull-widgets-unit/1790000000000000000/build-log.txt`.
 */
export interface ArtifactInfo {
  path: string;
  size: number;
  contentType?: string;
  updated?: Date;
}

export interface ArtifactStore {
  /** Writes (or replaces) a whole object. */
  write(path: string, content: Buffer | string, options?: { contentType?: string }): Promise<void>;
  /** Undefined when there is no such object. */
  read(path: string): Promise<Buffer | undefined>;
  /** Reads a byte range, for streaming a growing log; undefined when there is no such object. */
  readRange(path: string, start: number, endExclusive?: number): Promise<Buffer | undefined>;
  /** Every object whose path starts with `prefix` (a directory prefix should end with "/"), sorted by path. */
  list(prefix: string): Promise<ArtifactInfo[]>;
  /** A URL a browser can open (gs:// or a local file URL), for links in reports. */
  urlFor(path: string): string;
}

/** Rejects paths that could escape the store's root or address nothing. */
export function checkArtifactPath(path: string): string {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`invalid artifact path ${JSON.stringify(path)}: use a relative path with "/" separators`);
  }
  return path;
}
