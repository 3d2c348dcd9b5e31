/**
 * The AWS SDK for JavaScript v3 warns, once per process, that its releases after the first week of
 * January 2027 need Node ≥ 22 (`process.emitWarning('NodeVersionSupportWarning: …')` from @aws-sdk/core).
 * Under `npm start` every piece would print it; the launcher says it once, with what to do, and turns
 * the SDK's own switch on in the pieces, which silences that warning and no other.
 */
export const AWS_SDK_MIN_NODE_MAJOR = 22;

/** The SDK's environment switch for its Node-version warning (read by @aws-sdk/core). */
export const SDK_NODE_WARNING_OFF = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } as const;

/** What the launcher prints on a Node the SDK will stop supporting, or undefined on a supported one. */
export function nodeSupportNotice(nodeVersion: string = process.version): string | undefined {
  const major = Number.parseInt(nodeVersion.replace(/^v/, ''), 10);
  if (!(major < AWS_SDK_MIN_NODE_MAJOR)) return undefined;
  return [
    `Node ${nodeVersion}: AWS SDK for JavaScript v3 releases after the first week of January 2027 need Node >= ${AWS_SDK_MIN_NODE_MAJOR}.`,
    'The SDK versions in package-lock.json run on this Node, so the stack works as it is; to keep taking SDK',
    `updates, move to Node ${AWS_SDK_MIN_NODE_MAJOR} or later (the images run Node 24; \`npm run test:node24\` runs the unit tests there).`,
    "The pieces' own copies of this warning are switched off (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true).",
  ].join('\n');
}
