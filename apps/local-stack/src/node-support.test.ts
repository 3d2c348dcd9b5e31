import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AWS_SDK_MIN_NODE_MAJOR, nodeSupportNotice, SDK_NODE_WARNING_OFF } from './node-support';

const run = promisify(execFile);

/** A piece in miniature: builds a real SDK client (where the SDK warns) and emits a warning of its own. */
async function warningsOfAPiece(env: NodeJS.ProcessEnv): Promise<string> {
  const script = [
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    "new DynamoDBClient({ region: 'eu-west-1' });",
    "process.emitWarning('something the piece should still say', 'OtherWarning');",
  ].join('\n');
  const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...env, NODE_NO_WARNINGS: undefined },
  });
  return stderr;
}

describe("the AWS SDK's Node-version warning", () => {
  it('is announced by the launcher on a Node the SDK will drop, with what to do, and not on a newer one', () => {
    const notice = nodeSupportNotice('v20.20.2');
    expect(notice).toContain('Node v20.20.2');
    expect(notice).toContain(`move to Node ${AWS_SDK_MIN_NODE_MAJOR} or later`);
    expect(notice).toContain('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true');
    expect(nodeSupportNotice('v22.0.0')).toBeUndefined();
    expect(nodeSupportNotice('v24.21.0')).toBeUndefined();
  });

  it("is printed by a piece that builds an SDK client, unless the launcher's switch is on", async () => {
    // Without the switch, whatever this process inherited (the test runner turns it on for its workers).
    const stock = await warningsOfAPiece({
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    });
    const olderNode = Number.parseInt(process.versions.node, 10) < AWS_SDK_MIN_NODE_MAJOR;
    expect(stock.includes('NodeVersionSupportWarning')).toBe(olderNode);
    expect(stock).toContain('OtherWarning');
  });

  it('the switch silences that warning and no other (unlike NODE_NO_WARNINGS or --no-warnings)', async () => {
    const quiet = await warningsOfAPiece({ ...process.env, ...SDK_NODE_WARNING_OFF });
    expect(quiet).not.toContain('NodeVersionSupportWarning');
    expect(quiet).toContain('OtherWarning: something the piece should still say');
  });
});
