import type { File, Storage } from '@google-cloud/storage';
import { z } from 'zod';
import { checkArtifactPath, checkPrefix, checkRange, compareUtf8, type ArtifactInfo, type ArtifactStore } from './artifact-store';

export interface GcsArtifactStoreOptions {
  /** The bucket's name; a `gs://` form, as Prow's `gcs_configuration.bucket` allows, is accepted. */
  bucket: string;
  /**
   * A directory inside the bucket that this store treats as its root, e.g. `cutwater`. Separate from
   * Prow's `gcs_configuration.path_prefix`, which shared/artifacts/layout.ts puts in job paths.
   */
  pathPrefix?: string;
  /** A configured client; when omitted one is made with Application Default Credentials. */
  storage?: Storage;
  /**
   * Another endpoint, e.g. an emulator's `http://127.0.0.1:4443`. The client then sends no
   * credentials (its `useAuthWithCustomEndpoint` defaults to false), which is what emulators want.
   */
  apiEndpoint?: string;
}

/** The object metadata the store reads; the client types it loosely, and GCS sends numbers as strings. */
const ObjectMetadataSchema = z.object({
  name: z.string(),
  size: z.union([z.string(), z.number()]).optional(),
  contentType: z.string().optional(),
  updated: z.string().optional(),
});

/**
 * Artifacts in a Google Cloud Storage bucket, where Prow's tools (TestGrid, Spyglass, gsutil)
 * read them. Every write is one simple upload: artifacts are small enough that a resumable
 * session's extra round trips and server-side state buy nothing, and a failed write is retried
 * whole by the caller.
 */
export class GcsArtifactStore implements ArtifactStore {
  private readonly bucketName: string;
  private readonly prefix: string;
  private readonly apiEndpoint: string | undefined;
  private storage: Storage | Promise<Storage> | undefined;

  constructor(options: GcsArtifactStoreOptions) {
    this.bucketName = options.bucket.replace(/^gs:\/\//, '').replace(/\/+$/, '');
    if (this.bucketName === '' || this.bucketName.includes('/')) {
      throw new Error(`invalid bucket ${JSON.stringify(options.bucket)}: give the bucket's name, without a path`);
    }
    const pathPrefix = (options.pathPrefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = pathPrefix === '' ? '' : `${checkArtifactPath(pathPrefix)}/`;
    this.apiEndpoint = options.apiEndpoint;
    this.storage = options.storage;
  }

  /**
   * The Storage client costs about 150 ms to load; functions that touch a bucket only on some
   * requests (config snapshots, log pages) should not pay that at every cold start.
   */
  private client(): Storage | Promise<Storage> {
    return (this.storage ??= import('@google-cloud/storage').then(
      ({ Storage: Client }) => (this.storage = new Client(this.apiEndpoint ? { apiEndpoint: this.apiEndpoint } : {})),
    ));
  }

  async write(path: string, content: Buffer | string, options: { contentType?: string } = {}): Promise<void> {
    // Without a content type the client guesses one from the name, as gsutil does.
    await (await this.file(path)).save(content, {
      resumable: false,
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  }

  async read(path: string): Promise<Buffer | undefined> {
    try {
      const [content] = await (await this.file(path)).download();
      return content;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async readRange(path: string, start: number, endExclusive?: number): Promise<Buffer | undefined> {
    checkRange(start, endExclusive);
    const file = await this.file(path);
    if (endExclusive === start) {
      // GCS has no empty range to ask for, so only whether the object exists is left to learn.
      const [exists] = await file.exists();
      return exists ? Buffer.alloc(0) : undefined;
    }
    try {
      // GCS ranges, like HTTP's, end inclusively.
      return await collect(file, { start, ...(endExclusive === undefined ? {} : { end: endExclusive - 1 }) });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return undefined;
      // 416: the object exists but has no bytes from `start` on, e.g. a log nothing was added to.
      if (status === 416) return Buffer.alloc(0);
      throw error;
    }
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    checkPrefix(prefix);
    const [files] = await (await this.client()).bucket(this.bucketName).getFiles({ prefix: this.prefix + prefix, autoPaginate: true });
    return files
      .map((file) => {
        const metadata = ObjectMetadataSchema.parse({ ...file.metadata, name: file.name });
        const info: ArtifactInfo = { path: metadata.name.slice(this.prefix.length), size: Number(metadata.size ?? 0) };
        if (metadata.contentType) info.contentType = metadata.contentType;
        if (metadata.updated) info.updated = new Date(metadata.updated);
        return info;
      })
      .sort((a, b) => compareUtf8(a.path, b.path));
  }

  urlFor(path: string): string {
    return `gs://${this.bucketName}/${this.prefix}${checkArtifactPath(path)}`;
  }

  private async file(path: string): Promise<File> {
    return (await this.client()).bucket(this.bucketName).file(this.prefix + checkArtifactPath(path));
  }
}

function collect(file: File, range: { start: number; end?: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file
      .createReadStream(range)
      .on('data', (chunk: Buffer) => chunks.push(chunk))
      .on('error', reject)
      .on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** The HTTP status of a failed call: the client's ApiError carries it as a numeric `code`. */
function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
