import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Journal } from '../../../shared/journal/journal';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { useTempTrees } from '../../support/files';
import { testProwJob } from '../../support/prowjobs';

const Entry = z.object({ n: z.number() });
const parse = (value: unknown) => Entry.parse(value);

describe('journal', () => {
  const tree = useTempTrees('journal');

  it('writes concurrent appends in order, each durable when its promise resolves', async () => {
    const dir = tree({});
    const { journal } = Journal.open({ dir, name: 'test', parse });
    await Promise.all(Array.from({ length: 100 }, (_, n) => journal.append({ n })));
    await journal.close();
    const lines = readFileSync(path.join(dir, 'test.log.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(100);
    const { records } = Journal.open({ dir, name: 'test', parse });
    expect(records.map((record) => record.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
  });

  it('replays the snapshot, then what was appended after the compaction', async () => {
    const dir = tree({});
    const first = Journal.open({ dir, name: 'test', parse }).journal;
    for (let n = 0; n < 10; n++) await first.append({ n });
    await first.compact([{ n: 100 }]);
    expect(first.appendedSinceCompaction).toBe(0);
    await first.append({ n: 101 });
    await first.close();
    expect(Journal.open({ dir, name: 'test', parse }).records).toEqual([{ n: 100 }, { n: 101 }]);
  });

  it('keeps appends made while a compaction is under way, and the order of every append', async () => {
    const dir = tree({});
    const { journal } = Journal.open({ dir, name: 'test', parse });
    for (let n = 0; n < 5; n++) await journal.append({ n });
    const eventual = journal.appendEventually({ n: 5 });
    const compaction = journal.compact([{ n: 105 }]);
    const during = [journal.append({ n: 6 }), journal.appendEventually({ n: 7 })];
    await Promise.all([compaction, eventual, ...during]);
    await journal.append({ n: 8 });
    await journal.close();
    // 5 was not yet written when the compaction began, so it went to the fresh log; for owners'
    // records (put this value, delete this key) replaying it over the snapshot changes nothing.
    expect(Journal.open({ dir, name: 'test', parse }).records).toEqual([{ n: 105 }, { n: 5 }, { n: 6 }, { n: 7 }, { n: 8 }]);
  });

  it('makes an eventual append durable without any other append, and at close', async () => {
    const dir = tree({});
    const { journal } = Journal.open({ dir, name: 'test', parse });
    await journal.appendEventually({ n: 1 });
    const last = journal.appendEventually({ n: 2 });
    await journal.close();
    await last;
    expect(Journal.open({ dir, name: 'test', parse }).records).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('recovers from a crash in the middle of a compaction: old snapshot, previous log, then log', async () => {
    const dir = tree({
      'test.snapshot.jsonl': '{"n":1}\n',
      'test.log.previous.jsonl': '{"n":2}\n{"n":3}\n',
      'test.log.jsonl': '{"n":4}\n{"n":',
    });
    const opened = Journal.open({ dir, name: 'test', parse });
    expect(opened.records).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(opened.droppedPartialLine).toBe('{"n":');
    await opened.journal.append({ n: 5 });
    await opened.journal.close();
    // The two logs became one, so the next compaction can rotate again.
    expect(readdirSync(dir).sort()).toEqual(['test.log.jsonl', 'test.snapshot.jsonl']);
    expect(Journal.open({ dir, name: 'test', parse }).records).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
  });

  it('rejects a record that fails validation, naming the file and line', () => {
    const dir = tree({ 'test.log.jsonl': '{"n":1}\n{"n":"two"}\n' });
    expect(() => Journal.open({ dir, name: 'test', parse })).toThrow(/test\.log\.jsonl:2: unreadable journal record/);
  });

  describe('attachments', () => {
    const Framed = z.object({ n: z.number() });
    const framedParse = (value: unknown, attachment: Buffer | undefined) => ({ ...Framed.parse(value), body: attachment });
    type FramedRecord = ReturnType<typeof framedParse>;
    const encode = ({ body, ...rest }: FramedRecord) => ({ json: JSON.stringify(rest), ...(body ? { attachment: body } : {}) });

    it('gives back every attachment byte for byte, whatever bytes it holds, through appends and a compaction', async () => {
      const dir = tree({});
      const bodies = [Buffer.from('line one\nline two\n'), Buffer.from([0, 10, 64, 255, 10]), Buffer.alloc(0), Buffer.from('{"n":9}\n@3 {}\n')];
      const { journal } = Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode });
      await Promise.all(bodies.map((body, n) => journal.append({ n, body })));
      await journal.append({ n: 99, body: undefined });
      const expected = [...bodies.map((body, n) => ({ n, body })), { n: 99, body: undefined }];
      await journal.close();
      expect(Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode }).records).toEqual(expected);

      const reopened = Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode });
      await reopened.journal.compact(expected);
      await reopened.journal.close();
      expect(Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode }).records).toEqual(expected);
    });

    it('drops a record cut short anywhere in its attachment, and keeps appending after it', async () => {
      const whole = '@5 {"n":1}\nhello\n';
      for (const cut of ['@5 {"n":2}\nhel', '@5 {"n":2}\nhello', '@5 {"n":']) {
        const dir = tree({ 'test.log.jsonl': whole + cut });
        const opened = Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode });
        expect(opened.records).toEqual([{ n: 1, body: Buffer.from('hello') }]);
        expect(opened.droppedPartialLine).toBe(cut);
        await opened.journal.append({ n: 3, body: Buffer.from('again') });
        await opened.journal.close();
        expect(Journal.open<FramedRecord>({ dir, name: 'test', parse: framedParse, encode }).records.map((record) => record.n)).toEqual([1, 3]);
      }
    });

    it('refuses an attachment whose length does not match, or is missing, naming the file and record', () => {
      const wrongLength = tree({ 'test.log.jsonl': '@5 {"n":1}\nhello\n@2 {"n":2}\nhello\n' });
      expect(() => Journal.open<FramedRecord>({ dir: wrongLength, name: 'test', parse: framedParse, encode })).toThrow(
        /test\.log\.jsonl:2: unreadable journal record \(an attachment of the wrong length\)/,
      );
      const noLength = tree({ 'test.log.jsonl': '@ {"n":1}\nhello\n' });
      expect(() => Journal.open<FramedRecord>({ dir: noLength, name: 'test', parse: framedParse, encode })).toThrow(
        /test\.log\.jsonl:1: unreadable journal record \(an attachment header without a byte count\)/,
      );
    });
  });

  it('keeps the embedded store’s journal bounded by compacting, without losing the latest state', async () => {
    const dir = tree({});
    const store = EmbeddedStore.open({ dataDir: dir, fsync: false });
    const job = testProwJob();
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: 'k' });
    for (let i = 0; i < 25_000; i++) await store.jobs.update(name, { status: { description: `step ${i}` } }, 'latest');
    await store.close();
    // 25,001 writes, but the log only holds those since the last compaction.
    const logLines = readFileSync(path.join(dir, 'store.log.jsonl'), 'utf8').split('\n').length - 1;
    expect(logLines).toBeLessThan(20_000);
    expect(readFileSync(path.join(dir, 'store.snapshot.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const reopened = EmbeddedStore.open({ dataDir: dir });
    const stored = await reopened.jobs.get(name);
    expect(stored?.job.status?.description).toBe('step 24999');
    expect(stored?.revision).toBe(25_001);
    await reopened.close();
  });
});
