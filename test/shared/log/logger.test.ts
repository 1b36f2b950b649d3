import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../shared/log/logger';

/** Secrets never reach a log line, whatever field or text carries them. */
describe('log redaction', () => {
  const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';

  it('redacts fields named as secrets, tokens, bearer headers and PEM keys in any text', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (line) => void lines.push(line) });
    log.info(`cloned with ghp_${'a'.repeat(36)}`, {
      webhookSecret: 'hunter2-hunter2',
      headers: { authorization: 'token abc' },
      note: `key follows ${key} and then Bearer abcdefghijkl`,
    });
    const [line] = lines;
    expect(line).not.toMatch(/ghp_a|hunter2|token abc|MIIE|abcdefghijkl/);
    expect(JSON.parse(line ?? '{}')).toMatchObject({ webhookSecret: '[redacted]', note: 'key follows [redacted] and then [redacted]' });
  });

  it('redacts every PEM key of a text, and a key cut short to the end of the text', () => {
    expect(redact(`a ${key} b ${key.replace(/RSA /g, '')} c`)).toBe('a [redacted] b [redacted] c');
    expect(redact('log: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB')).toBe('log: [redacted]');
  });

  it('handles a hostile text of repeated key headers whole, without rescanning it from each one', () => {
    const hostile = '-----BEGIN RSA PRIVATE KEY-----'.repeat(8_000);
    expect(redact(hostile)).toBe('[redacted]');
    expect(redact(`${hostile}${key.slice(key.indexOf('-----END'))} after`)).toBe('[redacted] after');
  });
});
