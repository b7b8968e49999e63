// The daemon process (`python -m aca_inference.lsp` over stdio) and its language client, started on
// demand: the first command (or opening an inference workspace) starts it, later ones reuse it.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { NotificationProgressFeature } from './progress';
import { resolveDaemonPython } from './python';
import { registerDaemonRequests } from './requests';

export const PRODUCT_NAME = 'ACA Inference';

export class Daemon implements vscode.Disposable {
  private starting: Promise<LanguageClient> | undefined;
  private requestHandlers: vscode.Disposable[] = [];
  private readonly started = new vscode.EventEmitter<LanguageClient>();
  /** Fires with each client once its daemon answered `initialize` (the first start and every restart). */
  readonly onDidStart = this.started.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The running client; starts the daemon when needed. A failed start is forgotten so the next call retries. */
  running(): Promise<LanguageClient> {
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /**
   * Runs `acaInference.server.<name>` on the daemon and resolves when the operation has finished; `args` names
   * the operation's arguments (e.g. rollback's `to`), checked by the daemon like the CLI's flags.
   */
  async executeServerCommand(name: string, args?: Record<string, unknown>): Promise<unknown> {
    const client = await this.running();
    return client.sendRequest(ExecuteCommandRequest.type, {
      command: `acaInference.server.${name}`,
      arguments: args ? [args] : [],
    });
  }

  /** Restarts a daemon that was started (e.g. with a new interpreter); one never started stays stopped. */
  async restart(): Promise<void> {
    if (this.starting === undefined) {
      return;
    }
    await this.stop();
    await this.running();
  }

  async stop(): Promise<void> {
    const previous = this.starting;
    this.starting = undefined;
    const client = await previous?.catch(() => undefined);
    for (const handler of this.requestHandlers) {
      handler.dispose();
    }
    this.requestHandlers = [];
    if (client) {
      await client.dispose(5000).catch((error: unknown) => {
        this.log.warn(`Stopping the daemon: ${String(error)}`);
      });
    }
  }

  dispose(): void {
    this.started.dispose();
    void this.stop();
  }

  private async start(): Promise<LanguageClient> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const python = await resolveDaemonPython(this.context, folder, this.log);
    const serverOptions: ServerOptions = {
      command: python,
      args: ['-m', 'aca_inference.lsp'],
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      outputChannel: this.log,
      traceOutputChannel: this.log,
      workspaceFolder: folder,
    };
    const client = new LanguageClient('acaInference', PRODUCT_NAME, serverOptions, clientOptions);
    client.registerFeature(new NotificationProgressFeature(client));
    this.requestHandlers = registerDaemonRequests(client);
    this.log.info(`Starting the daemon: ${python} -m aca_inference.lsp`);
    try {
      await client.start();
    } catch (error) {
      await client.dispose(2000).catch(() => undefined);
      throw error;
    }
    const info = client.initializeResult?.serverInfo;
    this.log.info(`Daemon ready${info ? `: ${info.name} ${info.version ?? ''}` : ''}`.trimEnd());
    this.started.fire(client);
    return client;
  }
}
