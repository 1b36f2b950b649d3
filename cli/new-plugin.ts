import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sdkManifest from '../packages/plugin-sdk/package.json';
import { CommandFailure, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { NEW_PLUGIN_USAGE } from './new-plugin-usage';

/**
 * `cutwater new-plugin NAME`: scaffolds an external plugin on the SDK (packages/plugin-sdk), ready
 * to test, run next to `cutwater local` and deploy.
 */

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const SDK = sdkManifest.name;

export function newPluginCommand(argv: readonly string[], io: CommandIO): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(NEW_PLUGIN_USAGE);
    return 0;
  }
  const flag = argv.find((arg) => arg.startsWith('-'));
  if (flag) throw new UsageError(`unknown flag ${flag}`);
  if (argv.length !== 1 || !argv[0]) throw new UsageError('give the new plugin\'s directory, e.g. "cutwater new-plugin hello"');
  const target = path.resolve(argv[0]);
  const name = path.basename(target);
  if (!PLUGIN_NAME.test(name)) throw new UsageError(`the plugin name "${name}" must be lower-case letters, digits and "-", starting with a letter`);
  if (existsSync(target) && readdirSync(target).length > 0) throw new CommandFailure(`${target} exists and is not empty`);

  const files = scaffold(name, sdkDependency(target));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    writeFileSync(path.join(target, file), text);
  }
  io.stdout(
    [
      `Created the ${name} plugin in ${target}:`,
      ...Object.keys(files).map((file) => `  ${file}`),
      '',
      `Next: cd ${path.relative(process.cwd(), target) || '.'} && npm install && npm test`,
    ].join('\n'),
  );
  return 0;
}

/** A file: path to the SDK when the plugin is made inside a Cutwater checkout, else its published version. */
function sdkDependency(target: string): string {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'packages', 'plugin-sdk', 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === SDK) {
      return `file:${path.relative(target, path.dirname(manifest)).split(path.sep).join('/')}`;
    }
    if (path.dirname(dir) === dir) return `^${sdkManifest.version}`;
  }
}

function scaffold(name: string, sdk: string): Record<string, string> {
  const manifest = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { start: 'tsx src/server.ts', test: 'vitest run', typecheck: 'tsc --noEmit' },
    dependencies: { [SDK]: sdk },
    devDependencies: { '@types/node': '^20.19.0', tsx: '^4.20.0', typescript: '^5.9.0', vitest: '^4.0.0' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['src', 'test'],
  };
  return {
    'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    'src/index.ts': `import { definePlugin, findCommands } from '${SDK}';

/** The ${name} plugin: answers \`/hello\` with a greeting. */
export const plugin = definePlugin('${name}', {
  description: 'Says hello to whoever asks.',
  commands: [
    {
      usage: '/hello',
      description: 'Answers the comment with a greeting.',
      examples: ['/hello'],
      who: 'Anyone',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  // Only new comments: an edit re-running the command would greet twice.
  if (comment.action !== 'created' || findCommands(comment.body, 'hello').length === 0) return;
  log.info('greeting', { number: comment.number, by: comment.author });
  await issue.createComment(\`Hello, @\${comment.author}!\`);
});
`,
    'src/server.ts': `import { createServer } from 'node:http';
import { serve } from '${SDK}';
import { plugin } from './index';

// WEBHOOK_SECRET (the secret Cutwater signs with) and GITHUB_TOKEN or GITHUB_APP_ID with
// GITHUB_APP_PRIVATE_KEY come from the environment; PLUGIN_CONFIG names the plugin's config file.
const port = Number(process.env.PORT ?? 8888);
createServer(serve(plugin)).listen(port, () => console.log(\`${name} listening on :\${port}\`));
`,
    'src/function.ts': `import { cloudFunction } from '${SDK}';
import { plugin } from './index';

/** Deploy with: gcloud functions deploy ${name} --gen2 --runtime nodejs22 --trigger-http --entry-point ${entryPoint(name)} */
export const ${entryPoint(name)} = cloudFunction(plugin);
`,
    'test/hello.test.ts': `import { afterEach, expect, it } from 'vitest';
import { commentPayload, testPlugin, type PluginUnderTest } from '${SDK}/testing';
import { plugin } from '../src/index';

let running: PluginUnderTest | undefined;
afterEach(async () => {
  await running?.close();
});

it('answers /hello on the issue it was asked on', async () => {
  running = await testPlugin(plugin);
  const answer = await running.deliver('issue_comment', commentPayload({ org: 'acme', repo: 'widgets', number: 3, body: '/hello', author: 'alice' }));
  expect(answer.status).toBe(200);
  expect(running.github.comments).toEqual([{ org: 'acme', repo: 'widgets', number: 3, body: 'Hello, @alice!' }]);
});

it('says nothing to other comments', async () => {
  running = await testPlugin(plugin);
  await running.deliver('issue_comment', commentPayload({ body: 'looks good to me' }));
  expect(running.github.comments).toEqual([]);
});

it('describes its command at /help', async () => {
  running = await testPlugin(plugin);
  expect((await running.help()).Commands.map((command) => command.Usage)).toEqual(['/hello']);
});
`,
    'README.md': `# ${name}

An external plugin for Cutwater (or Prow's hook), built with ${SDK}. It answers \`/hello\`.

- \`npm test\`: drives the plugin with signed deliveries against a fake GitHub.
- \`npm start\`: serves it on \`$PORT\` (default 8888) for \`cutwater local\`; list it in plugins.yaml:

  \`\`\`yaml
  external_plugins:
    my-org/my-repo:
    - name: ${name}
      endpoint: http://127.0.0.1:8888
      events: [issue_comment, pull_request_review, pull_request_review_comment]
  \`\`\`

- \`src/function.ts\`: the same plugin as a Cloud Function.
`,
  };
}

/** A JavaScript identifier for the Cloud Function's export: "my-plugin" → "myPlugin". */
function entryPoint(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
