import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';

/**
 * JUnit XML results, as Spyglass's junit lens reads them: the shapes go-junit-report, pytest,
 * Maven Surefire, Jest/Vitest reporters and Bazel write. Pure: text in, results out.
 */

export type JUnitStatus = 'passed' | 'failed' | 'skipped';

export interface JUnitCase {
  /** The name of the innermost suite holding the case. */
  suite: string;
  classname?: string;
  name: string;
  durationSeconds?: number;
  status: JUnitStatus;
  /** The failure's, error's or skip's `message` attribute. */
  message?: string;
  /** Failure and error text, then the case's system-out and system-err; at most `MAX_OUTPUT_BYTES`. */
  output?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
  durationSeconds?: number;
}

export interface JUnitSummary {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  /**
   * The suites' times added up, a suite without one counting its cases' times. Suites that ran in
   * parallel add up to more than the wall time, as in Spyglass.
   */
  durationSeconds: number;
  /** Failed cases, in file order. */
  failures: (JUnitCase & { file: string })[];
  /** Every case: failed, then passed, then skipped, each in file order. */
  all: (JUnitCase & { file: string })[];
}

export class JUnitParseError extends Error {
  override readonly name = 'JUnitParseError';
}

/** A case's output is cut to this many UTF-8 bytes, keeping its start and its end. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Prow has no built-in pattern for the junit lens (it comes from `deck.spyglass.lenses`); this is
 * the one Kubernetes' Prow uses, `^artifacts(/.*\/|/)junit.*\.xml$`: a file anywhere under the run's
 * `artifacts/` whose name starts with `junit` and ends `.xml`. Case-sensitive, as Go's regexp is.
 * `path` is relative to the run's directory.
 */
const JUNIT_FILE = /^artifacts(\/.*\/|\/)junit.*\.xml$/;

export function isJUnitFile(path: string): boolean {
  return JUNIT_FILE.test(path);
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));/g;

/**
 * XML's five named entities and character references, nothing else: entities a DOCTYPE declares
 * are never expanded, so a billion-laughs document stays the size it is. (fast-xml-parser's own
 * decoder only decodes numeric references when HTML entities are on, and go-junit-report writes
 * newlines as `&#xA;`.)
 */
const xmlOnlyDecoder: EntityDecoderOptions = {
  setExternalEntities: () => {},
  addInputEntities: () => {},
  reset: () => {},
  setXmlVersion: () => {},
  decode: (text) =>
    text.includes('&')
      ? text.replace(REFERENCE, (reference, hex: string | undefined, decimal: string | undefined, named: string | undefined) => {
          if (named) return XML_ENTITIES[named] ?? reference;
          const codePoint = hex ? Number.parseInt(hex, 16) : Number(decimal);
          return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : reference;
        })
      : text,
};

const REPEATED = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped', 'system-out', 'system-err']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  // Names, messages and output are text: "1.0" must not become 1, nor output lose its indentation.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  alwaysCreateTextNode: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  entityDecoder: xmlOnlyDecoder,
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && REPEATED.has(name),
});

type XmlElement = Record<string, unknown>;

export function parseJUnit(xml: string): JUnitSuite[] {
  // A byte-order mark or a blank line before the declaration is common and harmless.
  const text = xml.replace(/^\uFEFF/, '').trimStart();
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new JUnitParseError(`not well-formed XML: line ${line}${col ? `, column ${col}` : ''}: ${msg}`);
  }
  let document: XmlElement;
  try {
    document = parser.parse(text) as XmlElement;
  } catch (error) {
    throw new JUnitParseError(`cannot read the XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const roots = Object.keys(document);
  if (roots.length === 0) throw new JUnitParseError('no root element: the document is empty');
  const suites: JUnitSuite[] = [];
  if (roots.includes('testsuites')) {
    for (const root of elements(document, 'testsuites')) collectSuites(root, '', suites);
  } else if (roots.includes('testsuite')) {
    for (const suite of elements(document, 'testsuite')) collectSuite(suite, '', suites);
  } else {
    throw new JUnitParseError(`the root element is <${roots[0]}>, not <testsuites> or <testsuite>: not a JUnit report`);
  }
  return suites;
}

/** Suites nest (Bazel, JUnit 5 nested classes); each becomes a suite of its own, in document order of nesting. */
function collectSuites(parent: XmlElement, parentName: string, into: JUnitSuite[]): void {
  for (const suite of elements(parent, 'testsuite')) collectSuite(suite, parentName, into);
}

function collectSuite(element: XmlElement, parentName: string, into: JUnitSuite[]): void {
  const name = attribute(element, 'name') || parentName;
  const cases = elements(element, 'testcase').map((testcase) => parseCase(testcase, name));
  const suite: JUnitSuite = { name, cases };
  const duration = seconds(attribute(element, 'time'));
  if (duration !== undefined) suite.durationSeconds = duration;
  // A suite that only groups others has nothing to show of its own.
  if (cases.length > 0 || elements(element, 'testsuite').length === 0) into.push(suite);
  collectSuites(element, name, into);
}

function parseCase(element: XmlElement, suite: string): JUnitCase {
  const failures = [...elements(element, 'failure'), ...elements(element, 'error')];
  const skips = elements(element, 'skipped');
  // As Prow's lens: a skip wins over a failure (pytest reports an expected failure as skipped).
  const status: JUnitStatus = skips.length > 0 ? 'skipped' : failures.length > 0 ? 'failed' : 'passed';
  const testCase: JUnitCase = { suite, name: attribute(element, 'name') ?? '', status };
  const classname = attribute(element, 'classname');
  if (classname) testCase.classname = classname;
  const duration = seconds(attribute(element, 'time'));
  if (duration !== undefined) testCase.durationSeconds = duration;
  const message = (status === 'skipped' ? skips : failures).map((reason) => attribute(reason, 'message')).find((text) => text);
  if (message) testCase.message = message;
  const output = [
    ...failures.map(text),
    ...(status === 'skipped' ? skips.map(text) : []),
    ...labelled('system-out', elements(element, 'system-out')),
    ...labelled('system-err', elements(element, 'system-err')),
  ].filter((part) => part.trim() !== '');
  if (output.length > 0) testCase.output = limitOutput(output.join('\n\n'));
  return testCase;
}

function labelled(label: string, streams: XmlElement[]): string[] {
  return streams.map(text).filter((part) => part.trim() !== '').map((part) => `${label}:\n${part}`);
}

/** Seconds as tools write them: "0.012", "1,234.5" (some locales' thousands separator), or absent. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.trim().replaceAll(',', '');
  if (cleaned === '') return undefined;
  const parsed = Number(cleaned);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** Keeps the start (what failed) and the end (where, and the last output) of long output. */
function limitOutput(output: string): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= MAX_OUTPUT_BYTES) return output;
  const note = (omitted: number) => `\n\n… ${omitted} bytes of output omitted (limit ${MAX_OUTPUT_BYTES} bytes) …\n\n`;
  const room = MAX_OUTPUT_BYTES - Buffer.byteLength(note(bytes.length));
  const head = utf8Head(bytes, Math.floor(room / 2));
  const tail = utf8Tail(bytes, room - Math.floor(room / 2));
  const omitted = bytes.length - head.length - tail.length;
  return `${head.toString('utf8')}${note(omitted)}${tail.toString('utf8')}`;
}

/** At most `limit` bytes from the start, not splitting a character. */
function utf8Head(bytes: Buffer, limit: number): Buffer {
  let end = Math.min(limit, bytes.length);
  while (end > 0 && end < bytes.length && isContinuationByte(bytes[end])) end--;
  return bytes.subarray(0, end);
}

/** At most `limit` bytes from the end, not splitting a character. */
function utf8Tail(bytes: Buffer, limit: number): Buffer {
  let start = Math.max(0, bytes.length - limit);
  while (start < bytes.length && isContinuationByte(bytes[start])) start++;
  return bytes.subarray(start);
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

function elements(parent: XmlElement, tag: string): XmlElement[] {
  const value = parent[tag];
  const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
  // An empty element with no attributes can arrive as "" rather than an object.
  return list.map((item) => (isElement(item) ? item : {}));
}

function isElement(value: unknown): value is XmlElement {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function attribute(element: XmlElement, name: string): string | undefined {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function text(element: XmlElement): string {
  const value = element['#text'];
  return typeof value === 'string' ? value : '';
}

/** Counts and lists across every JUnit file of a run, for the job page. */
export function summariseJUnit(files: readonly { path: string; suites: readonly JUnitSuite[] }[]): JUnitSummary {
  const cases = files.flatMap((file) => file.suites.flatMap((suite) => suite.cases.map((testCase) => ({ ...testCase, file: file.path }))));
  const byStatus = (status: JUnitStatus) => cases.filter((testCase) => testCase.status === status);
  const failures = byStatus('failed');
  const passed = byStatus('passed');
  const skipped = byStatus('skipped');
  return {
    tests: cases.length,
    passed: passed.length,
    failed: failures.length,
    skipped: skipped.length,
    durationSeconds: files.reduce((total, file) => total + file.suites.reduce((sum, suite) => sum + suiteSeconds(suite), 0), 0),
    failures,
    all: [...failures, ...passed, ...skipped],
  };
}

function suiteSeconds(suite: JUnitSuite): number {
  return suite.durationSeconds ?? suite.cases.reduce((sum, testCase) => sum + (testCase.durationSeconds ?? 0), 0);
}
