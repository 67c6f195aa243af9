// Finding the daemonlint binary and turning the settings into server options. No `vscode`
// import here: this module is unit-tested with Node's test runner (test/unit/).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Where the binary was found. */
export type Source = 'setting' | 'bundled' | 'PATH';

export type Discovery =
  | { ok: true; path: string; source: Source }
  | { ok: false; message: string };

export interface DiscoveryInput {
  /** The `daemonlint.path` setting ('' when unset). */
  configuredPath: string;
  /** The extension's install directory: a platform package carries `bin/daemonlint[.exe]`. */
  extensionPath: string;
  /** The first workspace folder, for relative paths and `${workspaceFolder}`. */
  workspaceFolder?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  /** Whether a file exists and may be run (defaults to the file system's answer). */
  isExecutable?: (file: string) => boolean;
}

/** The binary's file name on a platform. */
export function binaryName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'daemonlint.exe' : 'daemonlint';
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Expand `~` and `${workspaceFolder}` (also `${userHome}`), and resolve a relative path against
 * the workspace folder. Returns undefined for an empty setting, or a relative path without a
 * workspace folder to resolve it against.
 */
export function expandPath(
  setting: string,
  workspaceFolder: string | undefined,
  homedir: string,
): string | undefined {
  let value = setting.trim();
  if (value === '') {
    return undefined;
  }
  if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) {
    value = path.join(homedir, value.slice(1));
  }
  value = value.replace(/\$\{userHome\}/g, homedir);
  if (value.includes('${workspaceFolder}')) {
    if (workspaceFolder === undefined) {
      return undefined;
    }
    value = value.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (path.isAbsolute(value)) {
    return path.normalize(value);
  }
  return workspaceFolder === undefined ? undefined : path.join(workspaceFolder, value);
}

/** The platform tag of the extension package that bundles a binary, e.g. `linux-x64`. */
export function platformTag(platform: NodeJS.Platform, arch: string): string {
  return `${platform}-${arch}`;
}

const INSTALL_HINT =
  'Install daemonlint (for example `cargo install daemonlint`) so that `daemonlint` is on PATH, ' +
  'or set `daemonlint.path` to the binary.';

/**
 * The binary to run: the `daemonlint.path` setting when set (and nothing else then: a wrong
 * setting is reported, not silently replaced), else the one bundled with the extension, else
 * `daemonlint` on PATH.
 */
export function findServer(input: DiscoveryInput): Discovery {
  const platform = input.platform ?? process.platform;
  const env = input.env ?? process.env;
  const homedir = input.homedir ?? os.homedir();
  const isExecutable = input.isExecutable ?? isExecutableFile;
  const name = binaryName(platform);

  if (input.configuredPath.trim() !== '') {
    const file = expandPath(input.configuredPath, input.workspaceFolder, homedir);
    if (file === undefined) {
      return {
        ok: false,
        message:
          `daemonlint.path is set to "${input.configuredPath}", a relative path, but no ` +
          'folder is open to resolve it against. Use an absolute path.',
      };
    }
    if (!isExecutable(file)) {
      return {
        ok: false,
        message:
          `daemonlint.path is set to "${input.configuredPath}", but ${file} is not an ` +
          'executable file. Fix the setting, or clear it to use the bundled binary or the ' +
          'one on PATH.',
      };
    }
    return { ok: true, path: file, source: 'setting' };
  }

  const bundled = path.join(input.extensionPath, 'bin', name);
  if (isExecutable(bundled)) {
    return { ok: true, path: bundled, source: 'bundled' };
  }

  const pathVar = env.PATH ?? env.Path ?? '';
  const separator = platform === 'win32' ? ';' : ':';
  for (const dir of pathVar.split(separator)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      return { ok: true, path: candidate, source: 'PATH' };
    }
  }

  return {
    ok: false,
    message:
      'daemonlint: no `daemonlint` binary found. This copy of the extension bundles none for ' +
      `${platformTag(platform, input.arch ?? process.arch)}, and none is on PATH. ${INSTALL_HINT}`,
  };
}

/** The settings the extension reads, as VS Code gives them. */
export interface Settings {
  enable: boolean;
  path: string;
  configurationFile: string;
}

/** Settings with defaults for missing or mistyped values. */
export function readSettings(get: (key: string) => unknown): Settings {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    enable: get('enable') !== false,
    path: str(get('path')),
    configurationFile: str(get('configurationFile')),
  };
}

/** The language server's `initializationOptions`. */
export function initializationOptions(
  settings: Settings,
  workspaceFolder: string | undefined,
  homedir: string = os.homedir(),
): { configFile?: string } {
  const configFile = expandPath(settings.configurationFile, workspaceFolder, homedir);
  return configFile === undefined ? {} : { configFile };
}

/** Arguments of the server; vscode-languageclient appends `--stdio`. */
export const SERVER_ARGS: readonly string[] = ['lsp'];
