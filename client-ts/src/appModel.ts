// What the Inference App view and the status bar item show, built from the daemon's app state (the status
// operation's JSON, pushed as acaInference/appStateChanged). Pure: no `vscode` import, so node's test runner
// covers it (client-ts/test/appModel.test.ts).

export interface ReplicaJson {
  name: string;
  running_state: string | null;
  ready: boolean;
  restart_count: number;
}

export interface RevisionJson {
  name: string;
  active: boolean;
  created: string | null;
  release: string | null;
  running_state: string | null;
  health_state: string | null;
  traffic_weight: number;
  fqdn: string | null;
  replica_count: number;
  replicas: ReplicaJson[];
}

export interface ReleaseJson {
  id: string;
  created: string;
  files: number;
  bytes: number;
  folders: string[];
  serving: boolean;
  revisions: string[];
  active: boolean;
}

export interface StatusJson {
  summary: string;
  app: string;
  endpoint: string | null;
  provisioning_state: string | null;
  healthy: boolean;
  scaled_to_zero: boolean;
  revisions: RevisionJson[];
  /** null: the app runs its code in place on the share (an AI Toolkit project's own app): no releases. */
  releases: ReleaseJson[] | null;
  serving_release: string | null;
}

export interface ActivityJson {
  operation: string;
  title: string;
  message: string;
  percentage: number;
}

export interface AppStateJson {
  workspace: 'none' | 'unprovisioned' | 'provisioned';
  status: StatusJson | null;
  error: string | null;
  activity: ActivityJson | null;
  read_at: number;
}

/** Which viewsWelcome text shows (the `acaInference.appWelcome` context key); null: the tree has items. */
export type Welcome = 'loading' | 'provision' | 'deploy' | null;

export type NodeKind = 'app' | 'release' | 'revision' | 'replica' | 'note';

export interface TreeNode {
  /** Stable across reads, so VS Code keeps what the user expanded. */
  id: string;
  kind: NodeKind;
  label: string;
  description: string;
  tooltip: string;
  /** A codicon name; `color` a theme color id. */
  icon: string;
  color?: string;
  /** What the context menus key on (package.json `view/item/context`). */
  contextValue: string;
  expanded: boolean;
  children: TreeNode[];
  /** The release a "Roll back to this release" runs with; the replica "Show logs" streams. */
  release?: string;
  replica?: string;
}

export type StatusBarCommand = 'openEndpoint' | 'provision' | 'deploy' | 'showView';

export interface StatusBarModel {
  visible: boolean;
  text: string;
  tooltip: string;
  command: StatusBarCommand;
  severity: 'error' | 'warning' | null;
}

export interface AppViewModel {
  welcome: Welcome;
  roots: TreeNode[];
  statusBar: StatusBarModel;
}

export type ReplicaStateName = 'running' | 'starting' | 'failing probes' | 'scaled to zero';

const FAILED_REVISION_STATES = new Set(['failed', 'degraded']);
const VERBS: Readonly<Record<string, string>> = {
  deploy: 'deploying',
  rollback: 'rolling back',
  provision: 'provisioning',
  delete: 'deleting',
  migrate: 'migrating',
};

const lower = (value: string | null | undefined): string => (value ?? '').toLowerCase();

function unhealthy(revision: RevisionJson): boolean {
  return lower(revision.health_state) === 'unhealthy' || FAILED_REVISION_STATES.has(lower(revision.running_state));
}

/** A replica's state as a person reads it: ready, still starting, or restarting because its probes fail. */
export function replicaState(replica: ReplicaJson, revision: RevisionJson): ReplicaStateName {
  if (replica.ready) {
    return 'running';
  }
  return replica.restart_count > 0 || unhealthy(revision) ? 'failing probes' : 'starting';
}

function scaledToZero(revision: RevisionJson): boolean {
  return revision.active && lower(revision.running_state) === 'scaledtozero';
}

const REPLICA_ICONS: Readonly<Record<ReplicaStateName, [string, string | undefined]>> = {
  running: ['vm-running', 'testing.iconPassed'],
  starting: ['loading~spin', undefined],
  'failing probes': ['vm-outline', 'testing.iconFailed'],
  'scaled to zero': ['debug-pause', undefined],
};

function replicaNode(replica: ReplicaJson, revision: RevisionJson): TreeNode {
  const state = replicaState(replica, revision);
  const [icon, color] = REPLICA_ICONS[state];
  const restarts = replica.restart_count > 0 ? `, ${replica.restart_count} restart(s)` : '';
  return {
    id: `replica/${revision.name}/${replica.name}`,
    kind: 'replica',
    label: replica.name,
    description: state + restarts,
    tooltip: `Replica ${replica.name} of revision ${revision.name}: ${state}${restarts} (${replica.running_state ?? 'unknown'})`,
    icon,
    color,
    contextValue: 'replica',
    expanded: false,
    children: [],
    replica: replica.name,
  };
}

function revisionNode(revision: RevisionJson): TreeNode {
  let description: string;
  let icon = 'git-commit';
  let color: string | undefined;
  const children = revision.replicas.map((replica) => replicaNode(replica, revision));
  if (!revision.active) {
    description = 'inactive';
    icon = 'circle-slash';
  } else if (scaledToZero(revision)) {
    description = `${revision.traffic_weight} % · scaled to zero`;
    icon = 'debug-pause';
    const [zeroIcon] = REPLICA_ICONS['scaled to zero'];
    children.push({
      id: `replica/${revision.name}/scaled-to-zero`,
      kind: 'note',
      label: 'scaled to zero',
      description: 'no replica runs; the first request starts one (cold start)',
      tooltip: 'No replica runs (minReplicas 0, no requests for a while). The first request waits while a replica starts and loads the model.',
      icon: zeroIcon,
      contextValue: 'note',
      expanded: false,
      children: [],
    });
  } else {
    const health = revision.health_state ? `, ${lower(revision.health_state)}` : '';
    description = `${revision.traffic_weight} % · ${lower(revision.running_state) || 'unknown'}${health}`;
    if (unhealthy(revision)) {
      icon = 'error';
      color = 'testing.iconFailed';
    }
  }
  return {
    id: `revision/${revision.name}`,
    kind: 'revision',
    label: revision.name,
    description,
    tooltip: `Revision ${revision.name}${revision.created ? `, created ${revision.created}` : ''}: ${description}` +
      (revision.release ? ` (release ${revision.release})` : ''),
    icon,
    color,
    contextValue: 'revision',
    expanded: revision.active && revision.traffic_weight > 0,
    children,
  };
}

/** Newest first; a revision without a creation time last. */
function newestFirst(revisions: RevisionJson[]): RevisionJson[] {
  return [...revisions].sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
}

function traffic(revisions: RevisionJson[]): number {
  return revisions.reduce((sum, revision) => sum + (revision.active ? revision.traffic_weight : 0), 0);
}

function releaseNodes(status: StatusJson, releases: ReleaseJson[]): TreeNode[] {
  const byName = new Map(status.revisions.map((revision) => [revision.name, revision]));
  const nodes = [...releases].reverse().map((release): TreeNode => {
    const revisions = newestFirst(
      release.revisions.map((name) => byName.get(name)).filter((revision): revision is RevisionJson => revision !== undefined),
    );
    const share = traffic(revisions);
    const size = `${release.files} file(s), ${(release.bytes / 1e6).toFixed(1)} MB`;
    return {
      id: `release/${release.id}`,
      kind: 'release',
      label: release.id,
      description: release.serving ? `serving · ${share} %` : revisions.some((r) => r.active) ? 'starting · 0 %' : 'kept',
      tooltip: `Release ${release.id}, published ${release.created}: ${size}` +
        (release.folders.length ? ` (${release.folders.join(', ')})` : '') +
        (release.serving ? `; serves ${share} % of the traffic` : '; Roll back to this release brings it back'),
      icon: release.serving ? 'pass-filled' : 'package',
      color: release.serving ? 'testing.iconPassed' : undefined,
      contextValue: release.serving ? 'release.serving' : 'release',
      expanded: release.serving,
      children: revisions.map(revisionNode),
      release: release.id,
    };
  });
  // Revisions that run no release (the one provision started, before the first deploy): shown while one runs.
  const loose = newestFirst(status.revisions.filter((revision) => revision.release === null));
  if (loose.some((revision) => revision.active)) {
    nodes.push(inPlaceNode(loose, 'no release', 'Revisions that run no release (e.g. the one provision started); the next deploy replaces them.'));
  }
  return nodes;
}

function inPlaceNode(revisions: RevisionJson[], label: string, tooltip: string): TreeNode {
  const share = traffic(revisions);
  return {
    id: `release/(${label})`,
    kind: 'release',
    label,
    description: share > 0 ? `serving · ${share} %` : 'inactive',
    tooltip,
    icon: share > 0 ? 'pass-filled' : 'package',
    color: share > 0 ? 'testing.iconPassed' : undefined,
    contextValue: 'release.inPlace',
    expanded: share > 0,
    children: newestFirst(revisions).map(revisionNode),
  };
}

function failing(status: StatusJson): boolean {
  return status.revisions.some(
    (revision) =>
      revision.active &&
      (unhealthy(revision) || revision.replicas.some((replica) => replicaState(replica, revision) === 'failing probes')),
  );
}

function appDescription(status: StatusJson): string {
  if (status.scaled_to_zero) {
    return 'scaled to zero';
  }
  if (status.healthy) {
    return status.serving_release ? `ready on ${status.serving_release}` : 'ready';
  }
  return failing(status) ? 'failing' : 'starting';
}

function appNode(status: StatusJson): TreeNode {
  const children =
    status.releases === null
      ? [inPlaceNode(status.revisions, 'in place on the share',
          'This app runs its code in place on the share: each deploy syncs it and restarts the app (no releases to roll back to).')]
      : releaseNodes(status, status.releases);
  const description = appDescription(status);
  return {
    id: `app/${status.app}`,
    kind: 'app',
    label: status.app,
    description,
    tooltip: `${status.summary}\nEndpoint: ${status.endpoint ?? 'none (no ingress)'}`,
    icon: 'cloud',
    color: description === 'failing' ? 'testing.iconFailed' : undefined,
    contextValue: status.endpoint ? 'app.endpoint' : 'app',
    expanded: true,
    children,
  };
}

function errorNode(error: string): TreeNode {
  const first = error.split('\n')[0] ?? error;
  return {
    id: 'error',
    kind: 'note',
    label: first,
    description: '',
    tooltip: error,
    icon: 'warning',
    color: 'problemsWarningIcon.foreground',
    contextValue: 'note.error',
    expanded: false,
    children: [],
  };
}

const HIDDEN: StatusBarModel = { visible: false, text: '', tooltip: '', command: 'showView', severity: null };

function statusBar(state: AppStateJson): StatusBarModel {
  if (state.workspace === 'none') {
    return HIDDEN;
  }
  const status = state.status;
  const endpoint = status?.endpoint ?? null;
  const open: StatusBarCommand = endpoint ? 'openEndpoint' : 'showView';
  const where = endpoint ? `\n${endpoint}\nClick to open the endpoint (signed in).` : '';
  if (state.activity) {
    const verb = VERBS[state.activity.operation] ?? state.activity.operation;
    return {
      visible: true,
      text: `$(sync~spin) Inference: ${verb} ${state.activity.percentage} %`,
      tooltip: `${state.activity.title}: ${state.activity.message}${where}`,
      command: open,
      severity: null,
    };
  }
  if (state.workspace === 'unprovisioned') {
    return { visible: true, text: '$(cloud) Inference: not provisioned', tooltip: 'Click to provision Azure Container Apps for inference.', command: 'provision', severity: null };
  }
  if (state.error !== null || status === null) {
    return { visible: true, text: '$(warning) Inference: unavailable', tooltip: state.error ?? 'Not read yet.', command: 'showView', severity: 'warning' };
  }
  if (status.releases !== null && status.releases.length === 0) {
    return { visible: true, text: '$(cloud-upload) Inference: not deployed', tooltip: 'Provisioned, never deployed. Click to deploy.', command: 'deploy', severity: null };
  }
  const description = appDescription(status);
  const icons: Readonly<Record<string, string>> = { 'scaled to zero': 'debug-pause', failing: 'error', starting: 'loading~spin' };
  return {
    visible: true,
    text: `$(${icons[description] ?? 'pass'}) Inference: ${description}`,
    tooltip: `${status.summary}${where}`,
    command: open,
    severity: description === 'failing' ? 'error' : null,
  };
}

/** The whole view from one app state; undefined: nothing read yet. */
export function buildAppView(state: AppStateJson | undefined): AppViewModel {
  if (state === undefined) {
    return { welcome: 'loading', roots: [], statusBar: HIDDEN };
  }
  const bar = statusBar(state);
  if (state.workspace !== 'provisioned') {
    return { welcome: 'provision', roots: [], statusBar: bar };
  }
  if (state.error !== null || state.status === null) {
    return { welcome: null, roots: [errorNode(state.error ?? 'The app has not been read yet.')], statusBar: bar };
  }
  if (state.status.releases !== null && state.status.releases.length === 0) {
    return { welcome: 'deploy', roots: [], statusBar: bar };
  }
  return { welcome: null, roots: [appNode(state.status)], statusBar: bar };
}
