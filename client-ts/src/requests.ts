// The daemon's custom requests: it asks, VS Code's UI answers.
import * as vscode from 'vscode';
import { type BaseLanguageClient, ResponseError } from 'vscode-languageclient';

interface QuickPickItemParams {
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  value: unknown;
}

interface QuickPickParams {
  title?: string;
  placeHolder?: string;
  items: QuickPickItemParams[];
}

interface InputBoxParams {
  prompt?: string;
  value?: string;
  password?: boolean;
}

interface AccessTokenParams {
  scopes: string[];
  /** A background read (the app view's poll): a session VS Code already has, never a sign-in prompt. */
  silent?: boolean;
}

interface ClipboardParams {
  text: string;
}

type PickItem = vscode.QuickPickItem & { value: unknown };

/** Single choice; the item marked `picked` starts highlighted. Resolves with null when dismissed. */
function showQuickPick(params: QuickPickParams): Promise<{ value: unknown } | null> {
  const pick = vscode.window.createQuickPick<PickItem>();
  pick.title = params.title;
  pick.placeholder = params.placeHolder;
  pick.ignoreFocusOut = true;
  pick.items = params.items.map((item) => ({
    label: item.label,
    description: item.description,
    detail: item.detail,
    value: item.value,
  }));
  const preselected = params.items.findIndex((item) => item.picked === true);
  if (preselected >= 0) {
    pick.activeItems = [pick.items[preselected] as PickItem];
  }
  return new Promise((resolve) => {
    let answered = false;
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      answered = true;
      resolve(chosen ? { value: chosen.value } : null);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!answered) {
        resolve(null);
      }
      pick.dispose();
    });
    pick.show();
  });
}

async function showInputBox(params: InputBoxParams): Promise<string | null> {
  const answer = await vscode.window.showInputBox({
    prompt: params.prompt,
    value: params.value,
    password: params.password === true,
    ignoreFocusOut: true,
  });
  return answer ?? null;
}

/** Expiry from the JWT's `exp` claim; VS Code's session does not expose it. */
function tokenExpiry(token: string): number {
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof claims.exp === 'number') {
        return claims.exp;
      }
    } catch {
      // not a JWT: fall through to a short, safe lifetime
    }
  }
  return Math.floor(Date.now() / 1000) + 5 * 60;
}

async function getAccessToken(params: AccessTokenParams): Promise<{ token: string; expiresOnTimestamp: number } | null> {
  let session: vscode.AuthenticationSession | undefined;
  if (params.silent === true) {
    session = await vscode.authentication.getSession('microsoft', params.scopes, { silent: true });
    return session ? { token: session.accessToken, expiresOnTimestamp: tokenExpiry(session.accessToken) } : null;
  }
  try {
    session = await vscode.authentication.getSession('microsoft', params.scopes, { createIfNone: true });
  } catch (error) {
    throw new ResponseError(
      -32001,
      `Signing in to Microsoft for ${params.scopes.join(' ')} did not complete: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { token: session.accessToken, expiresOnTimestamp: tokenExpiry(session.accessToken) };
}

export function registerDaemonRequests(client: BaseLanguageClient): vscode.Disposable[] {
  return [
    client.onRequest('acaInference/showQuickPick', showQuickPick),
    client.onRequest('acaInference/showInputBox', showInputBox),
    client.onRequest('acaInference/getAccessToken', getAccessToken),
    client.onRequest('acaInference/copyToClipboard', async (params: ClipboardParams) => {
      await vscode.env.clipboard.writeText(params.text);
      return null;
    }),
  ];
}
