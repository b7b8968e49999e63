// @ts-check
// The extension in a real VS Code (code-server + Debian's chromium driven by playwright), against the daemon
// and the local Azure emulator: what a person sees and clicks, from the command palette to the endpoint.
// Needs: bash client-ts/e2e/install.sh, then `npm run package` (dist/aca-inference.vsix).
// Run:   node --test --test-concurrency=1 client-ts/e2e/
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CACHE, CodeServer, REPO } from './code-server.mjs';
import { Workbench } from './workbench.mjs';

const PYTHON = process.env.ACA_E2E_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
const VSIX = process.env.ACA_E2E_VSIX ?? path.join(REPO, 'dist', 'aca-inference.vsix');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');
const CHANNEL = 'ACA Inference';
const PROVISION = 'AI Toolkit: Provision Azure Container Apps for inference';
const DEPLOY = 'AI Toolkit: Deploy for inference';
const VALIDATE = 'AI Toolkit: Validate inference workspace';
const RESOURCE_GROUP = 'rg-e2e-inference';
const APP_VIEW = 'Inference App';
const RELEASE_ID = /\d{8}-\d{6}-[0-9a-f]{7}/;

/** Runs our CLI with the test's isolated home; returns stdout. */
function cli(/** @type {string[]} */ args, /** @type {string} */ home) {
  const result = spawnSync(PYTHON, ['-m', 'aca_inference.cli', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ACA_INFERENCE_HOME: home },
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(`aca-inference ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Retries an assertion until it holds or the time is up. */
async function eventually(/** @type {() => void | Promise<void>} */ check, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A folder as a person would have it: the infra templates, and the local emulator as the target. */
function sampleWorkspace(/** @type {string} */ root, /** @type {string} */ home) {
  const workspace = path.join(root, 'finetune-project');
  cli(['init', workspace], home);
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    // The old revision's drain (20 s by default) is not what this test looks at.
    JSON.stringify(
      { 'acaInference.target': 'local', 'acaInference.python': PYTHON, 'acaInference.deploy.drainSeconds': 1 },
      null,
      2,
    ),
  );
  return workspace;
}

describe('AI Toolkit inference commands in a real VS Code', { timeout: 20 * 60_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aca-e2e-'));
  const home = path.join(root, 'aca-home');
  /** @type {CodeServer} */
  let codeServer;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').BrowserContext} */
  let context;
  /** @type {Workbench} */
  let workbench;
  /** @type {string} */
  let workspace;
  /** @type {string} */
  let emptyFolder;

  before(async () => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run npm run package first`);
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(home, { recursive: true });
    workspace = sampleWorkspace(root, home);
    emptyFolder = path.join(root, 'empty-folder');
    fs.mkdirSync(emptyFolder);
    codeServer = new CodeServer({
      vsix: VSIX,
      root: path.join(root, 'code-server'),
      // pip's cache outlives the run, so the one-time Python setup above costs seconds on later runs.
      env: { ACA_INFERENCE_HOME: home, PIP_CACHE_DIR: path.join(CACHE, 'pip') },
      userSettings: {
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'chat.disableAIFeatures': true,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
      },
    });
    await codeServer.start();
    browser = await chromium.launch({ executablePath: codeServer.tools.chromium, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    workbench = new Workbench(await context.newPage(), ARTIFACTS);
  });

  after(async () => {
    await workbench?.screenshot('zz-final').catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await codeServer?.stop();
    // The daemon starts the emulator detached (it outlives a window by design): stop it by its data dir.
    spawnSync(PYTHON, ['-m', 'aca_inference.cli', 'emulator', 'stop'], {
      env: { ...process.env, ACA_INFERENCE_HOME: home },
      timeout: 60_000,
    });
    if (codeServer) {
      fs.writeFileSync(path.join(ARTIFACTS, 'aca-inference-output.log'), codeServer.outputChannelLog(CHANNEL));
      fs.copyFileSync(codeServer.logFile, path.join(ARTIFACTS, 'code-server.log'));
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('with no interpreter configured, a palette command sets up Python once, starts the daemon and answers', async () => {
    // A folder without infra/ does not activate the extension: the command itself must, before any daemon runs.
    await workbench.openFolder(codeServer.url, emptyFolder);
    assert.doesNotMatch(codeServer.outputChannelLog(CHANNEL), /Starting the daemon/);
    await workbench.runCommand(VALIDATE);
    await workbench.waitForNotification(/setting up its Python environment/, { timeout: 30_000 });
    await workbench.screenshot('01-python-environment-setup');
    const answer = await workbench.waitForNotification(/inference workspace has \d+ problem|failed|could not/, { timeout: 5 * 60_000 });
    await workbench.screenshot('02-validate-empty-folder');
    assert.match(await answer.innerText(), /inference workspace has \d+ problem/);
    const log = codeServer.outputChannelLog(CHANNEL);
    assert.match(log, /-m pip install .*daemon-source/);
    assert.match(log, /Starting the daemon: \S+python-env\S+ -m aca_inference\.lsp/);
    assert.match(log, /inference\.parameters\.json/);
    assert.doesNotMatch(log, /command '.*' not found/);
  });

  test('an interpreter that cannot run gets one message with the fix, and no daemon start loop', async () => {
    const folder = path.join(root, 'bad-python-folder');
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    const missing = path.join(root, 'no-such-python', 'bin', 'python3');
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'acaInference.python': missing }));
    await workbench.openFolder(codeServer.url, folder);
    const before = codeServer.outputChannelLog(CHANNEL).split('Starting the daemon').length;
    for (let run = 1; run <= 2; run += 1) {
      await workbench.runCommand(VALIDATE);
      const toast = await workbench.waitForNotification(/could not be run/);
      const text = await toast.innerText();
      assert.match(text, new RegExp(`acaInference\\.python is "${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
      assert.match(text, /Set acaInference\.python to a Python 3\.11\+ interpreter/);
      assert.ok(await toast.locator('.monaco-button', { hasText: 'Open Settings' }).count());
      await workbench.screenshot(`03-missing-python-run-${run}`);
      await toast.locator('.codicon-notifications-clear, .codicon-close').first().click();
    }
    assert.equal(codeServer.outputChannelLog(CHANNEL).split('Starting the daemon').length, before, 'no daemon was started');
  });

  test('opening an inference workspace starts the daemon; validate reports it valid', async () => {
    await workbench.openFolder(codeServer.url, workspace);
    // Activation on workspaceContains:infra/provision/inference.parameters.json starts the daemon up front.
    await eventually(() => assert.match(codeServer.outputChannelLog(CHANNEL), /from acaInference\.python\)\n.*Starting the daemon/));
    await workbench.runCommand(VALIDATE);
    await workbench.waitForNotification(/The inference workspace is valid/);
    await workbench.screenshot('04-validate-sample-workspace');
  });

  test('before provisioning, the Inference App view offers Provision and the status bar says not provisioned', async () => {
    const pane = await workbench.showViewPane(APP_VIEW);
    await pane.locator('.welcome-view-content .monaco-button', { hasText: 'Provision' }).waitFor({ timeout: 60_000 });
    await workbench.statusBarItem(/Inference: not provisioned/).waitFor({ timeout: 60_000 });
    await workbench.screenshot('04b-app-view-provision');
  });

  test('provision answers the pickers, shows progress and writes infra/inference.config.json', async () => {
    await workbench.runCommand(PROVISION);
    await workbench.pick(/subscription for inference/, 'Local emulator subscription', { screenshot: '05-provision-subscription-pick' });
    await workbench.pick(/resource group for inference/, 'Create new resource group', { screenshot: '06-provision-resource-group-pick' });
    await workbench.answerInputBox(/Name of the new resource group/, RESOURCE_GROUP);
    await workbench.answerInputBox(/Location of the new resource group/, 'westus3');
    await workbench.screenshot('07-provision-plan-confirmation');
    await workbench.clickNotificationButton(/Provision will create or update/, 'Provision');
    const progress = await workbench.waitForNotification(/Provisioning Azure Container Apps for inference/);
    await workbench.screenshot('08-provision-progress');
    assert.ok(await progress.locator('.monaco-button', { hasText: 'Cancel' }).count(), 'the progress notification can be cancelled');
    await workbench.waitForNotification(/Provisioned .* Endpoint http/, { timeout: 5 * 60_000 });
    await workbench.screenshot('09-provision-done');

    const config = JSON.parse(fs.readFileSync(path.join(workspace, 'infra', 'inference.config.json'), 'utf8'));
    assert.equal(config.RESOURCE_GROUP_NAME, RESOURCE_GROUP);
    for (const key of ['SUBSCRIPTION_ID', 'STORAGE_ACCOUNT_NAME', 'FILE_SHARE_NAME', 'ACA_APP_NAME', 'ACA_APP_ENDPOINT']) {
      assert.ok(config[key], `inference.config.json has ${key}`);
    }
  });

  test('provisioned and never deployed, the view offers Deploy and the status bar says not deployed', async () => {
    const pane = await workbench.showViewPane(APP_VIEW);
    await pane.locator('.welcome-view-content .monaco-button', { hasText: 'Deploy' }).waitFor({ timeout: 60_000 });
    await workbench.statusBarItem(/Inference: not deployed/).waitFor({ timeout: 60_000 });
    await workbench.screenshot('09b-app-view-deploy');
  });

  test('deploy ends with "Go to Inference Endpoint", which opens the endpoint in the browser', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(workspace, 'infra', 'inference.config.json'), 'utf8'));
    // A fine-tuning job leaves the model on the share; here the offline demo model stands in for it, written
    // where the emulator's Files service keeps that share's files: <data_dir>/shares/<account>/<share>/.
    const share = path.join(home, 'emulator', 'shares', config.STORAGE_ACCOUNT_NAME, config.FILE_SHARE_NAME);
    assert.ok(fs.existsSync(share), `provision created the share's directory ${share}`);
    cli(['make-demo-model', '--output', share], home);
    await workbench.runCommand(DEPLOY);
    await workbench.waitForNotification(/Deploying for inference/);
    await workbench.screenshot('10-deploy-progress');
    const ready = await workbench.waitForNotification(/Inference endpoint is ready/, { timeout: 15 * 60_000 });
    await workbench.screenshot('11-deploy-endpoint-ready');
    const popup = context.waitForEvent('page', { timeout: 30_000 });
    await ready.locator('.monaco-button', { hasText: 'Go to Inference Endpoint' }).click();
    const opened = await popup;
    await opened.waitForURL(/^https?:/, { timeout: 30_000 });
    const endpoint = new URL(config.ACA_APP_ENDPOINT);
    // env.openExternal in a browser-hosted VS Code: code-server forwards a loopback URL through its own
    // port proxy (the browser may be on another machine); desktop VS Code opens the URL itself.
    const forwarded = new URL(`/proxy/${endpoint.port}${endpoint.pathname}`, codeServer.url).href;
    assert.ok(
      [endpoint.href, forwarded].some((expected) => opened.url().startsWith(expected)),
      `the browser opened ${opened.url()}; expected the endpoint ${endpoint.href} (or code-server's forward ${forwarded})`,
    );
    fs.writeFileSync(path.join(ARTIFACTS, 'opened-url.txt'), `${opened.url()}\n`);
    await opened.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
    await opened.screenshot({ path: path.join(ARTIFACTS, '12-endpoint-opened-by-go-to-inference-endpoint.png') });
    const health = await fetch(new URL('/health', endpoint));
    assert.equal(health.status, 200, 'the endpoint answers /health');
    // The same endpoint as a browser on this machine shows it (the Gradio UI).
    const direct = await context.newPage();
    await direct.goto(endpoint.href, { waitUntil: 'networkidle', timeout: 60_000 }).catch(() => undefined);
    await direct.screenshot({ path: path.join(ARTIFACTS, '12b-endpoint-in-browser.png') });
  });

  /** The release the first deploy made: Roll back to this release brings it back at the end. */
  let firstRelease = '';

  test('after the deploy the view shows the app, its serving release marked, and the status bar says ready on it', async () => {
    const pane = await workbench.showViewPane(APP_VIEW);
    const serving = workbench.treeRow(pane, /serving · 100 %/);
    await serving.waitFor({ timeout: 60_000 });
    firstRelease = ((await serving.textContent()) ?? '').match(RELEASE_ID)?.[0] ?? '';
    assert.ok(firstRelease, `the serving row names its release: ${await serving.textContent()}`);
    const config = JSON.parse(fs.readFileSync(path.join(workspace, 'infra', 'inference.config.json'), 'utf8'));
    await workbench.treeRow(pane, new RegExp(`${config.ACA_APP_NAME}.*ready on ${firstRelease}`)).waitFor({ timeout: 30_000 });
    await workbench.statusBarItem(new RegExp(`Inference: ready on ${firstRelease}`)).waitFor({ timeout: 30_000 });
    await workbench.screenshot('12c-app-view-serving-release');
  });

  test('the output panel shows the progress lines and the endpoint URL', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(workspace, 'infra', 'inference.config.json'), 'utf8'));
    const visible = await workbench.showOutputChannel(CHANNEL);
    await workbench.screenshot('13-output-panel');
    assert.match(visible, new RegExp(`Inference endpoint: ${config.ACA_APP_ENDPOINT}`));
    const log = codeServer.outputChannelLog(CHANNEL);
    assert.match(log, /Provisioning Azure Container Apps for inference: /);
    assert.match(log, /Deploying for inference: Waiting for release \d{8}-\d{6}-[0-9a-f]{7} to answer on /);
    assert.match(log, new RegExp(`Inference endpoint: ${config.ACA_APP_ENDPOINT}`));
  });
  test('Cancel on the deploy progress notification stops the deploy (window/workDoneProgress/cancel)', async () => {
    // Changed code: the deploy restarts the app and waits for it (unchanged code would only reload adapters).
    fs.writeFileSync(path.join(workspace, 'inference', 'e2e-change.txt'), `deploy ${Date.now()}\n`);
    await workbench.runCommand(DEPLOY);
    const progress = await workbench.waitForNotification(/Deploying for inference.*Waiting for/, { timeout: 3 * 60_000 });
    await workbench.screenshot('14-deploy-waiting-cancel-offered');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await workbench.waitForNotification(/Deploy cancelled/, { timeout: 60_000 });
    await workbench.screenshot('15-deploy-cancelled');
    await eventually(() => assert.match(codeServer.outputChannelLog(CHANNEL), /Deploy cancelled/));
  });

  /** Waits for the row, or fails at once with the error toast of an operation that failed. */
  async function untilShownOrFailed(/** @type {import('playwright-core').Locator} */ row, /** @type {number} */ timeout) {
    const failed = workbench.notification(/did not start|failed|could not|Unexpected error/);
    await row.or(failed).first().waitFor({ timeout });
    if (!(await row.isVisible())) {
      throw new Error(`the operation failed: ${await failed.textContent().catch(() => '?')}`);
    }
  }

  test('a second deploy adds a release and moves the marker; "Roll back to this release" brings the first back; the status bar follows', async () => {
    assert.ok(firstRelease, 'the first deploy\'s release is known');
    await workbench.runCommand('Notifications: Clear All Notifications');
    const pane = await workbench.showViewPane(APP_VIEW);
    fs.writeFileSync(path.join(workspace, 'inference', 'e2e-change.txt'), `second deploy ${Date.now()}\n`);
    await workbench.runCommand(DEPLOY);
    // The daemon pushes the deploy's progress: the status bar counts it.
    await workbench.statusBarItem(/Inference: deploying \d+ %/).waitFor({ timeout: 2 * 60_000 });
    await workbench.screenshot('16-status-bar-deploying');
    const moved = pane.locator('.monaco-list-row', { hasText: /serving · 100 %/ }).filter({ hasNotText: firstRelease });
    await untilShownOrFailed(moved.first(), 10 * 60_000);
    const secondRelease = ((await moved.first().textContent()) ?? '').match(RELEASE_ID)?.[0] ?? '';
    assert.ok(secondRelease && secondRelease !== firstRelease, `a new release serves: ${secondRelease}`);
    const first = workbench.treeRow(pane, new RegExp(firstRelease));
    await eventually(async () => assert.doesNotMatch((await first.textContent()) ?? '', /serving/), 60_000);
    await workbench.statusBarItem(new RegExp(`Inference: ready on ${secondRelease}`)).waitFor({ timeout: 60_000 });
    const rows = await workbench.treeRows(pane);
    const order = rows.map((row) => row.match(RELEASE_ID)?.[0]).filter((id) => id !== undefined);
    assert.ok(order.indexOf(secondRelease) < order.indexOf(firstRelease), `newest first: ${order.join(', ')}`);
    await workbench.screenshot('17-app-view-second-release-serving');

    const rollback = await workbench.contextMenu(first, 'Roll back to this release');
    await workbench.screenshot('18-app-view-context-menu-roll-back');
    await rollback.click();
    await untilShownOrFailed(workbench.treeRow(pane, new RegExp(`${firstRelease}.*serving · 100 %`)), 5 * 60_000);
    await workbench.statusBarItem(new RegExp(`Inference: ready on ${firstRelease}`)).waitFor({ timeout: 60_000 });
    const second = workbench.treeRow(pane, new RegExp(secondRelease));
    await eventually(async () => assert.doesNotMatch((await second.textContent()) ?? '', /serving/), 60_000);
    await workbench.screenshot('19-app-view-rolled-back');
    assert.match(codeServer.outputChannelLog(CHANNEL), new RegExp(`${firstRelease}`));
  });
});
