// @ts-check
// A real VS Code (code-server from npm, run by Node 24) in its own process group, with the VSIX installed,
// every directory it writes in a temp folder, bound to 127.0.0.1 without auth.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = process.env.ACA_E2E_CACHE ?? path.join(REPO, '.cache', 'e2e');

/** The tools client-ts/e2e/install.sh put in the cache. */
export function toolchain() {
  const nodeModules = path.join(CACHE, 'node24', 'node_modules', 'node', 'node_modules');
  const nodePackage = fs.existsSync(nodeModules)
    ? fs.readdirSync(nodeModules).find((name) => name.startsWith('node-linux-'))
    : undefined;
  const codeServer = path.join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');
  if (!nodePackage || !fs.existsSync(codeServer)) {
    throw new Error(`code-server or Node 24 is missing under ${CACHE}: run bash client-ts/e2e/install.sh first`);
  }
  return { nodeBin: path.join(nodeModules, nodePackage, 'bin'), codeServer, chromium: '/usr/bin/chromium' };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} CodeServerOptions
 * @property {string} vsix the .vsix to install
 * @property {string} root temp folder for every directory code-server writes
 * @property {Record<string, string>} [env] extra environment (reaches the extension host and the daemon)
 * @property {Record<string, unknown>} [userSettings] user settings.json
 */

export class CodeServer {
  /** @param {CodeServerOptions} options */
  constructor(options) {
    this.options = options;
    this.tools = toolchain();
    this.userDataDir = path.join(options.root, 'user-data');
    this.extensionsDir = path.join(options.root, 'extensions');
    this.logFile = path.join(options.root, 'code-server.log');
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.process = undefined;
    this.port = 0;
    const xdg = path.join(options.root, 'xdg');
    /** @type {NodeJS.ProcessEnv} */
    this.env = {
      ...process.env,
      PATH: `${this.tools.nodeBin}:${process.env.PATH ?? ''}`,
      XDG_CONFIG_HOME: path.join(xdg, 'config'),
      XDG_DATA_HOME: path.join(xdg, 'data'),
      XDG_CACHE_HOME: path.join(xdg, 'cache'),
      XDG_STATE_HOME: path.join(xdg, 'state'),
      XDG_RUNTIME_DIR: path.join(xdg, 'runtime'),
      ...options.env,
    };
    for (const key of ['VSCODE_IPC_HOOK_CLI', 'VSCODE_PROXY_URI', 'ELECTRON_RUN_AS_NODE']) {
      delete this.env[key];
    }
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  installExtension() {
    const result = spawnSync(
      this.tools.codeServer,
      ['--install-extension', this.options.vsix, '--force', '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir],
      { env: this.env, encoding: 'utf8', timeout: 120_000 },
    );
    if (result.status !== 0) {
      throw new Error(`code-server --install-extension failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
  }

  async start() {
    for (const dir of ['xdg/config', 'xdg/data', 'xdg/cache', 'xdg/state', 'xdg/runtime', 'user-data/User', 'extensions']) {
      fs.mkdirSync(path.join(this.options.root, dir), { recursive: true, mode: 0o700 });
    }
    fs.writeFileSync(
      path.join(this.userDataDir, 'User', 'settings.json'),
      JSON.stringify(this.options.userSettings ?? {}, null, 2),
    );
    this.installExtension();
    this.port = /** @type {number} */ (await freePort());
    const log = fs.openSync(this.logFile, 'a');
    // detached: setsid, so stop() can end code-server and everything it started (extension host, daemon, apps).
    this.process = spawn(
      this.tools.codeServer,
      [
        '--bind-addr', `127.0.0.1:${this.port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        '--user-data-dir', this.userDataDir,
        '--extensions-dir', this.extensionsDir,
      ],
      { env: this.env, detached: true, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) {
        throw new Error(`code-server exited (${this.process.exitCode}); see ${this.logFile}`);
      }
      try {
        const response = await fetch(`${this.url}/healthz`);
        if (response.ok) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`code-server did not answer on ${this.url} within 60 s; see ${this.logFile}`);
  }

  /** Ends the whole process group: code-server, its extension host, the daemon and whatever that started. */
  async stop() {
    const child = this.process;
    if (!child?.pid) {
      return;
    }
    const group = -child.pid;
    const signal = (/** @type {NodeJS.Signals | 0} */ name) => {
      try {
        process.kill(group, name);
        return true;
      } catch {
        return false;
      }
    };
    if (!signal('SIGTERM')) {
      return;
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && signal(0)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    signal('SIGKILL');
    this.process = undefined;
  }

  /** The text the extension's LogOutputChannel wrote (VS Code keeps it in the session's log folder). */
  outputChannelLog(name = 'ACA Inference') {
    /** @type {string[]} */
    const found = [];
    const walk = (/** @type {string} */ dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(full);
        } else if (entry.name === `${name}.log`) {
          found.push(full);
        }
      }
    };
    const logs = path.join(this.userDataDir, 'logs');
    if (fs.existsSync(logs)) {
      walk(logs);
    }
    return found.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
  }
}
