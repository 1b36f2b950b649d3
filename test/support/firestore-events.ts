import { DocumentEventData } from '../../shared/reporter/firestore-event';

/** A Firestore `document.written` event's data, encoded as Eventarc delivers it. */
export function encodeJobWrite(
  documentPath: string,
  before: Record<string, string | boolean> | undefined,
  after: Record<string, string | boolean> | undefined,
): Uint8Array {
  const document = (fields: Record<string, string | boolean>) => ({
    name: documentPath,
    fields: Object.fromEntries(
      Object.entries(fields).map(([key, value]) => [key, typeof value === 'boolean' ? { booleanValue: value } : { stringValue: value }]),
    ),
  });
  return DocumentEventData.encode(
    DocumentEventData.fromObject({
      ...(after ? { value: document(after) } : {}),
      ...(before ? { oldValue: document(before) } : {}),
    }),
  ).finish();
}
