import { describe, expect, it } from 'vitest';
import type { NetworkInfo, ServiceInfo } from '../../runner/docker/client.js';
import { profileVariables } from '../../runner/docker/probe.js';
import { defaultProfile } from '../../runner/docker/profile.js';
import { findForeign, lessonObjects, namesOf, repositoryName, serviceImage } from '../../runner/engine/claims.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { createsObject, imagesMade, optionValues, removes } from '../../runner/engine/resources.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { emptyProgress, progressRecorder, ProgressStore } from '../../runner/progress.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeDocker } from '../support/fake-docker.js';

const words = (line: string) => line.split(' ');

describe('what a command creates or removes', () => {
  it('reads every spelling of a build tag', () => {
    expect(optionValues(words('docker build -t a --tag b --tag=c -td dir'), 't', 'tag')).toEqual(['a', 'b', 'c', 'd']);
    expect(imagesMade(words('docker build --tag 127.0.0.1:5000/dockercoins_worker:v0.01 dir'), 'now')).toEqual([{ kind: 'image', ref: '127.0.0.1:5000/dockercoins_worker:v0.01', at: 'now' }]);
    expect(imagesMade(words('docker image build -t x .'), 'now').map((r) => r.kind === 'image' && r.ref)).toEqual(['x']);
    expect(imagesMade(words('docker tag dockercoins_rng 127.0.0.1:5000/dockercoins_rng:v0.1'), 'now').map((r) => r.kind === 'image' && r.ref)).toEqual(['127.0.0.1:5000/dockercoins_rng:v0.1']);
    expect(imagesMade(words('docker push x'), 'now')).toEqual([]);
  });
  it('knows creations and removals of services, networks and images', () => {
    expect(createsObject(words('docker service create --name web redis:7'))).toBe('service');
    expect(createsObject(words('docker network create --driver overlay dockercoins'))).toBe('network');
    expect(createsObject(words('docker service update web'))).toBeUndefined();
    expect(removes(words('docker service rm webui'))).toEqual({ kind: 'service', names: ['webui'] });
    expect(removes(words('docker network remove dockercoins'))).toEqual({ kind: 'network', names: ['dockercoins'] });
    expect(removes(words('docker rmi -f a b'))).toEqual({ kind: 'image', names: ['a', 'b'] });
    expect(removes(words('docker image rm a'))).toEqual({ kind: 'image', names: ['a'] });
    expect(removes(words('docker service ls'))).toBeUndefined();
  });
});

describe('the names the lessons use', () => {
  const { chapters } = loadLessons(lessonsDir);
  const objects = lessonObjects(chapters, profileVariables({ ...defaultProfile, ipvs: false }, { hostname: 'node1' } as never));
  it('are read from the lessons: services with their images, the network, the ports, the image tags', () => {
    expect(Object.fromEntries([...objects.services].map(([name, o]) => [name, o.repository]))).toEqual({
      registry: 'registry', redis: 'redis', hasher: 'dockercoins_hasher', rng: 'dockercoins_rng', webui: 'dockercoins_webui', worker: 'dockercoins_worker', debug: 'dockercoins_tools',
    });
    expect(objects.services.get('redis')?.network).toBe('dockercoins');
    expect([...objects.networks]).toEqual([['dockercoins', { driver: 'overlay', chapter: 'ch3' }]]);
    expect([...objects.ports]).toEqual([[5000, 'registry'], [8000, 'webui']]);
    expect(objects.images).toContain('dockercoins_tools');
    expect(objects.images).toContain('127.0.0.1:5000/dockercoins_worker:v0.01');
    expect(namesOf(chapters.find((c) => c.id === 'ch4')!, objects)).toEqual(new Set(['worker', 'dockercoins', 'redis', 'hasher', 'rng', 'webui']));
  });
  it('a repository is the same whichever registry address names it', () => {
    expect(repositoryName('127.0.0.1:5000/dockercoins_rng:v0.1')).toBe('dockercoins_rng');
    expect(repositoryName('localhost:5000/dockercoins_rng')).toBe('dockercoins_rng');
    expect(repositoryName('registry:2@sha256:' + 'a'.repeat(64))).toBe('registry');
    expect(serviceImage(words('docker service create --name debug --mode global --init -d 127.0.0.1:5000/dockercoins_tools:v0.1 sleep 1'))).toBe('127.0.0.1:5000/dockercoins_tools:v0.1');
  });
  it('tells a foreign object that only shares a name from one the lessons make', async () => {
    const service = (name: string, image: string) => ({ id: `id-${name}`, name, image, networks: [] as string[] }) as unknown as ServiceInfo;
    const network = (name: string, driver: string, scope: string) => ({ id: `id-${name}`, name, driver, scope }) as NetworkInfo;
    const docker = fakeDocker({
      services: async () => [service('registry', 'redis:7'), service('rng', 'localhost:5000/dockercoins_rng:v0.1'), service('mine', 'nginx')],
      networks: async () => [network('dockercoins', 'bridge', 'local')],
    });
    const foreign = await findForeign(docker, objects);
    expect(foreign.map((f) => `${f.kind} ${f.name}`)).toEqual(['service registry', 'network dockercoins']);
    expect(foreign[0]!.why).toBe("the lessons' registry runs the image registry, this one runs redis:7");
    expect(foreign[1]!.remove).toBe('docker network rm dockercoins');
    expect(await findForeign(docker, objects, new Set(['rng']))).toEqual([]);
  });
});

describe('progress as a subscriber of the events', () => {
  it('keeps steps done, ab results, measurements and what commands made or removed', () => {
    const store = new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-recorder-')));
    const record = progressRecorder(store);
    const events: WorkshopEvent[] = [
      { type: 'step-finished', chapter: 'ch3', step: 'a', status: 'failed', durationMs: 1 },
      { type: 'step-finished', chapter: 'ch3', step: 'b', status: 'done', durationMs: 1 },
      { type: 'resource-created', chapter: 'ch3', step: 'b', resource: { kind: 'service', id: 's1', name: 'webui', at: 't' } },
      { type: 'resource-created', chapter: 'ch3', step: 'b', resource: { kind: 'service', id: 's1', name: 'webui', at: 't' } },
      { type: 'resource-created', chapter: 'ch3', step: 'b', resource: { kind: 'image', ref: 'x:1', at: 't' } },
      { type: 'resource-created', chapter: 'ch3', step: 'b', resource: { kind: 'network', id: 'n1', name: 'net', at: 't' } },
      { type: 'resource-removed', chapter: 'ch3', step: 'c', kind: 'service', names: ['webui'] },
      { type: 'resource-removed', chapter: 'ch3', step: 'c', kind: 'image', names: ['x:1'] },
      { type: 'measurement', chapter: 'ch3', step: 'b', name: 'mining-speed', value: 9.5, unit: 'hashes/s' },
    ];
    for (const e of events) record(e);
    const { progress } = store.load();
    expect(Object.keys(progress.steps)).toEqual(['ch3/b']);
    expect(progress.created).toEqual([{ kind: 'network', id: 'n1', name: 'net', at: 't' }]);
    expect(progress.measurements.map((m) => m.value)).toEqual([9.5]);
    expect(progress).not.toEqual(emptyProgress());
  });
});
