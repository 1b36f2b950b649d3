import { describe, expect, it } from 'vitest';
import { CENSOR_MASK, censoredPatterns, censoringPlan, Censorer } from '../../runner/censor';

/** Prow's secret censoring, as the runner applies it to build logs and artifacts before storing them. */

const SECRET = 'hunter2-but-longer-0123456789abcdef';
const censorer = (...values: string[]) => new Censorer(censoredPatterns(values));

describe('censoring secrets', () => {
  it('masks each secret and its base64 encoding with Prow’s mask', () => {
    const base64 = Buffer.from(SECRET).toString('base64');
    const text = `token=${SECRET}\nencoded: ${base64}\nin a URL: https://x:${SECRET}@example.com\n`;
    expect(censorer(SECRET).censorText(text)).toBe(`token=${CENSOR_MASK}\nencoded: ${CENSOR_MASK}\nin a URL: https://x:${CENSOR_MASK}@example.com\n`);
  });

  it('masks a secret split across chunks, at every split point and chunk size', () => {
    const text = `before ${SECRET} middle ${Buffer.from(SECRET).toString('base64')} after`;
    const expected = `before ${CENSOR_MASK} middle ${CENSOR_MASK} after`;
    const whole = censorer(SECRET);
    for (const chunkSize of [1, 2, 3, 7, SECRET.length - 1, SECRET.length, SECRET.length + 1]) {
      const stream = whole.stream();
      const out: Buffer[] = [];
      for (let offset = 0; offset < text.length; offset += chunkSize) out.push(stream.push(Buffer.from(text.slice(offset, offset + chunkSize))));
      out.push(stream.end());
      expect(Buffer.concat(out).toString(), `chunks of ${chunkSize}`).toBe(expected);
    }
    for (let split = 0; split <= text.length; split++) {
      const stream = whole.stream();
      const out = Buffer.concat([stream.push(Buffer.from(text.slice(0, split))), stream.push(Buffer.from(text.slice(split))), stream.end()]);
      expect(out.toString(), `split at ${split}`).toBe(expected);
    }
  });

  it('streams content larger than its frame, honouring a frame of at least twice the largest secret', () => {
    const text = `${'x'.repeat(100)}${SECRET}${'y'.repeat(100)}${SECRET}`;
    expect(censorer(SECRET).censorText(text, 8)).toBe(`${'x'.repeat(100)}${CENSOR_MASK}${'y'.repeat(100)}${CENSOR_MASK}`);
  });

  it('prefers the longest secret at a position, and masks each line of a multi-line secret on its own', () => {
    const key = '-----BEGIN KEY-----\nMIIEowIBAAKCAQEAx1\nQ2hlY2sgdGhpcyBvdXQ\n-----END KEY-----\n';
    const both = censorer(key, 'MIIEowIBAAKCAQEAx1-and-more');
    expect(both.censorText(`whole: ${key}`)).toBe(`whole: ${CENSOR_MASK}\n`);
    expect(both.censorText('one line: Q2hlY2sgdGhpcyBvdXQ!')).toBe(`one line: ${CENSOR_MASK}!`);
    expect(both.censorText('MIIEowIBAAKCAQEAx1-and-more')).toBe(CENSOR_MASK);
  });

  it('leaves short values, booleans and empty values alone, so a log is not masked everywhere', () => {
    const few = censorer('', '  ', 'a', '1234', 'true', 'FALSE');
    expect(few.empty).toBe(true);
    expect(few.censorText('a 1234 true FALSE')).toBe('a 1234 true FALSE');
    expect(new Censorer(censoredPatterns(['abcdefgh'], 10)).empty).toBe(true);
  });

  it('trims whitespace around a secret read from a file', () => {
    expect(censorer(`${SECRET}\n`).censorText(`[${SECRET}]`)).toBe(`[${CENSOR_MASK}]`);
  });

  it('keeps bytes that are not text intact around a mask', () => {
    const binary = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from(SECRET), Buffer.from([0xa0, 0x01])]);
    expect(censorer(SECRET).censor(binary)).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from(CENSOR_MASK), Buffer.from([0xa0, 0x01])]));
  });
});

describe('censoring plan (decoration_config.censor_secrets, censoring_options)', () => {
  const controlPlane = ['control-plane-secret-value'];
  const jobSecret = 'job-secret-value-from-a-volume';

  it('always masks the control plane’s secrets, and the job’s own only with censor_secrets', () => {
    const off = censoringPlan({}, controlPlane, [jobSecret]);
    expect(off.full.censorText(`control-plane-secret-value ${jobSecret}`)).toBe(`${CENSOR_MASK} ${jobSecret}`);
    const on = censoringPlan({ censor_secrets: true }, controlPlane, [jobSecret]);
    expect(on.full.censorText(`control-plane-secret-value ${jobSecret}`)).toBe(`${CENSOR_MASK} ${CENSOR_MASK}`);
  });

  it('applies include and exclude directories (go-zglob, relative to $ARTIFACTS) to the job’s secrets only', () => {
    const plan = censoringPlan(
      { censor_secrets: true, censoring_options: { include_directories: ['logs/**'], exclude_directories: ['logs/raw/**'] } },
      controlPlane,
      [jobSecret],
    );
    expect(plan.includesArtifact('logs/a.txt')).toBe(true);
    expect(plan.includesArtifact('logs/raw/b.bin')).toBe(false);
    expect(plan.includesArtifact('junit.xml')).toBe(false);
    expect(plan.controlPlaneOnly.censorText(`control-plane-secret-value ${jobSecret}`)).toBe(`${CENSOR_MASK} ${jobSecret}`);
    expect(censoringPlan({ censor_secrets: true }, controlPlane, []).includesArtifact('any/where.txt')).toBe(true);
  });

  it('honours minimum_secret_length, buffer size and concurrency, with Prow’s defaults', () => {
    const plan = censoringPlan(
      { censor_secrets: true, censoring_options: { minimum_secret_length: 100, censoring_buffer_size: 4096, censoring_concurrency: 2 } },
      controlPlane,
      [jobSecret],
    );
    expect(plan.full.censorText(`control-plane-secret-value ${jobSecret}`)).toBe(`${CENSOR_MASK} ${jobSecret}`);
    expect(plan).toMatchObject({ bufferBytes: 4096, concurrency: 2 });
    expect(censoringPlan(undefined, [], [])).toMatchObject({ bufferBytes: 10 * 1024 * 1024, concurrency: 10 });
  });
});
