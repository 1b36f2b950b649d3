import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrThrow, type ConfigPaths } from '../shared/config/load';
import type { Config } from '../shared/config/model';
import { webhookSecrets } from '../shared/github/environment';
import { signedHeaders } from '../shared/webhook/signing';
import { CommandFailure, parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { demoConfigPaths } from './demo-config';
import { EXAMPLES, exampleList, type ExampleTarget } from './phony-examples';
import { PHONY_USAGE } from './phony-usage';

/** A plain branch name, not one of Prow's branch regexps. */
const PLAIN_BRANCH = /^[\w./-]+$/;

/** The repository examples aim at: --repo, or the first with presubmits (then postsubmits). */
function exampleTarget(config: Config, repo: string | undefined): { repo: string; branch: string } {
  const repos = [...config.presubmits.keys(), ...config.postsubmits.keys()];
  const chosen = repo ?? repos[0];
  if (!chosen) throw new CommandFailure('the config has no presubmits or postsubmits to aim an example at; give --repo ORG/REPO');
  if (!/^[^/\s]+\/[^/\s]+$/.test(chosen)) throw new UsageError(`--repo must be ORG/REPO, not ${chosen}`);
  const jobs = [...(config.presubmits.get(chosen) ?? []), ...(config.postsubmits.get(chosen) ?? [])];
  // A branch the repository's jobs run on, so that the example starts them.
  const branch = jobs.flatMap((job) => job.branches ?? []).find((candidate) => PLAIN_BRANCH.test(candidate)) ?? 'main';
  return { repo: chosen, branch };
}

/** The secret local mode signs with: --hmac-secret-file, the environment, or the data dir's. */
function secretFor(secretFile: string | undefined, dataDir: string): string {
  if (secretFile || process.env.WEBHOOK_SECRET_FILE || process.env.WEBHOOK_SECRET) {
    try {
      return webhookSecrets(process.env, secretFile)[0] ?? '';
    } catch (error) {
      throw new CommandFailure(`${(error as Error).message} (--hmac-secret-file)`);
    }
  }
  const file = path.join(dataDir, 'hmac-secret');
  if (!existsSync(file)) {
    throw new CommandFailure(`no webhook secret: ${file} does not exist; give --hmac-secret-file F, or the --data-dir cutwater local uses`);
  }
  return webhookSecrets({}, file)[0] ?? '';
}

/** Prow's phony: send a signed webhook, for trying a hook endpoint without GitHub. */
export async function phonyCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    address: { type: 'string', default: 'http://127.0.0.1:8080/hook' },
    'hmac-secret-file': { type: 'string' },
    event: { type: 'string' },
    payload: { type: 'string' },
    delivery: { type: 'string' },
    example: { type: 'string' },
    body: { type: 'string' },
    repo: { type: 'string' },
    author: { type: 'string', default: 'octocat' },
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    'data-dir': { type: 'string', default: '.cutwater' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(PHONY_USAGE);
    return 0;
  }
  if (values.example === 'list') {
    io.stdout(exampleList());
    return 0;
  }
  let url: URL;
  try {
    url = new URL(values.address);
  } catch {
    throw new UsageError(`--address must be a URL, not ${values.address}`);
  }
  let event = values.event ?? 'ping';
  const secret = secretFor(values['hmac-secret-file'], path.resolve(values['data-dir']));
  let body: Buffer;
  if (values.example !== undefined) {
    const example = EXAMPLES[values.example];
    if (!example) throw new UsageError(`no example named ${values.example}; --example list shows them: ${Object.keys(EXAMPLES).join(', ')}`);
    if (values.payload || values.event) throw new UsageError('--example brings its own event and payload: give --example or --event/--payload');
    if (values.body !== undefined && example.event !== 'issue_comment') throw new UsageError(`--body is the comment text of issue_comment.created, not of ${values.example}`);
    const paths: ConfigPaths = values['config-path']
      ? { configPath: values['config-path'], ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}) }
      : demoConfigPaths();
    const target: ExampleTarget = {
      ...exampleTarget(await loadConfigOrThrow(paths), values.repo),
      author: values.author,
      number: 1,
      body: values.body ?? '/test all',
    };
    event = example.event;
    body = Buffer.from(JSON.stringify(example.payload(target), null, 2));
    io.stderr(`sending ${values.example} for ${target.repo} (branch ${target.branch}, PR #${target.number}, by ${target.author})`);
  } else {
    if (values.body !== undefined || values.repo !== undefined) throw new UsageError('--body and --repo go with --example');
    if (!values.payload && event !== 'ping') throw new UsageError(`--payload is needed for a ${event} event (or send a built-in one: --example list)`);
    try {
      body = values.payload ? readFileSync(values.payload) : Buffer.from('{"zen":"Keep it logically awesome."}');
      JSON.parse(body.toString('utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CommandFailure(`--payload ${values.payload}: ${code === 'ENOENT' ? 'no such file' : code ?? `not JSON: ${(error as Error).message}`}`);
    }
  }
  const headers = signedHeaders(secret, event, body, values.delivery);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
    throw new CommandFailure(`could not reach ${url.href}: ${cause} — is cutwater local running? (--address)`);
  }
  const text = await response.text();
  io.stdout(`${response.status} ${response.statusText} (delivery ${headers['x-github-delivery']})${text ? `\n${text}` : ''}`);
  if (response.status === 401) io.stderr('the hook refused the signature: give the secret it uses (--hmac-secret-file, or --data-dir of cutwater local)');
  return response.ok ? 0 : 1;
}
