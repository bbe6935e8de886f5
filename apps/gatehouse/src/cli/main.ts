import 'reflect-metadata';
import { runCli } from './cli';

runCli(process.argv.slice(2), process.env, {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gatehouse: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
