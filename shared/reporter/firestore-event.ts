import protobuf from 'protobufjs';
import { isFinalState } from '../prowjob/lifecycle';
import { ProwJobSchema, type ProwJob, type ProwJobState } from '../prowjob/schema';

/**
 * In the cloud the reporter runs on Firestore's `document.written` events for `prowjobs/{name}`
 * (Eventarc). Their data is a protobuf DocumentEventData with the document before and after the
 * write. Only a few fields matter here, so the message types are declared with just those fields
 * (protobuf skips the rest); field numbers are those of google.events.cloud.firestore.v1.
 */
const { Field, MapField, OneOf, Root, Type } = protobuf;
const root = new Root().add(
  new Type('Value')
    .add(new Field('booleanValue', 1, 'bool'))
    .add(new Field('integerValue', 2, 'int64'))
    .add(new Field('stringValue', 17, 'string'))
    .add(new OneOf('kind', ['booleanValue', 'integerValue', 'stringValue'])),
)
  .add(new Type('Document').add(new Field('name', 1, 'string')).add(new MapField('fields', 2, 'string', 'Value')))
  .add(new Type('DocumentEventData').add(new Field('value', 1, 'Document')).add(new Field('oldValue', 2, 'Document')));

/** The event data type (exported so tests can encode events as Firestore sends them). */
export const DocumentEventData = root.lookupType('DocumentEventData');

interface DecodedValue {
  booleanValue?: boolean;
  stringValue?: string;
}
interface DecodedDocument {
  name?: string;
  fields?: Record<string, DecodedValue>;
}
interface DecodedEvent {
  value?: DecodedDocument;
  oldValue?: DecodedDocument;
}

export interface JobDocumentWrite {
  /** The ProwJob's name (the document ID). */
  jobName: string;
  /** False when the write cannot have made a report due: a heartbeat, a lease, a report mark, a delete. */
  reportWorthy: boolean;
  /**
   * The job before and after the write, when the event carried them: enough to tell, without
   * reading the store, whether a change of an unfinished job shows anywhere (changeNeedsReport).
   */
  before?: ProwJob;
  after?: { job: ProwJob; reportDue: boolean };
}

/** The ProwJob name from the event's subject ("documents/prowjobs/<name>") or document attribute. */
export function jobNameOfSubject(subject: string | undefined): string | undefined {
  const match = /(?:^|\/)prowjobs\/([^/]+)$/.exec(subject ?? '');
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/**
 * What a write means for reporting. Undecodable data is treated as report-worthy: reporting
 * reads the job and is a no-op when nothing is due, so erring that way costs two reads, not a report.
 */
export function describeJobWrite(subject: string | undefined, data: unknown): JobDocumentWrite | undefined {
  const jobName = jobNameOfSubject(subject);
  if (!jobName) return undefined;
  if (!(data instanceof Uint8Array)) return { jobName, reportWorthy: true };
  let event: DecodedEvent;
  try {
    event = DocumentEventData.toObject(DocumentEventData.decode(data), { longs: Number }) as DecodedEvent;
  } catch {
    return { jobName, reportWorthy: true };
  }
  const after = event.value?.fields;
  if (!after) return { jobName, reportWorthy: false };
  const before = event.oldValue?.fields;
  const state = after.state?.stringValue ?? 'triggered';
  const stateChanged = !before || before.state?.stringValue !== state;
  const reportDue = after.reportDue?.booleanValue === true;
  // A final state is owed a report until it is recorded; an unfinished one, on each change of state.
  const reportWorthy = isFinalState(state as ProwJobState)
    ? reportDue && (stateChanged || before?.reportDue?.booleanValue !== true)
    : stateChanged;
  if (!reportWorthy) return { jobName, reportWorthy };
  const job = prowJobOf(after);
  const earlier = before ? prowJobOf(before) : undefined;
  return {
    jobName,
    reportWorthy,
    ...(job ? { after: { job, reportDue } } : {}),
    ...(earlier ? { before: earlier } : {}),
  };
}

/** The ProwJob a document holds as JSON text; undefined when it does not hold a valid one. */
function prowJobOf(fields: Record<string, DecodedValue>): ProwJob | undefined {
  const text = fields.prowjob?.stringValue;
  if (text === undefined) return undefined;
  try {
    const parsed = ProwJobSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
