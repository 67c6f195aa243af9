// The daemonlint extension: runs `daemonlint lsp` for YAML and JSON files. Diagnostics, quick
// fixes, suppress actions and hover docs come from the server; the extension finds the binary,
// passes the settings, and adds commands and a status bar item.

import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { findServer, initializationOptions, readSettings, SERVER_ARGS } from './discovery';

/** The server's "fix every safe finding" code action kind. */
const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('daemonlint');
const RULE_DOCS = 'https://github.com/daemonlint/daemonlint/blob/main/rules/';
const RULE_ID = /^[a-z0-9][a-z0-9-]*$/;

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let extensionPath = '';
/** Serializes start, stop and restart. */
let queue: Promise<void> = Promise.resolve();

function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task, task);
  return queue;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPath = context.extensionPath;
  output = vscode.window.createOutputChannel('daemonlint', { log: true });
  status = vscode.window.createStatusBarItem('daemonlint.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'daemonlint';
  status.command = 'daemonlint.showOutput';
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('daemonlint.restartServer', () =>
      enqueue(async () => {
        await stopServer();
        await startServer();
      }),
    ),
    vscode.commands.registerCommand('daemonlint.fixAll', fixAll),
    vscode.commands.registerCommand('daemonlint.openRuleDocs', openRuleDocs),
    vscode.commands.registerCommand('daemonlint.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const relevant = ['enable', 'path', 'configurationFile'].some((key) =>
        e.affectsConfiguration(`daemonlint.${key}`),
      );
      if (relevant) {
        void enqueue(async () => {
          await stopServer();
          await startServer();
        });
      }
    }),
  );
  await enqueue(startServer);
}

export function deactivate(): Promise<void> {
  return enqueue(stopServer);
}

function firstFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
}

function setStatus(icon: string, tooltip: string, error = false): void {
  status.text = `${icon} daemonlint`;
  status.tooltip = tooltip;
  status.backgroundColor = error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  status.show();
}

async function startServer(): Promise<void> {
  const settings = readSettings((key) => vscode.workspace.getConfiguration('daemonlint').get(key));
  if (!settings.enable) {
    setStatus('$(circle-slash)', 'daemonlint is disabled (setting `daemonlint.enable`)');
    return;
  }
  const folder = firstFolder();
  const found = findServer({ configuredPath: settings.path, extensionPath, workspaceFolder: folder });
  if (!found.ok) {
    output.error(found.message);
    setStatus('$(error)', found.message, true);
    const choice = await vscode.window.showErrorMessage(found.message, 'Open Settings');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'daemonlint.path');
    }
    return;
  }
  output.info(`Starting ${found.path} ${SERVER_ARGS.join(' ')} --stdio (found: ${found.source})`);
  const serverOptions: ServerOptions = {
    command: found.path,
    args: [...SERVER_ARGS],
    transport: TransportKind.stdio,
    options: folder === undefined ? {} : { cwd: folder },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'file', language: 'json' },
      { scheme: 'untitled', language: 'yaml' },
      { scheme: 'untitled', language: 'json' },
    ],
    initializationOptions: initializationOptions(settings, folder),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const next = new LanguageClient('daemonlint', 'daemonlint', serverOptions, clientOptions);
  next.onDidChangeState((e) => {
    switch (e.newState) {
      case State.Starting:
        setStatus('$(sync~spin)', 'daemonlint is starting');
        break;
      case State.Running: {
        const version = next.initializeResult?.serverInfo?.version ?? '';
        setStatus('$(check)', `daemonlint ${version} is running: ${found.path} (${found.source})`);
        break;
      }
      case State.Stopped:
        if (client === next) {
          setStatus('$(error)', 'daemonlint stopped; see the output, then run "daemonlint: Restart Server"', true);
        }
        break;
    }
  });
  client = next;
  try {
    await next.start();
  } catch (e) {
    const message = `daemonlint could not start ${found.path}: ${e instanceof Error ? e.message : String(e)}`;
    output.error(message);
    setStatus('$(error)', message, true);
  }
}

async function stopServer(): Promise<void> {
  const current = client;
  client = undefined;
  if (current === undefined) {
    return;
  }
  try {
    await current.stop(2000);
  } catch (e) {
    output.warn(`Stopping the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  setStatus('$(circle-outline)', 'daemonlint is stopped');
}

/** Apply the server's `source.fixAll.daemonlint` action to the active file. */
async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage('daemonlint: open a manifest to fix.');
    return;
  }
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showWarningMessage('daemonlint is not running; see its output.');
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      document.uri,
      whole,
      FIX_ALL_KIND.value,
    )) ?? [];
  const action = actions.find((a) => a.kind !== undefined && FIX_ALL_KIND.contains(a.kind) && a.edit);
  if (action?.edit === undefined) {
    void vscode.window.showInformationMessage('daemonlint: no safe fixes to apply in this file.');
    return;
  }
  await vscode.workspace.applyEdit(action.edit);
}

function ruleOf(d: vscode.Diagnostic): { id: string; url: string } | undefined {
  const code = d.code;
  if (code === undefined) {
    return undefined;
  }
  if (typeof code === 'object') {
    return { id: String(code.value), url: code.target.toString(true) };
  }
  return { id: String(code), url: `${RULE_DOCS}${String(code)}.md` };
}

/** Open the documentation of a rule: the argument, the finding at the cursor, or one picked. */
async function openRuleDocs(arg?: unknown): Promise<void> {
  let rules: { id: string; url: string }[] = [];
  if (typeof arg === 'string' && arg !== '') {
    rules = [{ id: arg, url: `${RULE_DOCS}${arg}.md` }];
  } else {
    const editor = vscode.window.activeTextEditor;
    if (editor !== undefined) {
      const ours = vscode.languages
        .getDiagnostics(editor.document.uri)
        .filter((d) => d.source === 'daemonlint');
      const here = ours.filter((d) => d.range.contains(editor.selection.active));
      for (const d of here.length > 0 ? here : ours) {
        const rule = ruleOf(d);
        if (rule !== undefined && !rules.some((r) => r.id === rule.id)) {
          rules.push(rule);
        }
      }
    }
  }
  let chosen: { id: string; url: string } | undefined;
  if (rules.length === 1) {
    chosen = rules[0];
  } else if (rules.length > 1) {
    const pick = await vscode.window.showQuickPick(
      rules.map((r) => r.id),
      { placeHolder: 'The rule whose documentation to open' },
    );
    chosen = rules.find((r) => r.id === pick);
  } else {
    const id = await vscode.window.showInputBox({
      prompt: 'A daemonlint rule id',
      placeHolder: 'privileged-container',
      validateInput: (v) => (RULE_ID.test(v.trim()) ? undefined : 'A rule id: lowercase letters, digits and dashes'),
    });
    if (id !== undefined && id.trim() !== '') {
      chosen = { id: id.trim(), url: `${RULE_DOCS}${id.trim()}.md` };
    }
  }
  if (chosen === undefined) {
    return;
  }
  if (!RULE_ID.test(chosen.id)) {
    void vscode.window.showErrorMessage(`daemonlint: "${chosen.id}" is not a rule id.`);
    return;
  }
  await vscode.env.openExternal(vscode.Uri.parse(chosen.url));
}
