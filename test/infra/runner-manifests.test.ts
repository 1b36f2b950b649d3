import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding, type IRole, type IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  ServiceAccount,
  type IContainer,
  type IPodSpec,
  type IServiceAccount,
} from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from '../support/config';

/**
 * The runner is the one piece of Cutwater that holds rights inside a customer's cluster, so its
 * manifests are rendered exactly as an operator would render them (`kubectl kustomize`) and held
 * to what a security reviewer asks of them, base and example overlay alike.
 */

const BASE_DIR = 'infra/runner/base';
const OVERLAY_DIR = 'infra/runner/overlays/example';
const RUNNER_NAMESPACE = 'cutwater';
const TEST_PODS_NAMESPACE = 'test-pods';
const RUNNER_LABEL = { 'app.kubernetes.io/name': 'cutwater-runner' };
const IMAGE_REPOSITORY = 'ghcr.io/cutwater-ci/runner';

/** kubectl's output is outside data: check the envelope every object must have before reading it. */
const renderedObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});
type RenderedObject = z.infer<typeof renderedObjectSchema>;

interface Rendering {
  readonly objects: readonly RenderedObject[];
  /** What kustomize printed on stderr: deprecations and other warnings. */
  readonly warnings: string;
}

const execFileAsync = promisify(execFile);

function isMissingProgram(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

async function render(directory: string): Promise<Rendering> {
  try {
    const { stdout, stderr } = await execFileAsync('kubectl', ['kustomize', directory], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { objects: parseObjects(stdout, directory), warnings: stderr };
  } catch (error) {
    if (isMissingProgram(error)) {
      throw new Error(
        'kubectl is not installed or not on PATH: these tests render infra/runner with `kubectl kustomize` ' +
          '(offline, no cluster needed). Install kubectl to run them.',
        { cause: error },
      );
    }
    throw error;
  }
}

function parseObjects(text: string, source: string): RenderedObject[] {
  return parseAllDocuments(text).map((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${source}: document ${index} is not valid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const parsed = renderedObjectSchema.safeParse(document.toJS());
    if (!parsed.success) throw new Error(`${source}: document ${index} is not a Kubernetes object: ${parsed.error.message}`);
    return parsed.data;
  });
}

/** Schema-check one object with kubernetes-models; a kind the runner should not ship is an error. */
function validateObject(object: RenderedObject): void {
  if (Deployment.is(object)) new Deployment(object).validate();
  else if (Role.is(object)) new Role(object).validate();
  else if (RoleBinding.is(object)) new RoleBinding(object).validate();
  else if (ServiceAccount.is(object)) new ServiceAccount(object).validate();
  else if (Namespace.is(object)) new Namespace(object).validate();
  else if (ConfigMap.is(object)) new ConfigMap(object).validate();
  else throw new Error(`unexpected object ${object.apiVersion} ${object.kind} ${object.metadata.name}`);
}

function describeObject(object: RenderedObject): string {
  return `${object.kind} ${object.metadata.namespace ?? '(cluster)'}/${object.metadata.name}`;
}

function allOf<T>(rendering: Rendering, isKind: (value: unknown) => value is T): T[] {
  return rendering.objects.flatMap((object) => (isKind(object) ? [object] : []));
}

function onlyOne<T>(rendering: Rendering, isKind: (value: unknown) => value is T, kind: string): T {
  const found = allOf(rendering, isKind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  const [only] = found;
  if (only === undefined) throw new Error(`expected exactly one ${kind}`);
  return only;
}

function podSpecOf(deployment: IDeployment): IPodSpec {
  const podSpec = deployment.spec?.template.spec;
  if (podSpec === undefined) throw new Error('the Deployment has no pod template spec');
  return podSpec;
}

function runnerContainer(deployment: IDeployment): IContainer {
  const { containers } = podSpecOf(deployment);
  expect(containers.map((container) => container.name)).toEqual(['runner']);
  const [runner] = containers;
  if (runner === undefined) throw new Error('the Deployment has no container');
  return runner;
}

function everyContainer(podSpec: IPodSpec): IContainer[] {
  return [...(podSpec.initContainers ?? []), ...podSpec.containers];
}

function envValue(container: IContainer, name: string): string | undefined {
  return container.env?.find((variable) => variable.name === name)?.value;
}

function imageTag(image: string): string {
  const separator = image.lastIndexOf(':');
  expect(separator).toBeGreaterThan(image.lastIndexOf('/'));
  return image.slice(separator + 1);
}

/** Every (apiGroup, resource, verb) a Role grants, one string each, so "exactly" is a set comparison. */
function grants(role: IRole): string[] {
  return (role.rules ?? [])
    .flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)),
      ),
    )
    .sort();
}

/** Literal strings that have the shape of a credential, whatever they are called. */
const SECRET_SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /"private_key"\s*:/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/,
  /\bAIza[0-9A-Za-z_-]{30,}/,
  /\bya29\.[0-9A-Za-z_-]{20,}/,
  /\bxox[abpr]-[0-9A-Za-z-]{10,}/,
  /^[A-Za-z0-9+/=_-]{32,}$/,
];
const SECRET_NAMES = /secret|token|passw(or)?d|credential|api_?key|private_?key|hmac/i;

/** Every literal string a reviewer would scan: env values, ConfigMap data, annotations. */
function literalSettings(rendering: Rendering): { where: string; name: string; value: string }[] {
  const settings: { where: string; name: string; value: string }[] = [];
  for (const object of rendering.objects) {
    for (const [name, value] of Object.entries(object.metadata.annotations ?? {})) {
      settings.push({ where: describeObject(object), name, value });
    }
  }
  for (const configMap of allOf(rendering, ConfigMap.is)) {
    for (const [name, value] of Object.entries(configMap.data ?? {})) {
      settings.push({ where: `ConfigMap ${configMap.metadata?.name ?? ''}`, name, value });
    }
  }
  for (const deployment of allOf(rendering, Deployment.is)) {
    for (const container of everyContainer(podSpecOf(deployment))) {
      for (const variable of container.env ?? []) {
        if (variable.value !== undefined) {
          settings.push({ where: `container ${container.name}`, name: variable.name, value: variable.value });
        }
      }
    }
  }
  return settings;
}

describe('runner manifests', () => {
  let base: Rendering;
  let overlay: Rendering;

  beforeAll(async () => {
    [base, overlay] = await Promise.all([render(BASE_DIR), render(OVERLAY_DIR)]);
  });

  const renderings = (): [string, Rendering][] => [
    [BASE_DIR, base],
    [OVERLAY_DIR, overlay],
  ];

  it('render without kustomize warnings to schema-valid objects of exactly the expected kinds', () => {
    for (const [directory, rendering] of renderings()) {
      expect(rendering.warnings, directory).toBe('');
      for (const object of rendering.objects) {
        expect(() => validateObject(object), `${directory}: ${describeObject(object)}`).not.toThrow();
      }
      expect(rendering.objects.map(describeObject).sort(), directory).toEqual(
        [
          'ConfigMap cutwater/cutwater-runner',
          'Deployment cutwater/cutwater-runner',
          'Namespace (cluster)/cutwater',
          'Namespace (cluster)/test-pods',
          'Role test-pods/cutwater-runner',
          'RoleBinding test-pods/cutwater-runner',
          'ServiceAccount cutwater/cutwater-runner',
        ].sort(),
      );
    }
  });

  it('validation is not vacuous: a malformed Deployment is rejected', () => {
    const broken = structuredClone(onlyOne(base, Deployment.is, 'Deployment'));
    if (broken.spec === undefined) throw new Error('the Deployment has no spec');
    broken.spec.replicas = 1.5;
    expect(() => new Deployment(broken).validate()).toThrow(/replicas must be integer/);
  });

  it('label every object as the runner, and select only the runner pods', () => {
    for (const [directory, rendering] of renderings()) {
      for (const object of rendering.objects) {
        expect(object.metadata.labels, `${directory}: ${describeObject(object)}`).toMatchObject(RUNNER_LABEL);
      }
      const deployment = onlyOne(rendering, Deployment.is, 'Deployment');
      const selector = deployment.spec?.selector.matchLabels ?? {};
      expect(selector).toMatchObject(RUNNER_LABEL);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject(selector);
    }
  });

  it('put the runner in its own namespace and its pod rights in test-pods', () => {
    const namespaces = allOf(base, Namespace.is).map((namespace) => namespace.metadata?.name);
    expect(namespaces.sort()).toEqual([RUNNER_NAMESPACE, TEST_PODS_NAMESPACE]);
    for (const object of [
      onlyOne(base, ServiceAccount.is, 'ServiceAccount'),
      onlyOne(base, ConfigMap.is, 'ConfigMap'),
      onlyOne(base, Deployment.is, 'Deployment'),
    ]) {
      expect(object.metadata?.namespace, object.kind).toBe(RUNNER_NAMESPACE);
    }
    expect(onlyOne(base, Role.is, 'Role').metadata?.namespace).toBe(TEST_PODS_NAMESPACE);
    expect(onlyOne(base, RoleBinding.is, 'RoleBinding').metadata?.namespace).toBe(TEST_PODS_NAMESPACE);
  });

  it('grant a namespaced Role in test-pods exactly pods create/get/list/watch/delete, pods/log get, secrets get (for censoring) and events list (for podinfo.json)', () => {
    for (const [directory, rendering] of renderings()) {
      const kinds = rendering.objects.map((object) => object.kind);
      expect(kinds, directory).not.toContain('ClusterRole');
      expect(kinds, directory).not.toContain('ClusterRoleBinding');
      const role: IRole = onlyOne(rendering, Role.is, 'Role');
      expect(role.metadata?.namespace).toBe(TEST_PODS_NAMESPACE);
      for (const rule of role.rules ?? []) {
        expect(rule.nonResourceURLs, directory).toBeUndefined();
        expect(rule.resourceNames, directory).toBeUndefined();
      }
      expect(grants(role), directory).toEqual(
        ['/pods:create', '/pods:get', '/pods:list', '/pods:watch', '/pods:delete', '/pods/log:get', '/secrets:get', '/events:list'].sort(),
      );
    }
  });

  it('bind that Role, and only it, to the runner ServiceAccount the Deployment runs as', () => {
    for (const [directory, rendering] of renderings()) {
      const role = onlyOne(rendering, Role.is, 'Role');
      const binding: IRoleBinding = onlyOne(rendering, RoleBinding.is, 'RoleBinding');
      const serviceAccount: IServiceAccount = onlyOne(rendering, ServiceAccount.is, 'ServiceAccount');
      const deployment = onlyOne(rendering, Deployment.is, 'Deployment');

      expect(binding.metadata?.namespace, directory).toBe(role.metadata?.namespace);
      expect(binding.roleRef, directory).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: role.metadata?.name,
      });
      expect(binding.subjects, directory).toEqual([
        { kind: 'ServiceAccount', name: serviceAccount.metadata?.name, namespace: RUNNER_NAMESPACE },
      ]);
      expect(podSpecOf(deployment).serviceAccountName, directory).toBe(serviceAccount.metadata?.name);
    }
  });

  it('run the runner as non-root, with a read-only root filesystem, no privilege escalation and no capabilities', () => {
    for (const [directory, rendering] of renderings()) {
      const podSpec = podSpecOf(onlyOne(rendering, Deployment.is, 'Deployment'));
      expect(podSpec.hostNetwork ?? false, directory).toBe(false);
      expect(podSpec.hostPID ?? false, directory).toBe(false);
      expect(podSpec.hostIPC ?? false, directory).toBe(false);
      expect((podSpec.volumes ?? []).filter((volume) => volume.hostPath !== undefined), directory).toEqual([]);

      const pod = podSpec.securityContext ?? {};
      for (const container of everyContainer(podSpec)) {
        const where = `${directory}: container ${container.name}`;
        const own = container.securityContext ?? {};
        // A container's own setting wins over the pod's, so check what actually applies.
        expect(own.runAsNonRoot ?? pod.runAsNonRoot, where).toBe(true);
        expect(own.runAsUser ?? pod.runAsUser, where).toBeGreaterThan(0);
        expect(own.readOnlyRootFilesystem, where).toBe(true);
        expect(own.allowPrivilegeEscalation, where).toBe(false);
        expect(own.privileged ?? false, where).toBe(false);
        expect(own.capabilities?.drop, where).toEqual(['ALL']);
        expect(own.capabilities?.add ?? [], where).toEqual([]);
        expect((own.seccompProfile ?? pod.seccompProfile)?.type, where).toBe('RuntimeDefault');
      }
    }
  });

  it('run one runner as `cutwater runner --cluster $(CLUSTER_NAME)`, with health probes, resources and time to hand back leases', () => {
    const deployment = onlyOne(base, Deployment.is, 'Deployment');
    const podSpec = podSpecOf(deployment);
    const runner = runnerContainer(deployment);

    expect(deployment.spec?.replicas).toBe(1);
    expect(podSpec.terminationGracePeriodSeconds).toBe(60);
    expect(runner.image).toBe(`${IMAGE_REPOSITORY}:latest`);
    expect(runner.command).toEqual(['cutwater', 'runner', '--cluster', '$(CLUSTER_NAME)']);
    expect(runner.args).toBeUndefined();
    expect(envValue(runner, 'CLUSTER_NAME')).toBe('default');

    const project = runner.env?.find((variable) => variable.name === 'GOOGLE_CLOUD_PROJECT');
    const configMap = onlyOne(base, ConfigMap.is, 'ConfigMap');
    expect(project?.valueFrom?.configMapKeyRef).toEqual({ name: 'cutwater-runner', key: 'GOOGLE_CLOUD_PROJECT' });
    expect(configMap.metadata?.name).toBe('cutwater-runner');
    expect(configMap.data?.GOOGLE_CLOUD_PROJECT).toBeDefined();

    for (const probe of [runner.livenessProbe, runner.readinessProbe]) {
      expect(probe?.httpGet?.path).toBe('/healthz');
      const port = probe?.httpGet?.port;
      const containerPort =
        typeof port === 'string' ? runner.ports?.find((candidate) => candidate.name === port)?.containerPort : port;
      expect(containerPort).toBe(8080);
    }

    for (const quantity of ['cpu', 'memory']) {
      expect(runner.resources?.requests?.[quantity], `request ${quantity}`).toBeDefined();
      expect(runner.resources?.limits?.[quantity], `limit ${quantity}`).toBeDefined();
    }
  });

  it('carry no secrets: no Secret objects, no secret references, nothing that looks like a credential', () => {
    for (const [directory, rendering] of renderings()) {
      expect(rendering.objects.map((object) => object.kind), directory).not.toContain('Secret');

      const podSpec = podSpecOf(onlyOne(rendering, Deployment.is, 'Deployment'));
      for (const container of everyContainer(podSpec)) {
        const where = `${directory}: container ${container.name}`;
        const secretRefs = container.env?.filter((variable) => variable.valueFrom?.secretKeyRef !== undefined) ?? [];
        expect(secretRefs, where).toEqual([]);
        expect(container.envFrom?.filter((source) => source.secretRef !== undefined) ?? [], where).toEqual([]);
        // Credentials come from Workload Identity, never from a key file.
        expect(container.env?.map((variable) => variable.name) ?? [], where).not.toContain('GOOGLE_APPLICATION_CREDENTIALS');
      }
      const secretVolumes = (podSpec.volumes ?? []).filter(
        (volume) =>
          volume.secret !== undefined || (volume.projected?.sources ?? []).some((source) => source.secret !== undefined),
      );
      expect(secretVolumes, directory).toEqual([]);

      for (const setting of literalSettings(rendering)) {
        const where = `${directory}: ${setting.where} ${setting.name}=${setting.value}`;
        expect(SECRET_NAMES.test(setting.name), where).toBe(false);
        const shapes = SECRET_SHAPES.filter((shape) => shape.test(setting.value)).map(String);
        expect(shapes, where).toEqual([]);
      }

      const serviceAccount = onlyOne(rendering, ServiceAccount.is, 'ServiceAccount');
      expect(serviceAccount.metadata?.annotations?.['iam.gke.io/gcp-service-account'], directory).toMatch(
        /^[a-z][a-z0-9-]*@[A-Za-z0-9_-]+\.iam\.gserviceaccount\.com$/,
      );
    }
  });

  it('the secret checks would catch a token in the environment', () => {
    const leaky: Rendering = {
      warnings: '',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'leaky' },
          data: { GITHUB: `ghp_${'a1B2c3D4e5'.repeat(4)}` },
        },
      ],
    };
    const flagged = literalSettings(leaky).filter((setting) => SECRET_SHAPES.some((shape) => shape.test(setting.value)));
    expect(flagged.map((setting) => setting.name)).toEqual(['GITHUB']);
    expect(SECRET_NAMES.test('GITHUB_TOKEN')).toBe(true);
  });

  it('the example overlay sets the image tag, cluster name and project without touching the rights', () => {
    const baseRunner = runnerContainer(onlyOne(base, Deployment.is, 'Deployment'));
    const overlayRunner = runnerContainer(onlyOne(overlay, Deployment.is, 'Deployment'));

    const baseImage = baseRunner.image ?? '';
    const overlayImage = overlayRunner.image ?? '';
    expect(overlayImage.startsWith(`${IMAGE_REPOSITORY}:`)).toBe(true);
    expect(imageTag(overlayImage)).not.toBe(imageTag(baseImage));
    expect(imageTag(overlayImage)).not.toBe('latest');

    const clusterName = envValue(overlayRunner, 'CLUSTER_NAME');
    expect(clusterName).toBeTruthy();
    expect(clusterName).not.toBe(envValue(baseRunner, 'CLUSTER_NAME'));
    expect(overlayRunner.command).toEqual(baseRunner.command);

    const baseProject = onlyOne(base, ConfigMap.is, 'ConfigMap').data?.GOOGLE_CLOUD_PROJECT;
    const overlayProject = onlyOne(overlay, ConfigMap.is, 'ConfigMap').data?.GOOGLE_CLOUD_PROJECT;
    expect(overlayProject).toBeTruthy();
    expect(overlayProject).not.toBe(baseProject);
    const serviceAccount = onlyOne(overlay, ServiceAccount.is, 'ServiceAccount');
    expect(serviceAccount.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toMatch(
      new RegExp(`@${overlayProject ?? ''}\\.iam\\.gserviceaccount\\.com$`),
    );

    expect(onlyOne(overlay, Role.is, 'Role')).toEqual(onlyOne(base, Role.is, 'Role'));
    expect(onlyOne(overlay, RoleBinding.is, 'RoleBinding')).toEqual(onlyOne(base, RoleBinding.is, 'RoleBinding'));
    expect(overlayRunner.securityContext).toEqual(baseRunner.securityContext);
  });
});
