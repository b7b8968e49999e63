// Wiring only: output channel, palette commands, the app view, the daemon, restart on interpreter change.
import * as vscode from 'vscode';
import { AppView, INFERENCE_FILES } from './appView';
import { registerPaletteCommands, reportFailure } from './commands';
import { Daemon, PRODUCT_NAME } from './server';
import { onDidChangeDaemonLaunch } from './settings';

let daemon: Daemon | undefined;

async function isInferenceWorkspace(folder: vscode.WorkspaceFolder): Promise<boolean> {
  const found = await Promise.all(
    INFERENCE_FILES.map((file) =>
      vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.includes(true);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel(PRODUCT_NAME, { log: true });
  daemon = new Daemon(context, log);
  const session = daemon;
  const appView = new AppView(session, log);
  context.subscriptions.push(
    log,
    session,
    appView,
    ...registerPaletteCommands(session, log),
    onDidChangeDaemonLaunch(() => {
      session.restart().catch((error: unknown) => reportFailure(error, log));
    }),
  );
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    appView.setInferenceWorkspace(false);
    return;
  }
  // In an inference workspace, start the daemon now so the first command does not wait for Python, and the
  // view and status bar item show the app; infra/ files appearing later (init, by hand) turn them on.
  const update = async (): Promise<void> => {
    const inference = await isInferenceWorkspace(folder);
    appView.setInferenceWorkspace(inference);
    if (inference) {
      session.running().catch((error: unknown) => reportFailure(error, log));
    }
  };
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, 'infra/**/*.{json,bicep}'));
  context.subscriptions.push(watcher, watcher.onDidCreate(() => void update()), watcher.onDidDelete(() => void update()));
  await update();
}

export async function deactivate(): Promise<void> {
  await daemon?.stop();
  daemon = undefined;
}
