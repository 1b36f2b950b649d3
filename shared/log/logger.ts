/**
 * Structured JSON logs, one object per line, in Cloud Logging's shape: `severity`, `message`, and
 * the trace under its special key, so Cloud Logging indexes them without an agent. A child logger
 * carries context (delivery ID, job ID, repository) onto every line it writes.
 *
 * Anything that looks like a credential is masked before it is written, whatever field it is in.
 */
export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const SEVERITY_RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

/** Field names whose values are secrets by definition. */
const SECRET_FIELD = /(secret|token|password|private_?key|authorization|signature)/i;
/** Values that are secrets wherever they appear: GitHub tokens, bearer headers (PEM keys below). */
const SECRET_VALUE = /(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,})/g;
const PEM_BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/g;
const PEM_END = /-----END [A-Z ]*PRIVATE KEY-----/g;

/**
 * PEM private keys, found in one pass: a lazy "BEGIN … END" pattern rescans to the end of the text
 * from every BEGIN, which a hostile text full of BEGINs turns quadratic. A BEGIN with no END after
 * it (a key cut short) is redacted to the end: what there is of it is still the key.
 */
function redactPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let begin = PEM_BEGIN.exec(text); begin; begin = PEM_BEGIN.exec(text)) {
    PEM_END.lastIndex = begin.index + begin[0].length;
    const end = PEM_END.exec(text);
    out += `${text.slice(from, begin.index)}[redacted]`;
    if (!end) return out;
    from = PEM_END.lastIndex;
    PEM_BEGIN.lastIndex = from;
  }
  return out + text.slice(from);
}

export function redact(value: unknown, key = '', depth = 0): unknown {
  if (SECRET_FIELD.test(key) && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (typeof value === 'string') return redactPrivateKeys(value).replace(SECRET_VALUE, '[redacted]');
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message), stack: redact(value.stack ?? '') };
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, '', depth + 1));
  return Object.fromEntries(Object.entries(value).map(([field, inner]) => [field, redact(inner, field, depth + 1)]));
}

export interface LoggerOptions {
  sink?: LogSink;
  minimum?: Severity;
  /** Google Cloud project, to write a trace ID as Cloud Logging's `projects/P/traces/T` form. */
  projectId?: string;
}

export function createLogger(options: LoggerOptions = {}, context: LogFields = {}): Logger {
  const sink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
  const minimum = SEVERITY_RANK[options.minimum ?? 'INFO'];
  const write = (severity: Severity, message: string, fields: LogFields = {}) => {
    if (SEVERITY_RANK[severity] < minimum) return;
    const { trace, ...rest } = { ...context, ...fields };
    const entry: LogFields = { severity, message: redact(message), time: new Date().toISOString() };
    if (typeof trace === 'string' && trace) {
      entry['logging.googleapis.com/trace'] = options.projectId ? `projects/${options.projectId}/traces/${trace}` : trace;
    }
    Object.assign(entry, redact(rest));
    sink(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => write('DEBUG', message, fields),
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARNING', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
    child: (fields) => createLogger(options, { ...context, ...fields }),
  };
}

/** A logger that keeps its entries, for tests and for callers that show logs elsewhere. */
export function memoryLogger(): Logger & { entries: LogFields[] } {
  const entries: LogFields[] = [];
  const logger = createLogger({ sink: (line) => entries.push(JSON.parse(line) as LogFields), minimum: 'DEBUG' });
  return Object.assign(logger, { entries });
}
