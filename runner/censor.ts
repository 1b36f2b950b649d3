import type { DecorationConfig } from '../shared/prowjob/schema';
import { compileZglob } from '../shared/go/zglob';

/**
 * Prow's secret censoring (pkg/sidecar/censor.go, pkg/secretutil): every secret value the runner
 * knows is replaced by CENSOR_MASK in build logs and artifacts before they are stored, and so is
 * its base64 encoding. Prow's sidecar does it inside the pod; here the runner does it on the way
 * from the executor to the artifact store, for both executors.
 *
 * What is censored:
 * - the control plane's own secrets (webhook secrets, GitHub token and App key, session secret,
 *   API token…): always, in the build log and in every artifact, whatever the job's config says —
 *   a job's config is written by the people whose jobs might leak them;
 * - the secrets the job's pod references (Kubernetes; Executor.jobSecrets): when the job's
 *   decoration_config says `censor_secrets: true`, as in Prow, following its `censoring_options`.
 */
export const CENSOR_MASK = '*****';

/**
 * Shorter values are never censored: masking every "a" or "1234" in a log would destroy it and
 * protect nothing. Prow skips only empty values (and `minimum_secret_length` raises the bar).
 */
export const MINIMUM_CENSORED_LENGTH = 6;

/** Prow's default censoring_buffer_size: 10 MiB. */
const DEFAULT_BUFFER_BYTES = 10 * 1024 * 1024;
/** Prow's default censoring_concurrency. */
const DEFAULT_CONCURRENCY = 10;

/**
 * The byte strings to mask for some secret values: each value trimmed of surrounding whitespace,
 * its base64 encoding (of the value as given and trimmed; with and without `=` padding, so an
 * encoding that goes on is still found), and each line of a multi-line value such as a PEM key.
 * Values Prow skips (empty, `true`, `false`) and values shorter than `minimumLength` are left out.
 */
export function censoredPatterns(values: Iterable<string | Buffer>, minimumLength = MINIMUM_CENSORED_LENGTH): Buffer[] {
  const floor = Math.max(MINIMUM_CENSORED_LENGTH, minimumLength);
  const patterns = new Map<string, Buffer>();
  const add = (bytes: Buffer) => {
    if (bytes.length >= floor) patterns.set(bytes.toString('base64'), bytes);
  };
  const addWithEncoding = (raw: Buffer) => {
    const trimmed = trimAsciiWhitespace(raw);
    if (trimmed.length < floor || /^(true|false)$/i.test(trimmed.toString('latin1'))) return;
    add(trimmed);
    for (const form of trimmed.equals(raw) ? [raw] : [raw, trimmed]) {
      const encoded = form.toString('base64');
      // Padded, so the mask takes the padding too; unpadded, for an encoding that goes on.
      add(Buffer.from(encoded, 'latin1'));
      add(Buffer.from(encoded.replace(/=+$/, ''), 'latin1'));
    }
  };
  for (const value of values) {
    const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    addWithEncoding(raw);
    const lines = raw.toString('latin1').split(/\r?\n/);
    if (lines.length > 1) for (const line of lines) addWithEncoding(Buffer.from(line, 'latin1'));
  }
  return [...patterns.values()];
}

/** Trimmed byte-wise: a UTF-8 character may end in a byte that Latin-1 reads as a space. */
function trimAsciiWhitespace(bytes: Buffer): Buffer {
  const isSpace = (byte: number | undefined) => byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
  let start = 0;
  let end = bytes.length;
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

/**
 * Masks a set of byte patterns in content of any size, one frame at a time. At each position the
 * longest pattern found there wins, scanning from the start, as if the content were one buffer.
 */
export class Censorer {
  private readonly patterns: Buffer[];
  readonly largestPattern: number;
  private readonly mask = Buffer.from(CENSOR_MASK);

  constructor(patterns: Iterable<Buffer>) {
    // Longest first: at one position, the whole secret rather than a line of it.
    this.patterns = [...patterns].filter((pattern) => pattern.length > 0).sort((a, b) => b.length - a.length);
    this.largestPattern = this.patterns[0]?.length ?? 0;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** A censoring stream: chunks in, censored bytes out, a secret split between chunks included. */
  stream(): CensorStream {
    return new CensorStream(this.patterns, this.largestPattern, this.mask);
  }

  /** Censors whole content by streaming it in frames of `frameBytes` (at least twice the largest secret, as in Prow). */
  censor(content: Buffer | string, frameBytes = DEFAULT_BUFFER_BYTES): Buffer {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (this.empty) return bytes;
    const frame = Math.max(frameBytes, 2 * this.largestPattern, 1);
    const stream = this.stream();
    const out: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += frame) out.push(stream.push(bytes.subarray(offset, offset + frame)));
    out.push(stream.end());
    return Buffer.concat(out);
  }

  censorText(content: string, frameBytes?: number): string {
    return this.censor(content, frameBytes).toString('utf8');
  }
}

/**
 * Streaming censor: keeps back the last (largest pattern − 1) bytes of what it has seen, the most
 * a pattern starting there could still need, so a secret split across chunks is masked whole.
 */
export class CensorStream {
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly patterns: readonly Buffer[],
    private readonly largest: number,
    private readonly mask: Buffer,
  ) {}

  push(chunk: Buffer): Buffer {
    return this.process(Buffer.concat([this.carry, chunk]), false);
  }

  end(): Buffer {
    const rest = this.process(this.carry, true);
    this.carry = Buffer.alloc(0);
    return rest;
  }

  private process(data: Buffer, final: boolean): Buffer {
    // Positions before `decidable` have every pattern's full length after them (or the data is all there is).
    const decidable = final ? data.length : Math.max(0, data.length - (this.largest - 1));
    const out: Buffer[] = [];
    let cursor = 0;
    for (;;) {
      const match = this.firstMatch(data, cursor, decidable);
      if (!match) break;
      out.push(data.subarray(cursor, match.start), this.mask);
      cursor = match.start + match.length;
    }
    const emitEnd = Math.max(cursor, decidable);
    out.push(data.subarray(cursor, emitEnd));
    this.carry = Buffer.from(data.subarray(emitEnd));
    return Buffer.concat(out);
  }

  /** The earliest match starting in [from, before), the longest at that position. */
  private firstMatch(data: Buffer, from: number, before: number): { start: number; length: number } | undefined {
    let best: { start: number; length: number } | undefined;
    for (const pattern of this.patterns) {
      const start = data.indexOf(pattern, from);
      if (start < 0 || start >= before) continue;
      // Patterns come longest first, so an equal start never replaces a longer match.
      if (!best || start < best.start) best = { start, length: pattern.length };
    }
    return best;
  }
}

/** How a job's artifacts are censored: Prow's `censoring_options`, resolved. */
export interface CensoringPlan {
  /** Masks the control plane's secrets and the job's: for the build log and included artifacts. */
  full: Censorer;
  /** Masks the control plane's secrets only: for artifacts the job's options leave out. */
  controlPlaneOnly: Censorer;
  /** Prow's censoring_buffer_size: bytes per frame. */
  bufferBytes: number;
  /** Prow's censoring_concurrency: artifacts censored (and stored) at once. */
  concurrency: number;
  /** Whether an artifact (path relative to $ARTIFACTS) gets the job's secrets censored. */
  includesArtifact(path: string): boolean;
}

/**
 * The censoring for one job: the control plane's secrets always; the job's own secrets when its
 * decoration_config sets censor_secrets, in the files its censoring_options include
 * (include_directories and exclude_directories are go-zglob patterns matched against the path
 * relative to $ARTIFACTS, exclusions winning), if at least minimum_secret_length long.
 */
export function censoringPlan(
  decoration: DecorationConfig | undefined,
  controlPlaneSecrets: readonly (string | Buffer)[],
  jobSecrets: readonly (string | Buffer)[],
): CensoringPlan {
  const options = decoration?.censoring_options;
  const controlPlanePatterns = censoredPatterns(controlPlaneSecrets);
  const jobPatterns = decoration?.censor_secrets === true ? censoredPatterns(jobSecrets, options?.minimum_secret_length ?? 0) : [];
  const include = (options?.include_directories ?? []).map(compileZglob);
  const exclude = (options?.exclude_directories ?? []).map(compileZglob);
  const positive = (value: number | undefined, fallback: number) => (value !== undefined && value > 0 ? value : fallback);
  return {
    full: new Censorer([...controlPlanePatterns, ...jobPatterns]),
    controlPlaneOnly: new Censorer(controlPlanePatterns),
    bufferBytes: positive(options?.censoring_buffer_size, DEFAULT_BUFFER_BYTES),
    concurrency: positive(options?.censoring_concurrency, DEFAULT_CONCURRENCY),
    includesArtifact: (path) => {
      if (exclude.some((matches) => matches(path))) return false;
      return include.length === 0 || include.some((matches) => matches(path));
    },
  };
}
