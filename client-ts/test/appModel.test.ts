// The Inference App view and the status bar item, from the daemon's app state. The fixtures are results the
// status operation returned against the local emulator (our app provisioned, before its first deploy; the same
// after two deploys; an app that runs its code in place after two deploys); the other states are built from
// them, as the daemon would send them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AppStateJson,
  buildAppView,
  type ReleaseJson,
  replicaState,
  type RevisionJson,
  type StatusJson,
  type TreeNode,
} from '../src/appModel';
import neverDeployedJson from './fixtures/status-never-deployed.json';
import inPlaceJson from './fixtures/status-in-place.json';
import twoReleasesJson from './fixtures/status-two-releases.json';

const neverDeployed = neverDeployedJson as unknown as StatusJson;
const twoReleases = twoReleasesJson as unknown as StatusJson;
const inPlace = inPlaceJson as unknown as StatusJson;

function copy<T>(value: T): T {
  return structuredClone(value);
}

function provisioned(status: StatusJson, extra: Partial<AppStateJson> = {}): AppStateJson {
  return { workspace: 'provisioned', status, error: null, activity: null, read_at: 1, ...extra };
}

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected one item, got ${items.length}`);
  return items[0] as T;
}

function child(node: TreeNode, label: string): TreeNode {
  const found = node.children.find((item) => item.label === label);
  assert.ok(found, `${node.label} has no child ${label}; it has ${node.children.map((item) => item.label).join(', ')}`);
  return found;
}

const releaseIds = (status: StatusJson): string[] => (status.releases ?? []).map((release: ReleaseJson) => release.id);
const activeRevision = (status: StatusJson): RevisionJson => only(status.revisions.filter((revision) => revision.active));

describe('empty states say what to do next', () => {
  test('before the daemon has answered, the view says it is reading and the status bar is hidden', () => {
    const view = buildAppView(undefined);
    assert.equal(view.welcome, 'loading');
    assert.deepEqual(view.roots, []);
    assert.equal(view.statusBar.visible, false);
  });

  test('a folder that is not an inference workspace shows no status bar item', () => {
    const view = buildAppView({ workspace: 'none', status: null, error: null, activity: null, read_at: 1 });
    assert.equal(view.statusBar.visible, false);
    assert.deepEqual(view.roots, []);
  });

  test('without infra/inference.config.json the view offers Provision, and so does the status bar', () => {
    const view = buildAppView({ workspace: 'unprovisioned', status: null, error: null, activity: null, read_at: 1 });
    assert.equal(view.welcome, 'provision');
    assert.deepEqual(view.roots, []);
    assert.equal(view.statusBar.visible, true);
    assert.match(view.statusBar.text, /not provisioned/);
    assert.equal(view.statusBar.command, 'provision');
  });

  test('provisioned but never deployed: the view offers Deploy, and so does the status bar', () => {
    assert.deepEqual(neverDeployed.releases, []);
    const view = buildAppView(provisioned(neverDeployed));
    assert.equal(view.welcome, 'deploy');
    assert.deepEqual(view.roots, []);
    assert.match(view.statusBar.text, /not deployed/);
    assert.equal(view.statusBar.command, 'deploy');
  });

  test('an app that cannot be read shows why (first line) in the tree and a warning in the status bar', () => {
    const error = 'Not signed in to Azure: sign in with the Accounts menu (Microsoft account), then run the command again.\nmore';
    const view = buildAppView({ workspace: 'provisioned', status: null, error, activity: null, read_at: 1 });
    assert.equal(view.welcome, null);
    const note = only(view.roots);
    assert.equal(note.kind, 'note');
    assert.match(note.label, /^Not signed in to Azure/);
    assert.doesNotMatch(note.label, /more/);
    assert.equal(note.tooltip, error);
    assert.match(view.statusBar.text, /unavailable/);
    assert.equal(view.statusBar.severity, 'warning');
  });
});

describe('app -> releases -> revisions -> replicas', () => {
  const view = buildAppView(provisioned(twoReleases));
  const app = only(view.roots);
  const [older, newer] = releaseIds(twoReleases) as [string, string];

  test('the app is the root, named, with its endpoint and the actions of an app with one', () => {
    assert.equal(view.welcome, null);
    assert.equal(app.label, twoReleases.app);
    assert.equal(app.contextValue, 'app.endpoint');
    assert.match(app.tooltip, new RegExp(twoReleases.endpoint ?? 'no endpoint'));
    assert.equal(app.description, `ready on ${newer}`);
  });

  test('releases are listed newest first, the serving one marked with its traffic share', () => {
    assert.deepEqual(app.children.map((node) => node.label), [newer, older]);
    const serving = child(app, newer);
    assert.equal(serving.description, 'serving · 100 %');
    assert.equal(serving.contextValue, 'release.serving');
    assert.equal(serving.icon, 'pass-filled');
    const kept = child(app, older);
    assert.equal(kept.description, 'kept');
    assert.equal(kept.contextValue, 'release', 'a kept release offers Roll back to this release');
    assert.equal(kept.release, older);
  });

  test("each release lists the revisions that ran it, and each active revision its replicas with their state", () => {
    const serving = child(app, newer);
    const revision = only(serving.children);
    assert.equal(revision.label, activeRevision(twoReleases).name);
    assert.equal(revision.description, '100 % · running, healthy');
    const replica = only(revision.children);
    assert.equal(replica.kind, 'replica');
    assert.equal(replica.description, 'running');
    assert.equal(replica.contextValue, 'replica', 'a replica offers Show logs of this replica');
    assert.equal(replica.replica, only(activeRevision(twoReleases).replicas).name);
    const old = only(child(app, older).children);
    assert.equal(old.description, 'inactive');
    assert.deepEqual(old.children, []);
  });

  test('the revision provision started (no release) is not listed once it stopped', () => {
    assert.ok(twoReleases.revisions.some((revision) => revision.release === null && !revision.active));
    assert.equal(app.children.length, 2);
  });

  test('ids are stable between reads, so what the user expanded stays expanded', () => {
    const again = only(buildAppView(provisioned(copy(twoReleases))).roots);
    assert.deepEqual(again.children.map((node) => node.id), app.children.map((node) => node.id));
    assert.equal(new Set(again.children.map((node) => node.id)).size, again.children.length);
  });

  test('the status bar says the endpoint is ready on the serving release, and a click opens it', () => {
    assert.equal(view.statusBar.visible, true);
    assert.equal(view.statusBar.text, `$(pass) Inference: ready on ${newer}`);
    assert.equal(view.statusBar.command, 'openEndpoint');
    assert.equal(view.statusBar.severity, null);
  });
});

describe('what the app is doing', () => {
  test('a deploy in flight: a new release starting at 0 % beside the serving one, the status bar says deploying n %', () => {
    const status = copy(twoReleases);
    const starting: RevisionJson = {
      ...copy(activeRevision(status)),
      name: `${status.app}--r-next`,
      release: 'next-release',
      created: '2099-01-01T00:00:00Z',
      traffic_weight: 0,
      running_state: 'Activating',
      health_state: 'None',
      replicas: [{ name: 'next-replica', running_state: 'Running', ready: false, restart_count: 0 }],
    };
    status.revisions.push(starting);
    (status.releases ?? []).push({ ...copy((status.releases ?? [])[0] as ReleaseJson), id: 'next-release', serving: false, revisions: [starting.name], active: true });
    const view = buildAppView(provisioned(status, { activity: { operation: 'deploy', title: 'Deploying for inference', message: 'Waiting', percentage: 45 } }));
    const app = only(view.roots);
    const next = app.children[0];
    assert.ok(next);
    assert.equal(next.label, 'next-release');
    assert.equal(next.description, 'starting · 0 %');
    assert.equal(only(only(next.children).children).description, 'starting');
    assert.equal(view.statusBar.text, '$(sync~spin) Inference: deploying 45 %');
    assert.equal(view.statusBar.command, 'openEndpoint');
  });

  test('a rollback in flight reads "rolling back"', () => {
    const view = buildAppView(provisioned(twoReleases, { activity: { operation: 'rollback', title: 'Rolling back', message: '', percentage: 70 } }));
    assert.equal(view.statusBar.text, '$(sync~spin) Inference: rolling back 70 %');
  });

  test('a replica that restarts without getting ready is failing its probes; the app and the status bar say failing', () => {
    const status = copy(twoReleases);
    const revision = activeRevision(status);
    revision.health_state = 'Unhealthy';
    revision.replicas = [{ name: 'sick', running_state: 'Running', ready: false, restart_count: 3 }];
    status.healthy = false;
    const view = buildAppView(provisioned(status));
    const app = only(view.roots);
    const replica = only(only(child(app, status.serving_release ?? '').children).children);
    assert.equal(replica.description, 'failing probes, 3 restart(s)');
    assert.equal(app.description, 'failing');
    assert.equal(view.statusBar.text, '$(error) Inference: failing');
    assert.equal(view.statusBar.severity, 'error');
  });

  test('a replica not ready yet and never restarted is starting; one that restarted is failing its probes', () => {
    const revision = copy(activeRevision(twoReleases));
    assert.equal(replicaState({ name: 'r', running_state: 'Running', ready: false, restart_count: 0 }, revision), 'starting');
    assert.equal(replicaState({ name: 'r', running_state: 'Running', ready: true, restart_count: 2 }, revision), 'running');
    assert.equal(replicaState({ name: 'r', running_state: 'Running', ready: false, restart_count: 2 }, revision), 'failing probes',
      'restarting while the revision still counts as healthy is a probe failing');
  });

  test('scaled to zero: the revision says so where its replicas would be, and so does the status bar', () => {
    const status = copy(twoReleases);
    const revision = activeRevision(status);
    revision.running_state = 'ScaledToZero';
    revision.replicas = [];
    status.scaled_to_zero = true;
    status.healthy = false;
    const view = buildAppView(provisioned(status));
    const node = only(child(only(view.roots), status.serving_release ?? '').children);
    assert.equal(node.description, '100 % · scaled to zero');
    assert.equal(only(node.children).label, 'scaled to zero');
    assert.equal(view.statusBar.text, '$(debug-pause) Inference: scaled to zero');
    assert.equal(view.statusBar.command, 'openEndpoint');
  });
});

describe("an app that runs its code in place (an AI Toolkit project's own)", () => {
  const view = buildAppView(provisioned(inPlace));
  const app = only(view.roots);

  test('one "in place" release holds its revision, serving with its share, and offers no roll back', () => {
    assert.equal(inPlace.releases, null);
    const node = only(app.children);
    assert.equal(node.label, 'in place on the share');
    assert.equal(node.description, 'serving · 100 %');
    assert.equal(node.contextValue, 'release.inPlace');
    const revision = only(node.children);
    assert.equal(revision.label, activeRevision(inPlace).name);
    assert.equal(revision.description, '100 % · running, healthy');
    assert.equal(only(revision.children).description, 'running');
  });

  test('after a change of its bicep made a new revision, the revisions are listed newest first', () => {
    const status = copy(inPlace);
    const older: RevisionJson = { ...copy(activeRevision(status)), name: `${status.app}--older`, active: false,
      traffic_weight: 0, created: '2000-01-01T00:00:00Z', replicas: [] };
    status.revisions.unshift(older);
    const node = only(only(buildAppView(provisioned(status)).roots).children);
    assert.deepEqual(node.children.map((revision) => revision.label), [activeRevision(status).name, older.name]);
  });

  test('the status bar says ready (no release to name) and opens the endpoint', () => {
    assert.equal(view.statusBar.text, '$(pass) Inference: ready');
    assert.equal(view.statusBar.command, 'openEndpoint');
  });
});
