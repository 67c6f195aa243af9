// End-to-end test of the packaged extension in a real VS Code (code-server), driven through
// Debian's Chromium by playwright-core. Run by tests/it/vscode.rs:
//
//   node test/e2e.mjs --tools DIR --vsix FILE --binary FILE [--screenshot FILE]
//
// --tools: the directory scripts/install-vscode-e2e prints (code-server, playwright-core);
// --binary: the daemonlint the .vsix bundles, run here as `check --fix` for the expected text.
//
// It checks the .vsix's contents (the binary inside, executable; the compiled extension and its
// runtime dependencies; no sources or tests), installs it with `code-server --install-extension`, opens a workspace holding a
// copy of test/workspace/daemonset.yaml, and asserts:
//   1. the Problems panel lists privileged-container at line 26, and the status bar shows the
//      server running;
//   2. the quick fix "set `maxUnavailable: 1`" changes the file as `daemonlint check --fix` does;
//   3. editing the file (privileged: true → false) updates the diagnostics before any save:
//      privileged-container goes, privilege-escalation comes;
//   4. "daemonlint: Fix All Safe Findings in File" applies the safe fixes of a second file;
//   5. after "daemonlint: Restart Server", the new server lints that file as it is edited.
// code-server runs on 127.0.0.1 in its own process group, with temporary XDG_CONFIG_HOME and
// XDG_DATA_HOME, no auth and no telemetry; the group is killed at the end, whatever happens.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readVsix } from './vsix.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`bad arguments: ${argv.join(' ')}`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['tools', 'vsix', 'binary']) {
    if (!args[required]) {
      throw new Error(`--${required} is required`);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const tools = path.resolve(args.tools);
const { chromium } = createRequire(path.join(tools, 'package.json'))('playwright-core');
const codeServer = path.join(tools, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const node = path.join(tools, 'node', 'bin', 'node');

const log = (...m) => console.error(`e2e: ${m.join(' ')}`);
const TIMEOUT = 60_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, deadline) {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer at ${url}`);
}

/** The rows of the Problems panel: their text, then their accessible label (which has the
 * line and column). */
async function problems(page) {
  return page
    .locator('.markers-panel .monaco-list-row')
    .evaluateAll((rows) => rows.map((r) => `${r.innerText.replace(/\s+/g, ' ')} | ${r.getAttribute('aria-label')}`));
}

/**
 * Wait until the Problems panel rows matching `filter` (typed into the panel's filter box, which
 * matches messages, sources and codes) satisfy `predicate`. Filtering keeps the rows in view:
 * the panel renders only the rows that fit.
 */
async function waitForProblems(page, filter, predicate, what) {
  const box = page.locator('.markers-panel-action-filter input, .viewpane-filter input').first();
  await box.fill(filter);
  const deadline = Date.now() + TIMEOUT;
  let rows = [];
  while (Date.now() < deadline) {
    await page.waitForTimeout(250);
    rows = await problems(page);
    if (predicate(rows)) {
      return rows;
    }
  }
  throw new Error(`${what}; the Problems panel filtered by "${filter}" shows:\n${rows.join('\n---\n')}`);
}

/** Wait until the Problems panel (unfiltered) counts `count` problems in the file `name`. */
async function waitForCount(page, name, count) {
  const label = new RegExp(`^(\\d+) problems? in file ${name.replace('.', '\\.')} `);
  await waitForProblems(
    page,
    '',
    (r) => r.some((t) => Number(t.split(' | ')[1]?.match(label)?.[1]) === count),
    `the Problems panel does not count ${count} problems in ${name}`,
  );
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: TIMEOUT });
  await page.keyboard.press('Enter');
}

async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: TIMEOUT });
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[aria-label*="${name}"]`).waitFor({ timeout: TIMEOUT });
  await page.locator('.monaco-editor .view-lines').first().click();
}

async function goTo(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: TIMEOUT });
}

/** Poll `fn` until it returns true. */
async function eventually(fn, what) {
  const deadline = Date.now() + TIMEOUT;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last === true) {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} (last: ${JSON.stringify(last)})`);
}

/** The package holds what the extension needs for linux-x64, and nothing of the sources. */
function checkVsix(file, binary) {
  const entries = readVsix(file);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const need = (name) => {
    const entry = byName.get(name);
    if (entry === undefined) {
      throw new Error(`${name} is not in the package; it holds:\n${[...byName.keys()].join('\n')}`);
    }
    return entry;
  };
  const bundled = need('extension/bin/daemonlint');
  const expected = fs.readFileSync(binary);
  if (bundled.size !== expected.length || !bundled.data().equals(expected)) {
    throw new Error('extension/bin/daemonlint is not the binary given');
  }
  if ((bundled.mode & 0o111) === 0) {
    throw new Error(`extension/bin/daemonlint is not executable (mode ${bundled.mode.toString(8)})`);
  }
  const manifest = JSON.parse(need('extension/package.json').data().toString('utf8'));
  if (manifest.name !== 'daemonlint' || manifest.main !== './out/extension.js') {
    throw new Error(`unexpected package.json: ${manifest.name} ${manifest.main}`);
  }
  for (const name of [
    'extension/out/extension.js',
    'extension/out/discovery.js',
    'extension/readme.md',
    'extension/node_modules/vscode-languageclient/lib/node/main.js',
    'extension/node_modules/vscode-jsonrpc/lib/node/main.js',
  ]) {
    need(name);
  }
  const vsixManifest = need('extension.vsixmanifest').data().toString('utf8');
  if (!vsixManifest.includes('TargetPlatform="linux-x64"')) {
    throw new Error(`the package does not target linux-x64:\n${vsixManifest}`);
  }
  const stray = entries.filter((e) =>
    /^extension\/(src|test|scripts)\/|^extension\/tsconfig\.json$|\.vsix$|^extension\/node_modules\/(typescript|@vscode\/vsce|@types)\//.test(
      e.name,
    ),
  );
  if (stray.length > 0) {
    throw new Error(`the package holds files it should not: ${stray.map((e) => e.name).join(', ')}`);
  }
  log(`package checked: ${entries.length} files, the ${expected.length}-byte binary inside`);
}

async function main() {
  const started = Date.now();
  checkVsix(path.resolve(args.vsix), args.binary);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'daemonlint-vscode-e2e-'));
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  const fixture = fs.readFileSync(path.join(here, 'workspace', 'daemonset.yaml'), 'utf8');
  const file = path.join(workspace, 'daemonset.yaml');
  fs.writeFileSync(file, fixture);
  const second = path.join(workspace, 'second.yaml');
  fs.writeFileSync(second, fixture);

  // What `daemonlint check --fix` writes: the reference for the quick fix and for fix-all.
  const reference = path.join(scratch, 'reference.yaml');
  fs.writeFileSync(reference, fixture);
  try {
    execFileSync(args.binary, ['check', '--isolated', '--fix', reference], { stdio: 'ignore' });
  } catch (e) {
    if (e.status !== 1) {
      throw e;
    }
  }
  const fixed = fs.readFileSync(reference, 'utf8');
  if (fixed === fixture) {
    throw new Error('the fixture has no safe fix');
  }

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(scratch, 'config'),
    XDG_DATA_HOME: path.join(scratch, 'data'),
    XDG_CACHE_HOME: path.join(scratch, 'cache'),
    HOME: path.join(scratch, 'home'),
    PATH: `${path.dirname(node)}:${process.env.PATH}`,
  };
  for (const dir of ['config', 'data', 'cache', 'home']) {
    fs.mkdirSync(path.join(scratch, dir));
  }
  const userData = path.join(scratch, 'user-data');
  const extensions = path.join(scratch, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'editor.minimap.enabled': false,
        'editor.stickyScroll.enabled': false,
        'workbench.colorTheme': 'Default Light Modern',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'window.commandCenter': false,
        'chat.disableAIFeatures': true,
        'files.autoSave': 'off',
      },
      null,
      2,
    ),
  );
  const common = ['--user-data-dir', userData, '--extensions-dir', extensions];
  const t0 = Date.now();
  execFileSync(node, [codeServer, ...common, '--install-extension', path.resolve(args.vsix)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const installed = fs.readdirSync(extensions).filter((d) => d.startsWith('daemonlint.daemonlint-'));
  if (installed.length !== 1) {
    throw new Error(`the extension is not installed: ${fs.readdirSync(extensions)}`);
  }
  log(`installed ${installed[0]} in ${Date.now() - t0} ms`);

  const port = await freePort();
  const server = spawn(
    node,
    [
      codeServer,
      ...common,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      workspace,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  let browser;
  const killGroup = () => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', killGroup);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server, Date.now() + TIMEOUT);
    // A fresh profile (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(path.join(scratch, 'chromium'), {
      viewport: { width: 1280, height: 800 },
      executablePath: process.env.DAEMONLINT_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT });
    await page.locator('.explorer-folders-view').waitFor({ timeout: TIMEOUT });
    log(`workbench up after ${Date.now() - started} ms`);

    // 1. Findings in the Problems panel, at their lines.
    await openFile(page, 'daemonset.yaml');
    await page.keyboard.press('Control+Shift+M');
    await waitForProblems(
      page,
      'privileged-container',
      (r) => r.some((t) => /daemonlint\W*privileged-container\W*\[Ln 26, Col 25\]/.test(t)),
      'privileged-container is not listed at line 26, column 25',
    );
    await waitForProblems(
      page,
      'aggressive-max-unavailable',
      (r) => r.some((t) => /daemonlint\W*aggressive-max-unavailable\W*\[Ln 13, Col 23\]/.test(t)),
      'aggressive-max-unavailable is not listed at line 13, column 23',
    );
    await waitForCount(page, 'daemonset.yaml', 5);
    await page
      .locator('.statusbar-item', { hasText: 'daemonlint' })
      .locator('.codicon-check')
      .waitFor({ timeout: TIMEOUT });
    log(`problems listed after ${Date.now() - started} ms`);

    // The screenshot for docs/src/integrations/vscode.md: the finding in the editor, its hover and the panel.
    if (args.screenshot) {
      await goTo(page, 26, 25);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      await page.locator('.monaco-hover .rendered-markdown').first().waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(500);
      await page.screenshot({ path: args.screenshot });
      await page.keyboard.press('Escape');
      log(`screenshot written to ${args.screenshot}`);
    }

    // 2. The quick fix changes the file as `check --fix` would.
    await goTo(page, 13, 24);
    await page.keyboard.press('Control+.');
    const title = 'set `maxUnavailable: 1`';
    const item = page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
    await item.waitFor({ timeout: TIMEOUT });
    await item.click();
    await page.keyboard.press('Control+S');
    await eventually(() => fs.readFileSync(file, 'utf8') === fixed, 'the quick fix did not write what `check --fix` writes');
    await waitForCount(page, 'daemonset.yaml', 4);
    log(`quick fix applied after ${Date.now() - started} ms`);

    // 3. Editing the file updates the diagnostics (before any save).
    await goTo(page, 26, 25);
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('false');
    // privilege-escalation, silent while the container was privileged, now fires.
    await waitForProblems(
      page,
      'privilege-escalation',
      (r) => r.some((t) => /daemonlint\W*privilege-escalation\W*\[Ln 25, Col 11\]/.test(t)),
      'privilege-escalation did not appear after the edit',
    );
    await waitForProblems(
      page,
      'privileged-container',
      (r) => !r.some((t) => /privileged-container\W*\[Ln/.test(t)),
      'privileged-container is still listed after the edit',
    );
    log(`diagnostics updated after the edit, ${Date.now() - started} ms`);
    await page.keyboard.press('Control+1');
    await page.keyboard.press('Control+S');
    await eventually(() => fs.readFileSync(file, 'utf8').includes('privileged: false'), 'the edit was not saved');
    await page.keyboard.press('Control+W');

    // 4. The fix-all command on a second file.
    await openFile(page, 'second.yaml');
    await waitForCount(page, 'second.yaml', 5);
    await runCommand(page, 'daemonlint: Fix All Safe Findings in File');
    await waitForCount(page, 'second.yaml', 4);
    await page.keyboard.press('Control+1');
    await page.keyboard.press('Control+S');
    await eventually(() => fs.readFileSync(second, 'utf8') === fixed, 'fix-all did not write what `check --fix` writes');
    log(`fix-all applied after ${Date.now() - started} ms`);

    // 5. After "Restart Server", the new server lints the open file as it is edited.
    await runCommand(page, 'daemonlint: Restart Server');
    await page
      .locator('.statusbar-item', { hasText: 'daemonlint' })
      .locator('.codicon-check')
      .waitFor({ timeout: TIMEOUT });
    await goTo(page, 26, 25);
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('false');
    await waitForProblems(
      page,
      'privilege-escalation',
      (r) => r.some((t) => /daemonlint\W*privilege-escalation\W*\[Ln 25, Col 11\]/.test(t)),
      'no diagnostics from the restarted server',
    );
    log(`restarted server answered after ${Date.now() - started} ms`);
    log(`passed in ${Date.now() - started} ms`);
  } catch (e) {
    if (browser) {
      const pages = browser.pages();
      if (pages[0]) {
        const shot = path.join(os.tmpdir(), 'daemonlint-vscode-e2e-failure.png');
        await pages[0].screenshot({ path: shot }).catch(() => {});
        log(`screenshot of the failure: ${shot}`);
      }
    }
    log(`code-server's log:\n${serverLog.slice(-4000)}`);
    throw e;
  } finally {
    if (browser) {
      await browser.close().catch(() => {});
    }
    killGroup();
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

const watchdog = setTimeout(() => {
  log('timed out after 240 s');
  process.exit(1);
}, 240_000);
main().then(
  () => {
    clearTimeout(watchdog);
    console.log('e2e: 1 passed, 0 failed');
  },
  (e) => {
    clearTimeout(watchdog);
    log(`FAILED: ${e.stack ?? e}`);
    process.exitCode = 1;
  },
);
