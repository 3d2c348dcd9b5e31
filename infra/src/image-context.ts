import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the Docker build context of every service image. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The services that ship as images, with their Dockerfile. */
export const IMAGE_SERVICES = {
  'parcel-api': { dockerfile: 'docker/parcel-api.Dockerfile', workspace: '@parcel/parcel-api' },
  'warehouse-query': {
    dockerfile: 'docker/warehouse-query.Dockerfile',
    workspace: '@parcel/warehouse-query',
  },
} as const;

/**
 * One-off commands an image also carries, bundled next to the service (`/app/<name>.mjs`), with the
 * folders they read: warehouse-query's migration step (`node /app/migrate.mjs`), run once per deploy.
 */
export const IMAGE_TASKS: Partial<Record<ImageService, { name: string; entry: string; folders: string[] }>> =
  {
    'warehouse-query': { name: 'migrate', entry: 'src/migrate-main.ts', folders: ['migrations'] },
  };
export type ImageService = keyof typeof IMAGE_SERVICES;

/** The port each image listens on: the local stack's ports (LOCAL_PORTS), so compose and AWS agree. */
export const CONTAINER_PORTS: Record<ImageService, number> = { 'parcel-api': 3001, 'warehouse-query': 3002 };

/**
 * This file is also copied into the image build (infra/images/bundle.ts reads it): keep it free of
 * imports.
 *
 * What the image build never needs (.dockerignore syntax). The CDK asset uses it so synthesis stages a few
 * hundred kB instead of node_modules, and `docker/<service>.Dockerfile.dockerignore` carries the same
 * lines for `docker build` (a test keeps the two equal).
 */
export const IMAGE_CONTEXT_EXCLUDE = [
  '**/node_modules',
  '.git',
  '.nx',
  '**/.local',
  '**/cdk.out',
  '**/dist',
  '**/*.test.ts',
  '**/tests',
  'docs',
  'bench',
  'test',
  '!test/package.json',
  'infra/bin',
  'infra/src',
  '!infra/src/image-context.ts',
  'docker/docker-compose.yml',
] as const;
