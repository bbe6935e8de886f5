import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { apiClient, freePort, type ApiResponse, type RequestOptions } from './gatehouse';

/** apps/resource-demo as its own process, from the compiled dist (`npm test` builds first). */
export interface ResourceDemo {
  url: string;
  logs: string[];
  api: (method: string, path: string, opts?: RequestOptions) => Promise<ApiResponse>;
  stop: () => Promise<void>;
}

const MAIN = resolve(__dirname, '../../dist/apps/resource-demo/src/main.js');

export async function startResourceDemo(env: Record<string, string>): Promise<ResourceDemo> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...String(chunk).split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const api = apiClient(url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`resource-demo exited ${child.exitCode}:\n${logs.join('\n')}`);
    const ok = await api('GET', '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`resource-demo did not start:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    logs,
    api,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
