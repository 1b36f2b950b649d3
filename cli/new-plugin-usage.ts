/** `cutwater new-plugin --help`, apart from new-plugin.ts so the command list loads nothing. */
export const NEW_PLUGIN_USAGE = `Usage: cutwater new-plugin NAME

Creates the directory NAME with an external plugin written with @cutwater/plugin-sdk: a /hello
command (src/index.ts), a server to run it (src/server.ts), a Cloud Function entry point
(src/function.ts) and a test that drives it through the SDK's fake GitHub (test/hello.test.ts).
The plugin is named after the directory's last part: lower-case letters, digits and "-".

Inside a Cutwater checkout the SDK is taken from its packages/plugin-sdk by a file: path;
elsewhere by name from the registry. Then: cd NAME && npm install && npm test.
See docs/writing-plugins.md.

Flags:
  -h, --help    this help`;
