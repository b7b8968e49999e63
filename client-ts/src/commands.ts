// Palette commands, registered on the client at activation so they exist before the daemon has started;
// each one starts the daemon if needed and runs the matching `acaInference.server.<name>` command there.
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient';
import { PythonSetupError } from './python';
import type { Daemon } from './server';

/** Palette command id -> server command name. */
export const PALETTE_COMMANDS: Readonly<Record<string, string>> = {
  'acaInference.provision': 'provision',
  'acaInference.deploy': 'deploy',
  'acaInference.rollback': 'rollback',
  'acaInference.showLogs': 'logs',
  'acaInference.showStatus': 'status',
  'acaInference.deleteApp': 'delete',
  'acaInference.validate': 'validate',
  'acaInference.previewProvision': 'preview',
  'acaInference.migrateApp': 'migrate',
};

/** One message per failure, with the fix and a way to the details. */
export async function reportFailure(error: unknown, log: vscode.LogOutputChannel): Promise<void> {
  if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) {
    return;
  }
  let message: string;
  const actions = ['Show Output'];
  if (error instanceof PythonSetupError) {
    message = `${error.message} ${error.fix}`;
    actions.unshift('Open Settings');
  } else {
    message = error instanceof Error ? error.message : String(error);
  }
  log.error(message);
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'acaInference.python');
  } else if (choice === 'Show Output') {
    log.show(true);
  }
}

export function registerPaletteCommands(daemon: Daemon, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return Object.entries(PALETTE_COMMANDS).map(([id, serverName]) =>
    vscode.commands.registerCommand(id, async () => {
      if (!vscode.workspace.workspaceFolders?.length) {
        void vscode.window.showErrorMessage(
          'ACA Inference works on a workspace folder: open your fine-tuning project (File > Open Folder) and run the command again.',
        );
        return;
      }
      try {
        await daemon.executeServerCommand(serverName);
      } catch (error) {
        await reportFailure(error, log);
      }
    }),
  );
}
