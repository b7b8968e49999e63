// Server-initiated work-done progress as a NOTIFICATION with a cancel button. The language client's own
// rendering is a status-bar item, easy to miss during a provision or deploy that runs for minutes.
// Registered as a feature after the built-in ones, so its create handler wins on every (re)start.
import * as vscode from 'vscode';
import {
  type BaseLanguageClient,
  type ClientCapabilities,
  type FeatureState,
  type StaticFeature,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressReport,
  type ProgressToken,
} from 'vscode-languageclient';

class NotificationProgress {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  private finish: (() => void) | undefined;
  private reported = 0;
  private ended = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly token: ProgressToken,
    private readonly onEnd: (part: NotificationProgress) => void,
  ) {
    this.subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
      switch (value.kind) {
        case 'begin':
          this.begin(value);
          break;
        case 'report':
          this.report(value);
          break;
        case 'end':
          this.end();
          break;
      }
    });
  }

  private begin(params: WorkDoneProgressBegin): void {
    if (this.ended) {
      return;
    }
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: params.title, cancellable: params.cancellable ?? false },
      (progress, cancellation) => {
        this.progress = progress;
        const cancelled = cancellation.onCancellationRequested(() => {
          void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: this.token });
        });
        this.report(params);
        return new Promise<void>((resolve) => {
          this.finish = () => {
            cancelled.dispose();
            resolve();
          };
          if (this.ended) {
            this.finish();
          }
        });
      },
    );
  }

  private report(params: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    let increment: number | undefined;
    if (typeof params.percentage === 'number') {
      const percentage = Math.max(0, Math.min(params.percentage, 100));
      increment = Math.max(0, percentage - this.reported);
      this.reported += increment;
    }
    this.progress?.report({ message: params.message, increment });
  }

  end(): void {
    this.ended = true;
    this.subscription.dispose();
    this.finish?.();
    this.onEnd(this);
  }
}

export class NotificationProgressFeature implements StaticFeature {
  private readonly active = new Set<NotificationProgress>();

  constructor(private readonly client: BaseLanguageClient) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.active.add(new NotificationProgress(this.client, token, (part) => this.active.delete(part)));
    });
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  clear(): void {
    for (const part of [...this.active]) {
      part.end();
    }
  }
}
