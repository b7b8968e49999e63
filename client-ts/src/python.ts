// Which Python runs the daemon: the `acaInference.python` setting, else the Python extension's interpreter
// when it already has this daemon, else a venv this extension creates once in its global storage and
// installs the bundled daemon (server/ + pyproject.toml in the VSIX) into.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { configuredPython } from './settings';

const MIN_PYTHON: readonly [number, number] = [3, 11];
const MARKER = 'aca-inference-install.json';
const LOCK_STALE_MS = 15 * 60_000;

/** A problem the user fixes; shown once with the fix, never retried in a loop. */
export class PythonSetupError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

interface PythonProbe {
  executable: string;
  version: [number, number, number];
  /** Installed aca-inference distribution version, or null. */
  daemon: string | null;
}

const PROBE_SCRIPT = [
  'import json, sys',
  'try:',
  '    from importlib.metadata import version',
  '    daemon = version("aca-inference")',
  'except Exception:',
  '    daemon = None',
  'print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:3]), "daemon": daemon}))',
].join('\n');

async function probePython(command: string): Promise<PythonProbe | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE_SCRIPT], { timeout: 30_000, windowsHide: true }, (error, stdout) => {
      if (error) {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as PythonProbe);
      } catch {
        resolve(undefined);
      }
    });
  });
}

function isSupported(probe: PythonProbe): boolean {
  const [major, minor] = probe.version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

const versionText = (probe: PythonProbe): string => probe.version.join('.');
const minText = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;
const INSTALL_FIX =
  `Install Python ${minText} or newer (python.org or your package manager), then pick it with ` +
  `"Python: Select Interpreter" or set acaInference.python to its path, and run the command again.`;

/** The daemon version this VSIX carries, from its own pyproject.toml. */
async function bundledDaemonVersion(extensionPath: string): Promise<string> {
  const text = await fs.readFile(path.join(extensionPath, 'pyproject.toml'), 'utf8');
  const match = /^version\s*=\s*"([^"]+)"/m.exec(text);
  if (!match?.[1]) {
    throw new Error(`pyproject.toml in ${extensionPath} has no version`);
  }
  return match[1];
}

interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(environment: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

async function pythonExtensionInterpreter(
  folder: vscode.WorkspaceFolder | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const active = api.environments.getActiveEnvironmentPath(folder?.uri);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath;
  } catch (error) {
    log.warn(`The Python extension did not give an interpreter: ${String(error)}`);
    return undefined;
  }
}

async function findBasePython(preferred: PythonProbe | undefined): Promise<PythonProbe> {
  if (preferred && isSupported(preferred)) {
    return preferred;
  }
  const seen: string[] = preferred ? [`${preferred.executable} (${versionText(preferred)})`] : [];
  const candidates = process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
  for (const command of candidates) {
    const probe = await probePython(command);
    if (probe && isSupported(probe)) {
      return probe;
    }
    if (probe) {
      seen.push(`${command} (${versionText(probe)})`);
    }
  }
  const found = seen.length > 0 ? `found only ${seen.join(', ')}` : 'found none on PATH';
  throw new PythonSetupError(`ACA Inference needs Python ${minText} or newer to run its daemon; ${found}.`, INSTALL_FIX);
}

/** Runs a process, streaming its output lines to the log; resolves with the exit code. */
function runLogged(
  command: string,
  args: string[],
  log: vscode.LogOutputChannel,
  onLine: (line: string) => void = () => undefined,
): Promise<number> {
  return new Promise((resolve) => {
    log.info(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { windowsHide: true, env: { ...process.env, PIP_NO_INPUT: '1' } });
    let pending = '';
    const onData = (chunk: Buffer): void => {
      const lines = (pending + chunk.toString()).split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim() !== '')) {
        log.info(line);
        onLine(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      log.error(`${command} could not start: ${error.message}`);
      resolve(-1);
    });
    child.on('close', (code) => {
      if (pending.trim() !== '') {
        log.info(pending);
      }
      resolve(code ?? -1);
    });
  });
}

/** The venv in the extension's global storage, created once and reused while its marker matches. */
class ManagedEnvironment {
  readonly dir: string;
  private readonly lockDir: string;

  constructor(
    storageDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.dir = path.join(storageDir, 'python-env');
    this.lockDir = path.join(storageDir, 'python-env.lock');
  }

  get python(): string {
    return process.platform === 'win32'
      ? path.join(this.dir, 'Scripts', 'python.exe')
      : path.join(this.dir, 'bin', 'python');
  }

  /** The venv's interpreter when it holds this daemon version, else undefined. */
  async ready(daemonVersion: string): Promise<string | undefined> {
    try {
      const marker = JSON.parse(await fs.readFile(path.join(this.dir, MARKER), 'utf8')) as { daemon?: string };
      if (marker.daemon !== daemonVersion) {
        return undefined;
      }
    } catch {
      return undefined;
    }
    const probe = await probePython(this.python);
    return probe?.daemon === daemonVersion ? this.python : undefined;
  }

  async install(base: PythonProbe, packageDir: string, daemonVersion: string): Promise<string> {
    await this.withLock(async () => {
      if (await this.ready(daemonVersion)) {
        return; // another window finished it while we waited
      }
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'ACA Inference: setting up its Python environment (one time)',
        },
        async (progress) => {
          progress.report({ message: `creating a venv with Python ${versionText(base)}` });
          await fs.rm(this.dir, { recursive: true, force: true });
          const venvCode = await runLogged(base.executable, ['-m', 'venv', this.dir], this.log);
          if (venvCode !== 0) {
            throw new PythonSetupError(
              `Could not create a Python environment in ${this.dir} with ${base.executable}.`,
              'Install the venv module (Debian/Ubuntu: apt install python3-venv) or set acaInference.python to an ' +
                'interpreter that has the daemon installed, then run the command again.',
            );
          }
          progress.report({ message: 'installing the daemon and its Azure SDK packages' });
          const source = await this.stageSource(packageDir);
          const pipArgs = ['-m', 'pip', 'install', '--disable-pip-version-check', source];
          const pipCode = await runLogged(this.python, pipArgs, this.log, (line) => {
            if (/^(Collecting|Installing|Building|Successfully)/.test(line)) {
              progress.report({ message: line.slice(0, 80) });
            }
          });
          await fs.rm(source, { recursive: true, force: true });
          if (pipCode !== 0) {
            throw new PythonSetupError(
              `Installing the ACA Inference daemon into ${this.dir} failed (pip exited with ${pipCode}).`,
              'Output > ACA Inference has pip\'s messages; check that PyPI can be reached, then run the command again.',
            );
          }
          await fs.writeFile(
            path.join(this.dir, MARKER),
            JSON.stringify({ daemon: daemonVersion, base: base.executable }) + '\n',
          );
        },
      );
    });
    const python = await this.ready(daemonVersion);
    if (!python) {
      throw new PythonSetupError(`The Python environment in ${this.dir} has no working daemon.`, 'Run the command again.');
    }
    return python;
  }

  /**
   * A writable copy of the daemon's source for pip: the extension folder may be read-only, and vsce stores
   * README.md as readme.md, which pyproject.toml's `readme` does not find on a case-sensitive file system.
   */
  private async stageSource(packageDir: string): Promise<string> {
    const staged = path.join(path.dirname(this.dir), 'daemon-source');
    await fs.rm(staged, { recursive: true, force: true });
    await fs.mkdir(staged, { recursive: true });
    for (const entry of ['pyproject.toml', 'server', 'infra', 'inference', 'LICENSE']) {
      const from = path.join(packageDir, entry);
      if (await fs.stat(from).then(() => true, () => false)) {
        await fs.cp(from, path.join(staged, entry), { recursive: true });
      }
    }
    for (const readme of ['README.md', 'readme.md']) {
      const from = path.join(packageDir, readme);
      if (await fs.stat(from).then(() => true, () => false)) {
        await fs.copyFile(from, path.join(staged, 'README.md'));
        break;
      }
    }
    return staged;
  }

  /** One installer at a time across windows: mkdir is atomic; a lock older than LOCK_STALE_MS is dead. */
  private async withLock(work: () => Promise<void>): Promise<void> {
    await fs.mkdir(path.dirname(this.lockDir), { recursive: true });
    for (;;) {
      try {
        await fs.mkdir(this.lockDir);
        break;
      } catch {
        const stat = await fs.stat(this.lockDir).catch(() => undefined);
        if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) {
          await fs.rm(this.lockDir, { recursive: true, force: true });
        } else {
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    }
    try {
      await work();
    } finally {
      await fs.rm(this.lockDir, { recursive: true, force: true });
    }
  }
}

/** The interpreter to run `python -m aca_inference.lsp` with; throws PythonSetupError with a fix. */
export async function resolveDaemonPython(
  context: vscode.ExtensionContext,
  folder: vscode.WorkspaceFolder | undefined,
  log: vscode.LogOutputChannel,
): Promise<string> {
  const configured = configuredPython(folder);
  if (configured !== undefined) {
    const probe = await probePython(configured);
    if (!probe) {
      throw new PythonSetupError(
        `acaInference.python is "${configured}", which could not be run.`,
        `Set acaInference.python to a Python ${minText}+ interpreter, or clear it to let the extension set up its own.`,
      );
    }
    if (!isSupported(probe)) {
      throw new PythonSetupError(
        `acaInference.python is Python ${versionText(probe)}; the daemon needs ${minText} or newer.`,
        INSTALL_FIX,
      );
    }
    if (probe.daemon === null) {
      throw new PythonSetupError(
        `${configured} does not have the ACA Inference daemon installed.`,
        'Clear acaInference.python to let the extension set up its own Python environment, or install the ' +
          `daemon into that interpreter (from a checkout: "${configured}" -m pip install -e .).`,
      );
    }
    log.info(`Python: ${probe.executable} (${versionText(probe)}, from acaInference.python)`);
    return probe.executable;
  }

  const daemonVersion = await bundledDaemonVersion(context.extensionPath);
  const selected = await pythonExtensionInterpreter(folder, log);
  const selectedProbe = selected ? await probePython(selected) : undefined;
  if (selectedProbe && isSupported(selectedProbe) && selectedProbe.daemon === daemonVersion) {
    log.info(`Python: ${selectedProbe.executable} (the Python extension's interpreter has the daemon)`);
    return selectedProbe.executable;
  }

  const managed = new ManagedEnvironment(context.globalStorageUri.fsPath, log);
  const ready = await managed.ready(daemonVersion);
  if (ready) {
    log.info(`Python: ${ready} (the extension's environment, daemon ${daemonVersion})`);
    return ready;
  }
  const base = await findBasePython(selectedProbe);
  log.info(`Setting up ${managed.dir} from ${base.executable} (${versionText(base)})`);
  return managed.install(base, context.extensionPath, daemonVersion);
}
