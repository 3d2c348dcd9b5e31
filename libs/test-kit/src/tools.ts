import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Whether the outside tool a group of tests needs (Chromium, the AWS CLI, root) is here. Missing, the
 * group is skipped on a developer's machine; with `REQUIRE_TOOLS=1` (set by `.ci/run`, which installs
 * them) a missing tool fails the file instead, so CI cannot go green by skipping.
 */
export function toolPresent(tool: string, present: boolean): boolean {
  if (!present && process.env.REQUIRE_TOOLS === '1') {
    throw new Error(`${tool} is missing, and REQUIRE_TOOLS=1 says the tests that need it must run`);
  }
  return present;
}

/** `aws --version` runs. */
export async function hasAwsCli(): Promise<boolean> {
  try {
    await promisify(execFile)('aws', ['--version'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** The Chromium the console tests drive (Debian's, or CHROMIUM_PATH). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function hasChromium(path = CHROMIUM_PATH): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;
