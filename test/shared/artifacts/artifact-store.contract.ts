import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactInfo, ArtifactStore } from '../../../shared/artifacts/artifact-store';

/**
 * The behaviour every ArtifactStore must have, run against each implementation by
 * test/shared/artifacts/artifact-store.test.ts. Log streaming, status pages and reporters rely on exactly
 * this: bytes back as written, byte ranges for growing logs, and listings that a directory
 * prefix does not leak out of.
 */

export interface OpenedArtifactStore {
  store: ArtifactStore;
  /** Whether the store records a content type per object (a bucket does; a directory cannot). */
  keepsContentTypes: boolean;
  cleanup: () => Promise<void>;
}

export type OpenArtifactStore = () => Promise<OpenedArtifactStore>;

const INVALID_PATHS = ['', '/logs/job/1/build-log.txt', 'logs/../secrets', '..', 'logs//job', 'logs/./job', 'logs\\job', 'logs/job/'];

export function describeArtifactStoreContract(implementation: string, open: OpenArtifactStore): void {
  describe(`artifact store contract [${implementation}]`, () => {
    let store: ArtifactStore;
    let keepsContentTypes: boolean;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, keepsContentTypes, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    const text = async (path: string): Promise<string | undefined> => (await store.read(path))?.toString('utf8');
    const paths = (infos: ArtifactInfo[]): string[] => infos.map((info) => info.path);

    describe('write and read', () => {
      it('reads back text as the UTF-8 bytes written', async () => {
        const log = 'PASS ok  \t widgets 0.42s\nünïcödé ✓ 🚀\r\n';
        await store.write('logs/unit-tests/1/build-log.txt', log);
        const read = await store.read('logs/unit-tests/1/build-log.txt');
        expect(read).toBeInstanceOf(Buffer);
        expect(read?.equals(Buffer.from(log, 'utf8'))).toBe(true);
      });

      it('reads back binary content byte for byte, including bytes that are not UTF-8', async () => {
        const every = Buffer.from(Array.from({ length: 512 }, (_, index) => index % 256));
        await store.write('logs/unit-tests/1/artifacts/coverage.bin', every);
        expect((await store.read('logs/unit-tests/1/artifacts/coverage.bin'))?.equals(every)).toBe(true);
      });

      it('stores an empty object', async () => {
        await store.write('logs/unit-tests/1/artifacts/empty.txt', '');
        expect((await store.read('logs/unit-tests/1/artifacts/empty.txt'))?.length).toBe(0);
        expect(await store.list('logs/unit-tests/1/artifacts/')).toMatchObject([{ path: 'logs/unit-tests/1/artifacts/empty.txt', size: 0 }]);
      });

      it('replaces an object whole when written again', async () => {
        await store.write('logs/unit-tests/latest-build.txt', '1790000000000000000-longer-than-the-next');
        await store.write('logs/unit-tests/latest-build.txt', '1790000000000000001');
        expect(await text('logs/unit-tests/latest-build.txt')).toBe('1790000000000000001');
        expect(await store.list('logs/unit-tests/')).toMatchObject([{ path: 'logs/unit-tests/latest-build.txt', size: 19 }]);
      });

      it('leaves one of several concurrent writes to a path whole, never a mixture', async () => {
        const versions = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(256 * 1024));
        await Promise.all(versions.map((content) => store.write('logs/unit-tests/1/build-log.txt', content)));
        expect(versions).toContain(await text('logs/unit-tests/1/build-log.txt'));
        expect(paths(await store.list('logs/'))).toEqual(['logs/unit-tests/1/build-log.txt']);
      });

      it('answers undefined for an object that does not exist', async () => {
        expect(await store.read('logs/unit-tests/1/build-log.txt')).toBeUndefined();
        await store.write('logs/unit-tests/1/started.json', '{}');
        expect(await store.read('logs/unit-tests/1/finished.json')).toBeUndefined();
      });

      it('has no object at a path that is only a directory of others', async () => {
        await store.write('logs/unit-tests/1/started.json', '{}');
        expect(await store.read('logs/unit-tests/1')).toBeUndefined();
        expect(await store.readRange('logs/unit-tests/1', 0)).toBeUndefined();
      });

      it('keeps names with spaces, non-ASCII and URL-special characters', async () => {
        const path = 'logs/unit-tests/1/artifacts/junit #1 ü?&=%2F+.xml';
        await store.write(path, '<testsuites/>');
        expect(await text(path)).toBe('<testsuites/>');
        expect(paths(await store.list('logs/unit-tests/1/artifacts/'))).toEqual([path]);
      });
    });

    describe('readRange', () => {
      const path = 'logs/unit-tests/1/build-log.txt';
      const content = '0123456789abcdef';
      const range = async (start: number, endExclusive?: number): Promise<string | undefined> =>
        (await store.readRange(path, start, endExclusive))?.toString('utf8');

      beforeEach(async () => {
        await store.write(path, content);
      });

      it('reads from an offset to the end', async () => {
        expect(await range(0)).toBe(content);
        expect(await range(10)).toBe('abcdef');
      });

      it('reads from an offset up to, not including, an end', async () => {
        expect(await range(2, 5)).toBe('234');
        expect(await range(0, 1)).toBe('0');
        expect(await range(15, 16)).toBe('f');
      });

      it('stops at the end of the object when the range runs past it', async () => {
        expect(await range(12, 100)).toBe('cdef');
      });

      it('reads nothing, rather than failing, at or past the end and for an empty range', async () => {
        expect(await range(16)).toBe('');
        expect(await range(40)).toBe('');
        expect(await range(40, 50)).toBe('');
        expect(await range(3, 3)).toBe('');
      });

      it('reads nothing from an empty object', async () => {
        await store.write('logs/unit-tests/1/empty.txt', '');
        expect((await store.readRange('logs/unit-tests/1/empty.txt', 0))?.length).toBe(0);
      });

      it('follows a log as it grows: each read from the last offset returns only what was added', async () => {
        let offset = content.length;
        await store.write(path, `${content}ghij\n`);
        const added = await store.readRange(path, offset);
        expect(added?.toString()).toBe('ghij\n');
        offset += added?.length ?? 0;
        expect((await store.readRange(path, offset))?.length).toBe(0);
      });

      it('counts bytes, not characters', async () => {
        await store.write(path, 'ü✓x');
        expect((await store.readRange(path, 2, 5))?.toString()).toBe('✓');
        expect((await store.readRange(path, 5))?.toString()).toBe('x');
      });

      it('answers undefined for an object that does not exist', async () => {
        expect(await store.readRange('logs/unit-tests/2/build-log.txt', 0)).toBeUndefined();
        expect(await store.readRange('logs/unit-tests/2/build-log.txt', 4, 8)).toBeUndefined();
        expect(await store.readRange('logs/unit-tests/2/build-log.txt', 4, 4)).toBeUndefined();
      });

      it('rejects negative, fractional and backwards ranges', async () => {
        await expect(store.readRange(path, -1)).rejects.toThrow(RangeError);
        await expect(store.readRange(path, 1.5)).rejects.toThrow(RangeError);
        await expect(store.readRange(path, 5, 4)).rejects.toThrow(RangeError);
      });
    });

    describe('list', () => {
      const written = [
        'logs/job-10/1/build-log.txt',
        'logs/job-1/2/started.json',
        'logs/job-1/1/finished.json',
        'logs/job-1/1/build-log.txt',
        'logs/job-1-canary/1/build-log.txt',
        'logs/job-2/1/build-log.txt',
        'pr-logs/pull/acme_widgets/7/job-1/3/build-log.txt',
        'logs/job-1/1/artifacts/junit.xml',
      ];

      beforeEach(async () => {
        for (const [index, path] of written.entries()) await store.write(path, 'x'.repeat(index + 1));
      });

      it('lists every object under a directory prefix, sorted by path, with sizes', async () => {
        const listed = await store.list('logs/job-1/');
        expect(paths(listed)).toEqual([
          'logs/job-1/1/artifacts/junit.xml',
          'logs/job-1/1/build-log.txt',
          'logs/job-1/1/finished.json',
          'logs/job-1/2/started.json',
        ]);
        expect(listed.map((info) => info.size)).toEqual([8, 4, 3, 2]);
        for (const info of listed) {
          if (info.updated !== undefined) expect(Number.isNaN(info.updated.getTime())).toBe(false);
        }
      });

      it('does not leak into sibling directories whose names start the same', async () => {
        const listed = paths(await store.list('logs/job-1/'));
        expect(listed.some((path) => path.startsWith('logs/job-10/') || path.startsWith('logs/job-1-canary/'))).toBe(false);
      });

      it('matches a prefix that is not a whole directory name, as object stores do', async () => {
        expect(paths(await store.list('logs/job-1'))).toEqual([
          'logs/job-1-canary/1/build-log.txt',
          'logs/job-1/1/artifacts/junit.xml',
          'logs/job-1/1/build-log.txt',
          'logs/job-1/1/finished.json',
          'logs/job-1/2/started.json',
          'logs/job-10/1/build-log.txt',
        ]);
        expect(paths(await store.list('logs/job-1/1/build'))).toEqual(['logs/job-1/1/build-log.txt']);
      });

      it('lists everything for the empty prefix, in byte order of the whole path', async () => {
        // "-" sorts before "/", so a flat sort of whole paths differs from walking directories in order.
        expect(paths(await store.list(''))).toEqual([...written].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      });

      it('lists nothing for a prefix nothing is under', async () => {
        expect(await store.list('logs/job-3/')).toEqual([]);
        expect(await store.list('nothing/')).toEqual([]);
        expect(await store.list('logs/job-1/1/build-log.txt/')).toEqual([]);
      });

      it('pages through long listings', async () => {
        const many = Array.from({ length: 23 }, (_, index) => `logs/many/${String(index).padStart(3, '0')}/build-log.txt`);
        for (const path of many) await store.write(path, path);
        expect(paths(await store.list('logs/many/'))).toEqual(many);
      });
    });

    describe('paths', () => {
      it.each(INVALID_PATHS)('rejects %j for every operation', async (path) => {
        await expect(store.write(path, 'x')).rejects.toThrow(/invalid artifact path/);
        await expect(store.read(path)).rejects.toThrow(/invalid artifact path/);
        await expect(store.readRange(path, 0)).rejects.toThrow(/invalid artifact path/);
        expect(() => store.urlFor(path)).toThrow(/invalid artifact path/);
      });

      it('rejects list prefixes that could leave the store’s root', async () => {
        for (const prefix of ['/', '/logs/', '../', 'logs/../', 'logs//', 'logs\\']) {
          await expect(store.list(prefix), prefix).rejects.toThrow(/invalid artifact path/);
        }
      });

      it('gives each object a URL naming its path', async () => {
        const url = store.urlFor('logs/unit-tests/1/build-log.txt');
        expect(new URL(url).protocol).toMatch(/^(gs|file):$/);
        expect(url.endsWith('/logs/unit-tests/1/build-log.txt')).toBe(true);
      });
    });

    describe('content types', () => {
      it('keeps the content type given, where the store keeps content types', async () => {
        await store.write('logs/unit-tests/1/finished.json', '{}', { contentType: 'application/json' });
        await store.write('logs/unit-tests/1/build-log.txt', 'ok\n', { contentType: 'text/plain; charset=utf-8' });
        const listed = await store.list('logs/unit-tests/1/');
        const types = Object.fromEntries(listed.map((info) => [info.path, info.contentType]));
        if (keepsContentTypes) {
          expect(types).toEqual({
            'logs/unit-tests/1/build-log.txt': 'text/plain; charset=utf-8',
            'logs/unit-tests/1/finished.json': 'application/json',
          });
        } else {
          expect(types).toEqual({ 'logs/unit-tests/1/build-log.txt': undefined, 'logs/unit-tests/1/finished.json': undefined });
        }
        expect(await text('logs/unit-tests/1/finished.json')).toBe('{}');
      });
    });
  });
}
