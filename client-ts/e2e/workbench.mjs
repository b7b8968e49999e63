// @ts-check
// What a person does in the VS Code window, through the page playwright drives: the command palette, quick
// picks, input boxes, notifications and their buttons, the output panel, screenshots.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Locator} Locator */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Turns a literal into a RegExp that matches it anywhere. */
const literal = (/** @type {string} */ text) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

export class Workbench {
  /**
   * @param {Page} page
   * @param {string} artifactsDir
   */
  constructor(page, artifactsDir) {
    this.page = page;
    this.artifactsDir = artifactsDir;
    fs.mkdirSync(artifactsDir, { recursive: true });
  }

  /** Opens a folder (a new window: a fresh extension host) and waits for the workbench. */
  async openFolder(/** @type {string} */ baseUrl, /** @type {string} */ folder) {
    await this.page.goto(`${baseUrl}/?folder=${encodeURIComponent(folder)}`);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await this.page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 90_000 });
  }

  async screenshot(/** @type {string} */ name) {
    const file = path.join(this.artifactsDir, `${name}.png`);
    await sleep(500); // let toasts and quick inputs finish their fade-in
    await this.page.screenshot({ path: file });
    return file;
  }

  get quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * Runs a palette command by its full title ("AI Toolkit: Deploy for inference"). The palette can open before
   * the extension's commands are listed, so it is reopened until the command shows.
   */
  async runCommand(/** @type {string} */ title, { timeout = 60_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (let attempt = 1; ; attempt += 1) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      const input = this.quickInput.locator('input');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`);
        const row = this.quickInput.locator('.monaco-list-row', { hasText: literal(title) }).first();
        await row.waitFor({ state: 'visible', timeout: 5_000 });
        await row.click();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          await this.screenshot(`palette-failed-${title.replace(/\W+/g, '-')}`);
          throw new Error(`"${title}" did not show in the command palette after ${attempt} tries`, { cause: error });
        }
        await sleep(1_000);
      }
    }
  }

  /** Waits for a quick pick whose title or placeholder matches, then chooses the item with that label. */
  async pick(/** @type {RegExp} */ title, /** @type {string} */ label, { timeout = 60_000, screenshot = '' } = {}) {
    const widget = this.quickInput.filter({ has: this.page.locator('.quick-input-title', { hasText: title }) });
    await widget.waitFor({ state: 'visible', timeout });
    const row = widget.locator('.monaco-list-row', { hasText: literal(label) }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    if (screenshot) {
      await this.screenshot(screenshot);
    }
    await row.click();
    await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  }

  /** The items a visible quick pick lists (their aria labels). */
  async quickPickItems() {
    return this.quickInput.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
  }

  /** Waits for an input box with that prompt and answers it. Returns the input's type (password or text). */
  async answerInputBox(/** @type {RegExp} */ prompt, /** @type {string} */ value, { timeout = 60_000 } = {}) {
    const widget = this.quickInput.filter({ has: this.page.locator('.quick-input-message', { hasText: prompt }) });
    await widget.waitFor({ state: 'visible', timeout });
    const input = widget.locator('.quick-input-box input');
    const type = (await input.getAttribute('type')) ?? 'text';
    await input.fill(value);
    await input.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    return type;
  }

  /** A notification toast whose text matches. */
  notification(/** @type {RegExp} */ text) {
    return this.page.locator('.notification-toast', { hasText: text }).first();
  }

  async waitForNotification(/** @type {RegExp} */ text, { timeout = 60_000 } = {}) {
    const toast = this.notification(text);
    await toast.waitFor({ state: 'visible', timeout });
    return toast;
  }

  /** Clicks a button (e.g. "Provision", "Go to Inference Endpoint") on the notification that matches. */
  async clickNotificationButton(/** @type {RegExp} */ text, /** @type {string} */ button, { timeout = 60_000 } = {}) {
    const toast = await this.waitForNotification(text, { timeout });
    await toast.locator('.monaco-button', { hasText: literal(button) }).first().click();
  }

  /** Texts of the visible notification toasts. */
  async notificationTexts() {
    return this.page.locator('.notification-toast').evaluateAll((toasts) => toasts.map((toast) => toast.textContent ?? ''));
  }

  /** Shows an output channel in the panel and returns the text of its visible lines. */
  async showOutputChannel(/** @type {string} */ name) {
    await this.runCommand('Output: Show Output Channels...');
    const row = this.quickInput.locator('.monaco-list-row', { hasText: literal(name) }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const lines = this.page.locator('.part.panel .monaco-editor .view-lines');
    await lines.first().waitFor({ state: 'visible', timeout: 10_000 });
    return this.outputPanelText();
  }

  /** A view pane of the side bar (e.g. the Explorer's "Inference App"), expanded, the Explorer's folder pane collapsed. */
  async showViewPane(/** @type {string} */ title, { timeout = 60_000 } = {}) {
    const header = this.page.locator('.pane-header', { hasText: literal(title) }).first();
    await header.waitFor({ state: 'visible', timeout });
    const folders = this.page.locator('.pane-header[aria-expanded="true"]', { has: this.page.locator('.title', { hasText: /./ }) })
      .filter({ hasNot: this.page.locator('.title', { hasText: literal(title) }) });
    for (const other of await folders.all()) {
      await other.click().catch(() => undefined);
    }
    if ((await header.getAttribute('aria-expanded')) !== 'true') {
      await header.click();
    }
    const pane = this.page.locator('.pane', { has: header });
    await pane.locator('.pane-body').waitFor({ state: 'visible', timeout: 10_000 });
    return pane;
  }

  /** A row of a tree in that pane whose text (label and description) matches. */
  treeRow(/** @type {Locator} */ pane, /** @type {RegExp} */ text) {
    return pane.locator('.monaco-list-row', { hasText: text }).first();
  }

  /** The texts of a pane's tree rows (label and description), top to bottom. */
  async treeRows(/** @type {Locator} */ pane) {
    return pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => (row.textContent ?? '').replace(/\s+/g, ' ').trim()));
  }

  /** Right-clicks the row and chooses the context-menu item with that label. */
  async contextMenu(/** @type {Locator} */ row, /** @type {string} */ item) {
    await row.click({ button: 'right' });
    const entry = this.page.locator('.monaco-menu .action-item', { hasText: literal(item) }).first();
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    return entry;
  }

  /** The status bar item whose text matches. */
  statusBarItem(/** @type {RegExp} */ text) {
    return this.page.locator('.statusbar-item', { hasText: text }).first();
  }

  /** The output panel's visible lines (the editor renders spaces as no-break spaces: normalized here). */
  async outputPanelText() {
    const text = await this.page.locator('.part.panel .monaco-editor .view-lines').first().innerText();
    return text.replace(/\u00a0/g, ' ');
  }
}
