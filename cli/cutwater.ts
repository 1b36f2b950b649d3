import type { CommandIO } from './checkconfig';
import { main } from './main';

const io: CommandIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

process.exitCode = await main(process.argv.slice(2), io);
