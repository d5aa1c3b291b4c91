import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * The Kubernetes manifests of deploy/kubernetes are only useful if they parse and agree with each other and with the
 * broker's flags: names, ports, labels, and the command line each pod runs. No cluster is needed for that.
 */
const MANIFEST_DIRECTORY = join(REPOSITORY_ROOT, 'deploy', 'kubernetes');

type Manifest = { kind: string; metadata: { name: string }; spec: any };

function readYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(join(MANIFEST_DIRECTORY, file), 'utf8'));
  for (const document of documents) expect(document.errors, file).toEqual([]);
  return documents.map((document) => document.toJS() as unknown);
}

const kustomization = readYaml('kustomization.yaml')[0] as { resources: string[] };
const manifests = kustomization.resources.flatMap((file) => readYaml(file) as Manifest[]);
const byKind = (kind: string): Manifest[] => manifests.filter((manifest) => manifest.kind === kind);
const statefulSet = byKind('StatefulSet')[0];
const container = statefulSet?.spec.template.spec.containers[0];
const podLabels = statefulSet?.spec.template.metadata.labels as { [name: string]: string };

const scratch = mkdtempSync(join(tmpdir(), 'tributary-manifests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the pod's command with a `node` that only prints its arguments: the broker command line the pod would run. */
function brokerArguments(hostname: string, namespace: string): string[] {
  const fakeNode = join(scratch, 'node');
  writeFileSync(fakeNode, '#!/bin/sh\nfor argument in "$@"; do printf "%s\\n" "$argument"; done\n');
  chmodSync(fakeNode, 0o755);
  const environment = Object.fromEntries((container.env as { name: string; value?: string }[]).filter((variable) => variable.value !== undefined).map((variable) => [variable.name, variable.value!]));
  const [shell, ...shellArguments] = [...container.command, ...container.args] as string[];
  const result = spawnSync(shell, shellArguments, { env: { ...environment, PATH: `${scratch}:/usr/bin:/bin`, HOSTNAME: hostname, POD_NAMESPACE: namespace }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split('\n');
}

function flag(argumentsList: string[], name: string): string | undefined {
  const position = argumentsList.indexOf(name);
  return position === -1 ? undefined : argumentsList[position + 1];
}

describe('deploy/kubernetes', () => {
  it('parses, and holds a StatefulSet, a headless Service, a client Service and a disruption budget', () => {
    expect(manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'PodDisruptionBudget/tributary',
      'Service/tributary',
      'Service/tributary-internal',
      'StatefulSet/tributary',
    ]);
  });

  it('names the headless Service for the internal port and a client Service for the gateway, both selecting the brokers', () => {
    const [client, headless] = ['tributary', 'tributary-internal'].map((name) => byKind('Service').find((service) => service.metadata.name === name)!);
    expect(statefulSet.spec.serviceName).toBe('tributary-internal');
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    for (const service of [client, headless, byKind('PodDisruptionBudget')[0]]) {
      const selector = (service.spec.selector.matchLabels ?? service.spec.selector) as { [name: string]: string };
      expect(podLabels).toMatchObject(selector);
    }
    expect(statefulSet.spec.selector.matchLabels).toEqual(podLabels);
    const containerPorts = Object.fromEntries((container.ports as { name: string; containerPort: number }[]).map((port) => [port.name, port.containerPort]));
    expect(containerPorts).toEqual({ gateway: 26500, internal: 26502, monitoring: 9600 });
    expect(client.spec.ports).toEqual([{ name: 'gateway', port: 26500, targetPort: 'gateway' }]);
    expect(headless.spec.ports.map((port: { port: number }) => port.port)).toContain(26502);
  });

  it('starts the pods in parallel with persistent volumes and probes on /ready and /health', () => {
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(statefulSet.spec.volumeClaimTemplates[0].metadata.name).toBe(container.volumeMounts[0].name);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'monitoring' });
    for (const probe of [container.livenessProbe, container.startupProbe]) {
      const script = probe.exec.command[2] as string;
      expect(script).toContain('http://127.0.0.1:9600/health');
      expect(() => new Function(script)).not.toThrow();
    }
  });

  it('gives each pod its ordinal as node id and every broker, in node-id order, as contact points', () => {
    const replicas = statefulSet.spec.replicas as number;
    expect(replicas).toBe(3);
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const argumentsList = brokerArguments(`tributary-${ordinal}`, 'workflows');
      expect(argumentsList.slice(0, 2)).toEqual(['bin/tributary', 'broker']);
      expect(flag(argumentsList, '--node-id')).toBe(String(ordinal));
      expect(flag(argumentsList, '--cluster-size')).toBe(String(replicas));
      expect(flag(argumentsList, '--replication-factor')).toBe('3');
      expect(flag(argumentsList, '--internal-port')).toBe('26502');
      expect(flag(argumentsList, '--port')).toBe('26500');
      expect(flag(argumentsList, '--monitoring-port')).toBe('9600');
      expect(flag(argumentsList, '--data-dir')).toBe(container.volumeMounts[0].mountPath);
      expect(flag(argumentsList, '--cluster-id')).toBe('tributary');
      expect(flag(argumentsList, '--contact-points')?.split(',')).toEqual(
        Array.from({ length: replicas }, (_, node) => `tributary-${node}.tributary-internal.workflows.svc.cluster.local:26502`),
      );
    }
  });
});
