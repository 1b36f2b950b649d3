import { pack } from 'tar-stream';

/**
 * What a decorated pod's artifacts container prints (runner/executor/pod.ts): the files as a
 * base64 tar between its markers, for tests that play the pod's part.
 */
export async function sidecarArtifactsLog(files: Record<string, string>): Promise<string> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
  return `--- cutwater artifacts (base64 tar) ---\n${Buffer.concat(chunks).toString('base64')}\n--- end of artifacts ---\n`;
}
