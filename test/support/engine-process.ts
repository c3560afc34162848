/**
 * The local engine as a user runs it: `waymark local` (what `npm start` runs) in a child process of its own,
 * on a data folder, on a free port. Crash tests kill it with SIGKILL, as a power cut or the OOM killer would,
 * then start another on the same folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/waymark.mjs', import.meta.url));
const STARTED = /Waymark local engine on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;

export interface EngineProcess {
  endpoint: string;
  /** Everything the engine has printed so far: its banner, then one line per thing it does. */
  output(): string;
  /** SIGKILL: nothing runs after it, no shutdown handler, no flush. */
  kill(): Promise<void>;
}

export async function startEngineProcess(
  dataDir: string,
  journeysDir = 'journeys',
  extraArgs: readonly string[] = [],
): Promise<EngineProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'local', '--port', '0', '--data-dir', dataDir, '--journeys', journeysDir, ...extraArgs],
    {
      cwd: REPOSITORY,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`waymark local did not start in ${START_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, START_TIMEOUT_MS);
    const look = (): void => {
      const started = STARTED.exec(stdout);
      if (started?.[1] === undefined) return;
      clearTimeout(timer);
      resolve(started[1]);
    };
    child.stdout?.on('data', look);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`waymark local exited (${String(code)}) before it started:\n${stdout}\n${stderr}`));
    });
  });
  return {
    endpoint,
    output: () => stdout,
    kill: () => killed(child, exited),
  };
}

async function killed(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}
