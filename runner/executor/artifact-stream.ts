import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/**
 * Reads the artifacts the decorated pod's sidecar printed: a base64 tar between two marker lines
 * (see ARTIFACTS_SCRIPT in pod.ts). Only regular files are taken, under relative paths that
 * cannot climb out of the job's directory.
 */
const START = '--- cutwater artifacts (base64 tar) ---';
const END = '--- end of artifacts ---';

export function sidecarFinishedPrinting(log: string): boolean {
  return log.includes(END);
}

export async function artifactsFromSidecarLog(log: string): Promise<{ path: string; content: Buffer }[]> {
  const start = log.indexOf(START);
  const end = log.indexOf(END, start);
  if (start < 0 || end < 0) return [];
  const archive = Buffer.from(log.slice(start + START.length, end).replace(/\s+/g, ''), 'base64');
  if (archive.length === 0) return [];
  const files: { path: string; content: Buffer }[] = [];
  const unpack = extract();
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('finish', resolve);
    unpack.on('error', reject);
  });
  unpack.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => void chunks.push(Buffer.from(chunk as Uint8Array)));
    stream.on('end', () => {
      const path = header.name.replace(/^\.\//, '');
      if (header.type === 'file' && path && !path.startsWith('/') && !path.split('/').includes('..')) {
        files.push({ path, content: Buffer.concat(chunks) });
      }
      next();
    });
    stream.resume();
  });
  Readable.from([archive]).pipe(unpack);
  await done;
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
