import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, type FileHandle, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkArtifactPath, checkPrefix, checkRange, compareUtf8, type ArtifactInfo, type ArtifactStore } from './artifact-store';

/**
 * Artifacts as plain files under a directory, for local mode: the tree is the bucket's tree, so
 * `logs/<job>/<build>/build-log.txt` is a file at that path under the root, readable by any tool.
 *
 * Writes go to a temporary file beside the target and are renamed over it, so a reader (a log
 * streamer, a status page) sees the old object or the new one, never half of one. Temporary files
 * are left out of `list`. Content types are not kept: a file has no place for one.
 *
 * Unlike a bucket, a directory cannot hold both an object `a/b` and an object `a/b/c`; writing the
 * second fails.
 */
export class DiskArtifactStore implements ArtifactStore {
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  async write(artifactPath: string, content: Buffer | string): Promise<void> {
    const target = this.fileFor(artifactPath);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = path.join(path.dirname(target), temporaryName(path.basename(target)));
    try {
      await writeFile(temporary, content);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async read(artifactPath: string): Promise<Buffer | undefined> {
    const file = this.fileFor(artifactPath);
    try {
      return await readFile(file);
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  async readRange(artifactPath: string, start: number, endExclusive?: number): Promise<Buffer | undefined> {
    checkRange(start, endExclusive);
    const file = this.fileFor(artifactPath);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
    try {
      const info = await handle.stat();
      // Opening a directory succeeds on Linux; like a bucket, the store has no object there.
      if (!info.isFile()) return undefined;
      const end = Math.min(endExclusive ?? info.size, info.size);
      if (start >= end) return Buffer.alloc(0);
      const buffer = Buffer.alloc(end - start);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
        // The file shrank while being read (it was replaced): return what there was.
        if (bytesRead === 0) return buffer.subarray(0, filled);
        filled += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    checkPrefix(prefix);
    // Only the directory the prefix names (or is part way into) can hold matching files.
    const lastSlash = prefix.lastIndexOf('/');
    const startDir = lastSlash < 0 ? '' : prefix.slice(0, lastSlash);
    const found: ArtifactInfo[] = [];
    await this.collect(startDir, prefix, found);
    return found.sort((a, b) => compareUtf8(a.path, b.path));
  }

  urlFor(artifactPath: string): string {
    return pathToFileURL(this.fileFor(artifactPath)).href;
  }

  private async collect(relativeDir: string, prefix: string, found: ArtifactInfo[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(this.root, ...splitPath(relativeDir)), { withFileTypes: true });
    } catch (error) {
      if (isAbsent(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where the prefix can still match: `logs/job-1` must not walk `logs/job-2/`.
        if (relative.startsWith(prefix) || prefix.startsWith(`${relative}/`)) await this.collect(relative, prefix, found);
      } else if (entry.isFile() && relative.startsWith(prefix) && !isTemporaryName(entry.name)) {
        const info = await statIfPresent(path.join(this.root, ...splitPath(relative)));
        // Replaced or removed between listing and stat: a listing is a snapshot, not a promise.
        if (info) found.push({ path: relative, size: info.size, updated: info.mtime });
      }
    }
  }

  private fileFor(artifactPath: string): string {
    return path.join(this.root, ...checkArtifactPath(artifactPath).split('/'));
  }
}

const TEMPORARY_NAME = /^\..+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;

function temporaryName(baseName: string): string {
  return `.${baseName}.${randomUUID()}.partial`;
}

function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

function splitPath(relative: string): string[] {
  return relative === '' ? [] : relative.split('/');
}

async function statIfPresent(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

/** No object at the path: nothing there, a directory there, or a file where a directory would be. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
