import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { chmodSync, constants as fsConstants, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, open, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Where local jobs run, and as whom. A job must not be able to read the control plane's secrets
 * (the webhook secret, the session secret, the API token, the store), so:
 *
 * - workspaces live outside the data dir: under `<tmpdir>/cutwater-work-<hash of the data dir>`
 *   unless `--work-dir` says otherwise;
 * - when Cutwater runs as root, jobs run as an unprivileged user (`nobody`), who owns only the
 *   parts of its workspace a pod's volumes would give it (the code, $ARTIFACTS, $HOME) and cannot
 *   enter the data dir (0700) or read its secret files (0600);
 * - a job's environment is built from an allowlist, never copied from Cutwater's own.
 *
 * Not running as root, jobs run as the same user as Cutwater and can read whatever that user can:
 * only the workspace's place and the environment separate them then, and censoring (runner's
 * censor.ts) keeps known secrets out of what gets stored.
 */

/** The user jobs run as. */
export interface JobUser {
  uid: number;
  gid: number;
  name: string;
}

/** `nobody`, when running as root (only root can run processes as another user); undefined otherwise. */
export function defaultJobUser(): JobUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return passwdEntry('nobody') ?? { uid: 65534, gid: 65534, name: 'nobody' };
}

function passwdEntry(name: string): JobUser | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [entryName, , uid, gid] = line.split(':');
      if (entryName === name && uid && gid) return { uid: Number(uid), gid: Number(gid), name };
    }
  } catch {
    // No /etc/passwd: the conventional IDs below stand in.
  }
  return undefined;
}

/** The default work root for a data dir: outside it, and distinct per data dir. */
export function defaultWorkRoot(dataDir: string): string {
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(tmpdir(), `cutwater-work-${hash}`);
}

/**
 * Creates the work root, or checks one that exists: a directory (not a link) of this user's, since
 * under a shared tmpdir anyone could have made it first. Jobs running as another user get to
 * traverse it (0711) to their own workspace, but not to list it.
 */
export function prepareWorkRoot(workRoot: string, jobUser: JobUser | undefined): void {
  mkdirSync(workRoot, { recursive: true, mode: 0o700 });
  const stat = lstatSync(workRoot);
  if (!stat.isDirectory()) throw new Error(`work directory ${workRoot} is not a directory; remove it or choose another --work-dir`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(`work directory ${workRoot} belongs to uid ${stat.uid}, not to this user (uid ${uid}); remove it or choose another --work-dir`);
  }
  chmodSync(workRoot, jobUser ? 0o711 : 0o700);
  if (jobUser) {
    const blocked = untraversableAncestor(workRoot, jobUser);
    if (blocked) {
      throw new Error(
        `jobs run as ${jobUser.name} (uid ${jobUser.uid}), who cannot reach the work directory ${workRoot}: ${blocked} does not let it through; allow it (chmod o+x ${blocked}) or choose another --work-dir`,
      );
    }
  }
}

/** The first directory above `dir` the user may not search, by its mode bits. */
export function untraversableAncestor(dir: string, user: JobUser): string | undefined {
  for (let current = path.dirname(path.resolve(dir)); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const searchBit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & searchBit) === 0) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

/** Where a job's workspace keeps what its pod would keep in volumes. */
export interface LocalWorkspace {
  /** Cutwater's: the job cannot replace what is directly in it. */
  root: string;
  /** The job's; stands in for /home/prow/go: GOPATH, and where refs are cloned. */
  codeRoot: string;
  /** The job's; stands in for /logs/artifacts: $ARTIFACTS. */
  artifacts: string;
  /** Cutwater's, like the directory holding it. */
  buildLog: string;
  cloneLog: string;
  /** The job's: $HOME, for the job and the clone (whose `git config --global` must not touch anyone's own config). */
  home: string;
}

export function localWorkspace(workRoot: string, jobName: string): LocalWorkspace {
  const root = path.join(path.resolve(workRoot), checkJobName(jobName));
  const logs = path.join(root, 'logs');
  return {
    root,
    codeRoot: path.join(root, 'go'),
    artifacts: path.join(logs, 'artifacts'),
    buildLog: path.join(logs, 'build-log.txt'),
    cloneLog: path.join(logs, 'clone-log.txt'),
    home: path.join(root, 'home'),
  };
}

/** Job names become directory names: nothing that could climb out of the work root. */
export function checkJobName(jobName: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/.test(jobName)) {
    throw new Error(`invalid job name ${JSON.stringify(jobName)} for a local workspace`);
  }
  return jobName;
}

/**
 * A fresh workspace. The logs directory stays Cutwater's, so a job cannot swap the build log for
 * a link to a file only Cutwater may read; the directories a pod's volumes would give the job are
 * its own.
 */
export async function prepareWorkspace(workspace: LocalWorkspace, jobUser: JobUser | undefined): Promise<void> {
  await rm(workspace.root, { recursive: true, force: true });
  await mkdir(path.dirname(workspace.buildLog), { recursive: true, mode: 0o755 });
  for (const dir of [workspace.codeRoot, workspace.artifacts, workspace.home]) {
    await mkdir(dir, { mode: 0o755 });
    if (jobUser) await chown(dir, jobUser.uid, jobUser.gid);
  }
}

/** What a job inherits from Cutwater's environment: nothing secret, only what tools need to behave. */
const INHERITED_ENVIRONMENT = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TERM'] as const;

/**
 * The environment every local process of a job starts from. Cutwater's own environment holds
 * GITHUB_TOKEN, WEBHOOK_SECRET, GITHUB_APP_PRIVATE_KEY and the like, so it is never passed on.
 */
export function baseEnvironment(workspace: LocalWorkspace, jobUser: JobUser | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of INHERITED_ENVIRONMENT) {
    const value = env[name];
    if (value !== undefined) inherited[name] = value;
  }
  if (inherited.PATH !== undefined && jobUser) inherited.PATH = reachablePath(inherited.PATH, jobUser);
  return { ...inherited, HOME: workspace.home };
}

/**
 * $PATH without the directories the job user cannot search (root's own, such as /root/.cargo/bin):
 * they hold nothing it could run, and a command looked up through one is reported as "permission
 * denied" instead of "not found".
 */
function reachablePath(searchPath: string, jobUser: JobUser): string {
  return searchPath
    .split(path.delimiter)
    .filter((dir) => {
      if (!path.isAbsolute(dir)) return false;
      try {
        return untraversableAncestor(path.join(dir, 'command'), jobUser) === undefined;
      } catch {
        return false;
      }
    })
    .join(path.delimiter);
}

/** Deeper than any real artifact tree; bounds a walk a job keeps redirecting. */
const MAX_ARTIFACT_DEPTH = 64;

/**
 * The regular files under $ARTIFACTS, relative to it. The job owns that directory and Cutwater
 * may be root, so nothing outside it is read however the job arranges links: files are opened
 * without following a final link, and a file whose real path (what was opened, not what was
 * asked for) is not under $ARTIFACTS is left out.
 */
export async function readArtifacts(artifactsDir: string): Promise<{ path: string; content: Buffer }[]> {
  const realRoot = await realpath(artifactsDir).catch(() => undefined);
  if (!realRoot) return [];
  const found: { path: string; content: Buffer }[] = [];
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_ARTIFACT_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      // Dirent types come from the directory itself: a link is neither, so links are not followed.
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative, depth + 1);
      else if (entry.isFile()) {
        const content = await readContainedFile(path.join(dir, entry.name), realRoot);
        if (content) found.push({ path: relative, content });
      }
    }
  };
  await walk(artifactsDir, '', 0);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function readContainedFile(file: string, realRoot: string): Promise<Buffer | undefined> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO swapped in after the listing would otherwise block the open forever.
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(file));
    if (opened !== realRoot && !opened.startsWith(`${realRoot}${path.sep}`)) return undefined;
    return await handle.readFile();
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
