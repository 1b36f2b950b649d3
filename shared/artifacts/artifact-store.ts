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

/** A prefix is "" or a valid path, optionally ending in "/": nothing that could leave the root. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkArtifactPath(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** Offsets must be whole, non-negative and in order; anything else is a caller's bug. */
export function checkRange(start: number, endExclusive: number | undefined): void {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`invalid range start ${start}`);
  if (endExclusive !== undefined && (!Number.isSafeInteger(endExclusive) || endExclusive < start)) {
    throw new RangeError(`invalid range end ${endExclusive} for start ${start}`);
  }
}

/** Object stores order names by their UTF-8 bytes; JavaScript's default sort uses UTF-16 units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
