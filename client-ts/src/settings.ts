// The settings the client itself uses. The daemon reads the whole `acaInference` section on its own
// through workspace/configuration, so only what matters before it starts is read here.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const SECTION = 'acaInference';

/** The interpreter the user chose, `${workspaceFolder}` and `~` expanded; undefined when unset. */
export function configuredPython(folder: vscode.WorkspaceFolder | undefined): string | undefined {
  const raw = vscode.workspace.getConfiguration(SECTION, folder).get<string>('python', '').trim();
  if (raw === '') {
    return undefined;
  }
  let value = raw.replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '');
  if (value === '~' || value.startsWith('~/')) {
    value = path.join(os.homedir(), value.slice(1));
  }
  return value;
}

/** Fires when a setting that changes how the daemon is started (its interpreter) changes. */
export function onDidChangeDaemonLaunch(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(`${SECTION}.python`)) {
      listener();
    }
  });
}
