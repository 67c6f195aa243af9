// Unit tests of binary discovery and settings, on the compiled module (run `npm run compile`
// first): `npm run test:unit`.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const {
  findServer,
  expandPath,
  readSettings,
  initializationOptions,
  SERVER_ARGS,
  binaryName,
} = require('../../out/discovery.js');

/** A file system holding exactly `files` as executables. */
const only = (...files) => (file) => files.includes(file);
const base = {
  extensionPath: '/ext',
  workspaceFolder: '/home/me/project',
  platform: 'linux',
  arch: 'x64',
  homedir: '/home/me',
  env: { PATH: '/usr/local/bin:/usr/bin' },
};

test('the setting wins over the bundled binary and PATH', () => {
  const found = findServer({
    ...base,
    configuredPath: '/opt/dl/daemonlint',
    isExecutable: only('/opt/dl/daemonlint', '/ext/bin/daemonlint', '/usr/bin/daemonlint'),
  });
  assert.deepEqual(found, { ok: true, path: '/opt/dl/daemonlint', source: 'setting' });
});

test('the setting expands ~ and ${workspaceFolder}, and resolves relative paths there', () => {
  const exe = only('/home/me/bin/daemonlint', '/home/me/project/tools/daemonlint');
  assert.equal(findServer({ ...base, configuredPath: '~/bin/daemonlint', isExecutable: exe }).path, '/home/me/bin/daemonlint');
  assert.equal(
    findServer({ ...base, configuredPath: '${workspaceFolder}/tools/daemonlint', isExecutable: exe }).path,
    '/home/me/project/tools/daemonlint',
  );
  assert.equal(findServer({ ...base, configuredPath: 'tools/daemonlint', isExecutable: exe }).path, '/home/me/project/tools/daemonlint');
});

test('a wrong setting is reported, not replaced by another binary', () => {
  const found = findServer({
    ...base,
    configuredPath: '/nowhere/daemonlint',
    isExecutable: only('/ext/bin/daemonlint', '/usr/bin/daemonlint'),
  });
  assert.equal(found.ok, false);
  assert.match(found.message, /daemonlint\.path is set to "\/nowhere\/daemonlint", but \/nowhere\/daemonlint is not an executable file/);
  const relative = findServer({ ...base, workspaceFolder: undefined, configuredPath: 'bin/daemonlint', isExecutable: only() });
  assert.equal(relative.ok, false);
  assert.match(relative.message, /no folder is open/);
});

test('without a setting: the bundled binary, then PATH in order', () => {
  assert.deepEqual(
    findServer({ ...base, configuredPath: '', isExecutable: only('/ext/bin/daemonlint', '/usr/bin/daemonlint') }),
    { ok: true, path: '/ext/bin/daemonlint', source: 'bundled' },
  );
  assert.deepEqual(
    findServer({ ...base, configuredPath: '  ', isExecutable: only('/usr/local/bin/daemonlint', '/usr/bin/daemonlint') }),
    { ok: true, path: '/usr/local/bin/daemonlint', source: 'PATH' },
  );
  assert.deepEqual(
    findServer({ ...base, configuredPath: '', isExecutable: only('/usr/bin/daemonlint') }),
    { ok: true, path: '/usr/bin/daemonlint', source: 'PATH' },
  );
});

test('on Windows: daemonlint.exe, `;`-separated Path', () => {
  assert.equal(binaryName('win32'), 'daemonlint.exe');
  const found = findServer({
    ...base,
    platform: 'win32',
    arch: 'x64',
    env: { Path: 'C:\\tools;C:\\dl' },
    configuredPath: '',
    isExecutable: only(path.join('C:\\dl', 'daemonlint.exe')),
  });
  assert.deepEqual(found, { ok: true, path: path.join('C:\\dl', 'daemonlint.exe'), source: 'PATH' });
});

test('none found: the message says what to do', () => {
  const found = findServer({ ...base, configuredPath: '', platform: 'darwin', arch: 'arm64', isExecutable: only() });
  assert.equal(found.ok, false);
  assert.match(found.message, /no `daemonlint` binary found/);
  assert.match(found.message, /bundles none for darwin-arm64, and none is on PATH/);
  assert.match(found.message, /cargo install daemonlint/);
  assert.match(found.message, /set `daemonlint\.path`/);
});

test('the real file system: a directory or a non-executable file is not a binary', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daemonlint-discovery-'));
  try {
    fs.mkdirSync(path.join(dir, 'bin', 'daemonlint'), { recursive: true });
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '');
    fs.chmodSync(plain, 0o644);
    const exe = path.join(dir, 'exe');
    fs.writeFileSync(exe, '#!/bin/sh\n');
    fs.chmodSync(exe, 0o755);
    const env = { PATH: '' };
    assert.equal(findServer({ configuredPath: '', extensionPath: dir, env, platform: 'linux' }).ok, false);
    assert.equal(findServer({ configuredPath: plain, extensionPath: dir, env, platform: 'linux' }).ok, false);
    assert.deepEqual(findServer({ configuredPath: exe, extensionPath: dir, env, platform: 'linux' }), {
      ok: true,
      path: exe,
      source: 'setting',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('settings: defaults for missing or mistyped values', () => {
  assert.deepEqual(readSettings(() => undefined), { enable: true, path: '', configurationFile: '' });
  const values = { enable: false, path: 42, configurationFile: 'ci/daemonlint.yaml' };
  assert.deepEqual(readSettings((k) => values[k]), { enable: false, path: '', configurationFile: 'ci/daemonlint.yaml' });
});

test('settings: the configuration file becomes the configFile initialization option', () => {
  const settings = (configurationFile) => ({ enable: true, path: '', configurationFile });
  assert.deepEqual(initializationOptions(settings(''), '/w', '/home/me'), {});
  assert.deepEqual(initializationOptions(settings('ci/dl.yaml'), '/w', '/home/me'), { configFile: '/w/ci/dl.yaml' });
  assert.deepEqual(initializationOptions(settings('~/dl.yaml'), undefined, '/home/me'), { configFile: '/home/me/dl.yaml' });
  assert.deepEqual(initializationOptions(settings('/etc/dl.yaml'), '/w', '/home/me'), { configFile: '/etc/dl.yaml' });
  // Relative without a folder: nothing to resolve against, so not passed.
  assert.deepEqual(initializationOptions(settings('dl.yaml'), undefined, '/home/me'), {});
});

test('the server runs as `daemonlint lsp` (the client appends --stdio)', () => {
  assert.deepEqual([...SERVER_ARGS], ['lsp']);
  assert.equal(expandPath('', '/w', '/h'), undefined);
});
