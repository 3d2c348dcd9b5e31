import { createHash } from 'node:crypto';
import type { XrayGroup } from '@parcel/sampling-rules';
import { ApiError, invalidRequest } from './api-error';

/** X-Ray allows 25 groups per account and region. */
const MAX_GROUPS = 25;
/** GroupName: 1-32 characters (X-Ray API reference, CreateGroup); `Default` is reserved. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
const MAX_FILTER_EXPRESSION = 2000;

export interface StoredGroup {
  GroupName: string;
  GroupARN: string;
  FilterExpression: string;
  InsightsConfiguration: { InsightsEnabled: boolean; NotificationsEnabled: boolean };
}

/**
 * The account's X-Ray groups (CreateGroup, GetGroup, GetGroups, UpdateGroup, DeleteGroup). Expressions are
 * checked by `validate` (the filter compiler) before they are stored, so a stored group always compiles.
 */
export class GroupTable {
  private readonly groups = new Map<string, StoredGroup>();

  constructor(
    seed: readonly XrayGroup[],
    private readonly region: string,
    private readonly account: string,
    private readonly validate: (expression: string) => void,
  ) {
    // The project's own groups; groups.test.ts compiles each of them.
    this.seeding = true;
    for (const group of seed) this.create(group);
    this.seeding = false;
  }

  private seeding: boolean;

  list(): StoredGroup[] {
    return [...this.groups.values()];
  }

  /** A group's filter expression by name or ARN, for `group.name = "…"` and the `GroupName` parameters. */
  expressionOf = (by: 'name' | 'arn', value: string): string | undefined => {
    if (by === 'name') return this.groups.get(value)?.FilterExpression;
    for (const group of this.groups.values()) if (group.GroupARN === value) return group.FilterExpression;
    return undefined;
  };

  create(input: unknown): StoredGroup {
    const body = object(input);
    const name = body.GroupName;
    if (typeof name !== 'string' || !GROUP_NAME.test(name) || name === 'Default')
      throw invalidRequest('GroupName must be 1-32 letters, digits, ".", "-" or "_" (not Default)');
    if (this.groups.has(name)) throw invalidRequest(`Group ${name} already exists`);
    if (this.groups.size >= MAX_GROUPS)
      throw new ApiError(400, 'ThrottledException', `At most ${MAX_GROUPS} groups`);
    const group: StoredGroup = {
      GroupName: name,
      GroupARN: `arn:aws:xray:${this.region}:${this.account}:group/${name}/${createHash('sha256').update(name).digest('hex').slice(0, 32).toUpperCase()}`,
      FilterExpression: this.expression(body.FilterExpression ?? ''),
      InsightsConfiguration: insights(body.InsightsConfiguration, {
        InsightsEnabled: false,
        NotificationsEnabled: false,
      }),
    };
    this.groups.set(name, group);
    return group;
  }

  get(input: unknown): StoredGroup {
    return this.find(object(input));
  }

  update(input: unknown): StoredGroup {
    const body = object(input);
    const group = this.find(body);
    const next: StoredGroup = {
      ...group,
      ...(body.FilterExpression !== undefined
        ? { FilterExpression: this.expression(body.FilterExpression) }
        : {}),
      InsightsConfiguration: insights(body.InsightsConfiguration, group.InsightsConfiguration),
    };
    this.groups.set(group.GroupName, next);
    return next;
  }

  delete(input: unknown): void {
    this.groups.delete(this.find(object(input)).GroupName);
  }

  private find(body: Record<string, unknown>): StoredGroup {
    const { GroupName: name, GroupARN: arn } = body;
    const found =
      typeof name === 'string'
        ? this.groups.get(name)
        : typeof arn === 'string'
          ? this.list().find((g) => g.GroupARN === arn)
          : undefined;
    if (typeof name !== 'string' && typeof arn !== 'string')
      throw invalidRequest('GroupName or GroupARN is required');
    if (!found) throw invalidRequest(`Group ${String(name ?? arn)} does not exist`);
    return found;
  }

  private expression(value: unknown): string {
    if (typeof value !== 'string' || value.length > MAX_FILTER_EXPRESSION)
      throw invalidRequest(
        `FilterExpression must be a string of at most ${MAX_FILTER_EXPRESSION} characters`,
      );
    if (value.trim() === '' || this.seeding) return value;
    try {
      this.validate(value);
    } catch (err) {
      throw invalidRequest(`Invalid filter expression: ${(err as Error).message}`);
    }
    return value;
  }
}

function object(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
}

function insights(
  value: unknown,
  fallback: StoredGroup['InsightsConfiguration'],
): StoredGroup['InsightsConfiguration'] {
  if (value === undefined) return fallback;
  const v = object(value);
  return {
    InsightsEnabled: typeof v.InsightsEnabled === 'boolean' ? v.InsightsEnabled : fallback.InsightsEnabled,
    NotificationsEnabled:
      typeof v.NotificationsEnabled === 'boolean' ? v.NotificationsEnabled : fallback.NotificationsEnabled,
  };
}
