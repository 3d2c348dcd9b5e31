import { afterEach, describe, expect, it } from 'vitest';
import { toolPresent } from './tools';

describe('toolPresent', () => {
  const before = process.env.REQUIRE_TOOLS;
  afterEach(() => {
    if (before === undefined) delete process.env.REQUIRE_TOOLS;
    else process.env.REQUIRE_TOOLS = before;
  });

  it('lets a group skip when a tool is missing on a developer’s machine', () => {
    delete process.env.REQUIRE_TOOLS;
    expect(toolPresent('the AWS CLI', false)).toBe(false);
    expect(toolPresent('the AWS CLI', true)).toBe(true);
  });

  it('fails, naming the tool, when REQUIRE_TOOLS=1 and it is missing', () => {
    process.env.REQUIRE_TOOLS = '1';
    expect(() => toolPresent('Chromium', false)).toThrow(/Chromium is missing.*REQUIRE_TOOLS=1/);
    expect(toolPresent('Chromium', true)).toBe(true);
  });
});
