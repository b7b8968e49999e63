// The Inference App view (Explorer) and the status bar item: what appModel.ts builds from the daemon's pushes,
// put on screen, and the tree's actions, each one the daemon's operation or request. The daemon polls only while
// this view is visible in a focused window (acaInference/watchApp).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { type AppStateJson, type AppViewModel, buildAppView, type TreeNode } from './appModel';
import { reportFailure } from './commands';
import type { Daemon } from './server';

export const VIEW_ID = 'acaInference.app';
const APP_STATE = 'acaInference/appState';
const APP_STATE_CHANGED = 'acaInference/appStateChanged';
const WATCH_APP = 'acaInference/watchApp';
const OPEN_ENDPOINT = 'acaInference/openEndpoint';
const COPY_API_KEY = 'acaInference/copyApiKey';

/** The view's own commands (package.json hides them from the palette; they act on a tree item). */
export const VIEW_COMMANDS = {
  refresh: 'acaInference.view.refresh',
  openEndpoint: 'acaInference.view.openEndpoint',
  copyApiKey: 'acaInference.view.copyApiKey',
  rollbackTo: 'acaInference.view.rollbackTo',
  showReplicaLogs: 'acaInference.view.showReplicaLogs',
} as const;

const STATUS_BAR_COMMANDS = {
  openEndpoint: VIEW_COMMANDS.openEndpoint,
  provision: 'acaInference.provision',
  deploy: 'acaInference.deploy',
  showView: `${VIEW_ID}.focus`,
} as const;

/** Files that make a folder an inference workspace: the view and the status bar item exist only there. */
export const INFERENCE_FILES = [
  'infra/provision/inference.parameters.json',
  'infra/provision/inference.bicep',
  'infra/inference.config.json',
];

class AppTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  model: AppViewModel = buildAppView(undefined);

  update(model: AppViewModel): void {
    this.model = model;
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? node.children : this.model.roots;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const state = node.children.length === 0
      ? vscode.TreeItemCollapsibleState.None
      : node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export class AppView implements vscode.Disposable {
  private readonly provider = new AppTreeProvider();
  private readonly treeView: vscode.TreeView<TreeNode>;
  private readonly statusBarItem = vscode.window.createStatusBarItem('acaInference.status', vscode.StatusBarAlignment.Left, 10);
  private readonly disposables: { dispose(): unknown }[] = [];
  private client: LanguageClient | undefined;
  private clientSubscription: vscode.Disposable | undefined;
  private watching = false;
  private inferenceWorkspace = false;

  constructor(
    private readonly daemon: Daemon,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.treeView = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true });
    this.statusBarItem.name = 'ACA Inference';
    this.disposables.push(
      this.treeView,
      this.provider,
      this.statusBarItem,
      this.treeView.onDidChangeVisibility(() => {
        this.updateWatch();
      }),
      vscode.window.onDidChangeWindowState(() => {
        this.updateWatch();
      }),
      daemon.onDidStart((client) => {
        this.attach(client);
      }),
      ...this.registerCommands(),
    );
    this.show(this.provider.model);
  }

  /** Whether this folder is an inference workspace (its infra files); the view and status bar show only there. */
  setInferenceWorkspace(yes: boolean): void {
    this.inferenceWorkspace = yes;
    void vscode.commands.executeCommand('setContext', 'acaInference.inferenceWorkspace', yes);
    this.show(this.provider.model);
  }

  private attach(client: LanguageClient): void {
    this.client = client;
    this.watching = false;
    this.clientSubscription?.dispose();
    this.clientSubscription = client.onNotification(APP_STATE_CHANGED, (state: AppStateJson) => {
      this.show(buildAppView(state));
    });
    // The status bar's first state (one read), then the poll if the view is in sight.
    this.refresh().catch((error: unknown) => {
      this.log.warn(`Reading the inference app: ${String(error)}`);
    });
    this.updateWatch();
  }

  private show(model: AppViewModel): void {
    this.provider.update(model);
    void vscode.commands.executeCommand('setContext', 'acaInference.appWelcome', model.welcome ?? 'none');
    const bar = model.statusBar;
    if (!bar.visible || !this.inferenceWorkspace) {
      this.statusBarItem.hide();
      return;
    }
    this.statusBarItem.text = bar.text;
    this.statusBarItem.tooltip = bar.tooltip;
    this.statusBarItem.command = STATUS_BAR_COMMANDS[bar.command];
    this.statusBarItem.backgroundColor =
      bar.severity === null ? undefined : new vscode.ThemeColor(`statusBarItem.${bar.severity}Background`);
    this.statusBarItem.show();
  }

  /** Polls only while the view is visible in a focused window. */
  private updateWatch(): void {
    const watch = this.treeView.visible && vscode.window.state.focused;
    if (this.client === undefined || watch === this.watching) {
      return;
    }
    this.watching = watch;
    this.client.sendNotification(WATCH_APP, { watch }).catch((error: unknown) => {
      this.log.warn(`Telling the daemon to ${watch ? 'watch' : 'stop watching'} the app: ${String(error)}`);
    });
  }

  private async refresh(): Promise<void> {
    const client = await this.daemon.running();
    this.show(buildAppView(await client.sendRequest<AppStateJson>(APP_STATE, {})));
  }

  private registerCommands(): vscode.Disposable[] {
    const run = (id: string, action: (node?: TreeNode) => Promise<unknown>): vscode.Disposable =>
      vscode.commands.registerCommand(id, async (node?: TreeNode) => {
        try {
          await action(node);
        } catch (error) {
          await reportFailure(error, this.log);
        }
      });
    const request = async (method: string): Promise<unknown> => (await this.daemon.running()).sendRequest(method, {});
    return [
      run(VIEW_COMMANDS.refresh, () => this.refresh()),
      run(VIEW_COMMANDS.openEndpoint, () => request(OPEN_ENDPOINT)),
      run(VIEW_COMMANDS.copyApiKey, () => request(COPY_API_KEY)),
      run(VIEW_COMMANDS.rollbackTo, async (node) => {
        if (node?.release === undefined) {
          throw new Error('Roll back to this release: choose a release in the Inference App view.');
        }
        return this.daemon.executeServerCommand('rollback', { to: node.release });
      }),
      run(VIEW_COMMANDS.showReplicaLogs, async (node) => {
        if (node?.replica === undefined) {
          throw new Error('Show logs of this replica: choose a replica in the Inference App view.');
        }
        return this.daemon.executeServerCommand('logs', { replica: node.replica });
      }),
    ];
  }

  dispose(): void {
    this.clientSubscription?.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
