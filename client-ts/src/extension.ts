// Wiring only: output channel, palette commands, the daemon, restart on interpreter change.
import * as vscode from 'vscode';
import { registerPaletteCommands, reportFailure } from './commands';
import { Daemon, PRODUCT_NAME } from './server';
import { onDidChangeDaemonLaunch } from './settings';

const INFERENCE_PARAMETERS = 'infra/provision/inference.parameters.json';

let daemon: Daemon | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel(PRODUCT_NAME, { log: true });
  daemon = new Daemon(context, log);
  const session = daemon;
  context.subscriptions.push(
    log,
    session,
    ...registerPaletteCommands(session, log),
    onDidChangeDaemonLaunch(() => {
      session.restart().catch((error: unknown) => reportFailure(error, log));
    }),
  );
  // In an inference workspace, start the daemon now so the first command does not wait for Python.
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder) {
    const parameters = vscode.Uri.joinPath(folder.uri, INFERENCE_PARAMETERS);
    const exists = await vscode.workspace.fs.stat(parameters).then(
      () => true,
      () => false,
    );
    if (exists) {
      session.running().catch((error: unknown) => reportFailure(error, log));
    }
  }
}

export async function deactivate(): Promise<void> {
  await daemon?.stop();
  daemon = undefined;
}
