import { render } from 'ink-testing-library';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../runner/commands/setup.js';
import type { DockerClient, DockerEvent, ServiceInfo } from '../../runner/docker/client.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { ProgressStore } from '../../runner/progress.js';
import { App } from '../../runner/tui/App.js';
import { commandFor, footerFor } from '../../runner/tui/keys.js';
import { renderMarkdown } from '../../runner/tui/markdown.js';
import { bar, sparkline } from '../../runner/tui/widgets.js';
import { fakeDocker, serviceInfo } from '../support/fake-docker.js';
import { fakeSession, waitFor } from '../support/tui-session.js';

const { chapters } = loadLessons(lessonsDir);

/** Docker events that never come, until the listener stops. */
async function* quiet(signal: AbortSignal): AsyncIterable<DockerEvent> {
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
}

const session = (docker: DockerClient, store?: ProgressStore) => fakeSession(docker, { store });

const emptyCluster = () => fakeDocker({ services: async () => [], tasks: async () => [], networks: async () => [], events: quiet });


const apps: { unmount(): void }[] = [];
afterEach(() => apps.splice(0).forEach((a) => a.unmount()));
function mount(s: Session, checkWaitMs = 0) {
  const app = render(<App chapters={chapters} open={async () => s} color={false} checkWaitMs={checkWaitMs} />);
  apps.push(app);
  return app;
}

/** Mount on an empty cluster and open chapter 3 at its first step, as a learner's first keys do. */
async function openChapter3(docker = emptyCluster()) {
  const app = mount(session(docker));
  await waitFor(app.lastFrame, 'engine ✓');
  app.stdin.write('\r');
  await waitFor(app.lastFrame, 'ch3 · step 1/13');
  return app;
}

describe('the terminal UI', () => {
  it('switches the lessons between English and Chinese with L, staying on the same step with the same hints shown', async () => {
    const app = await openChapter3();
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'ch3 · step 2/13');
    app.stdin.write('h');
    await waitFor(app.lastFrame, 'hint 1:');
    expect(app.lastFrame()).toContain('English (L: 中文)');
    app.stdin.write('L');
    const zh = await waitFor(app.lastFrame, '向你的仓库推送第一个镜像');
    expect(zh).toContain('ch3 · 第 2/13 步');
    expect(zh).toContain('提示 1：`docker tag` 报 No such image');
    expect(zh).toContain('q 退出');
    expect(zh).toContain('中文 (L: English)');
    // The commands are the same in both languages.
    expect(zh).toContain('docker push 127.0.0.1:5000/first-push');
    app.stdin.write('L');
    const en = await waitFor(app.lastFrame, 'Push a first image to your registry');
    expect(en).toContain('ch3 · step 2/13');
  });

  it('lists the chapters with progress and where to resume', async () => {
    const store = new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-tui-')));
    store.update((p) => {
      p.steps['ch3/registry-service'] = { status: 'done', at: 'x' };
      p.steps['ch3/push-test-image'] = { status: 'skipped', at: 'x' };
    });
    const app = mount(session(emptyCluster(), store));
    const frame = await waitFor(app.lastFrame, 'resume at');
    expect(frame).toContain('ch3  Chapter 3');
    expect(frame).toContain('✓-··········· 1/13 done, resume at "Build the DockerCoins images"');
    expect(frame).toContain('······· 0/7 done');
    expect(frame).toContain('IPVS ✗ (dnsrr, host-mode ports)');
  });

  it('opens a chapter at the step to resume, with the commands written for this machine', async () => {
    const app = mount(session(emptyCluster()));
    await waitFor(app.lastFrame, 'engine ✓');
    app.stdin.write('\r');
    const frame = await waitFor(app.lastFrame, 'ch3 · step 1/13');
    expect(frame).toContain('--constraint node.hostname==node1');
    expect(frame).toContain('mode=host,target=5000,published=5000');
    expect(frame).toContain('--endpoint-mode dnsrr');
    // Without IPVS, the lesson says why the command looks like this.
    expect(frame.replace(/\s+/g, ' ')).toContain('IPVS');
  });

  it('checks the step against the cluster and shows expected vs actual', async () => {
    const app = await openChapter3();
    app.stdin.write('c');
    const frame = await waitFor(app.lastFrame, 'actual:   no service named registry');
    expect(frame).toContain('✗ registry runs 1 task(s)');
    expect(frame).toContain('expected: registry: 1/1 running');
    expect(frame).toContain('✗ failed');
  });

  it('a check never passes on a foreign object that only shares a name: the UI names it instead', async () => {
    const registry: ServiceInfo = serviceInfo('registry', 'redis:7');
    const app = await openChapter3(fakeDocker({
      services: async () => [registry],
      tasks: async () => [{ id: 't1', serviceName: 'registry', nodeId: 'n1', state: 'running', desiredState: 'running', image: 'redis:7', message: '' }],
      networks: async () => [],
      events: quiet,
    }));
    app.stdin.write('c');
    const frame = await waitFor(app.lastFrame, 'something else holds');
    expect(frame).toContain('✗ failed');
    expect(frame).not.toContain('✓ registry runs 1 task(s)');
  });

  it('shows hints one at a time, and the help overlay from the key table', async () => {
    const app = await openChapter3();
    app.stdin.write('h');
    const frame = await waitFor(app.lastFrame, 'hint 1:');
    expect(frame).not.toContain('hint 2:');
    app.stdin.write('?');
    const help = await waitFor(app.lastFrame, 'Keys');
    expect(help).toContain('check (I typed them myself)');
  });

  it('moves between steps and shows the cluster from Docker', async () => {
    const docker = fakeDocker({
      services: async () => [serviceInfo('registry', 'registry:2')],
      tasks: async () => [{ id: 't1', serviceName: 'registry', nodeId: 'n1', state: 'running', desiredState: 'running', image: 'registry:2', message: '' }],
      networks: async () => [],
      events: quiet,
    });
    const app = mount(session(docker));
    const home = await waitFor(app.lastFrame, '1/1');
    expect(home).toMatch(/registry\s+1\/1\s+registry:2/);
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'step 1/13');
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13 · Push a first image');
    app.stdin.write('p');
    await waitFor(app.lastFrame, 'step 1/13');
  });
  it('catching up asks first; any other key than u leaves the cluster alone, and step 1 has nothing to catch up on', async () => {
    const app = await openChapter3();
    app.stdin.write('u');
    expect(await waitFor(app.lastFrame, 'nothing before it')).toContain('step 1 starts from an empty swarm');
    // n answers the notice (it goes) and is not taken as a move; the next two are.
    app.stdin.write('n');
    app.stdin.write('nn');
    await waitFor(app.lastFrame, 'step 3/13');
    app.stdin.write('u');
    const asked = await waitFor(app.lastFrame, 'u again: catch up to step 3');
    expect(asked).toContain('(runs what is missing of steps 1-2) · any other key: stay');
    app.stdin.write('x');
    // The question goes with the next key; wait for a frame without it (a frame that kept it fails here).
    const deadline = Date.now() + 3000;
    while (app.lastFrame()!.includes('u again') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const stayed = app.lastFrame()!;
    expect(stayed).not.toContain('u again');
    expect(stayed).toContain('step 3/13');
    // Nothing ran: no step of the chapter was started.
    expect(stayed).not.toContain('catching up');
  });
});

describe('keys', () => {
  it('map through one table, per screen', () => {
    expect(commandFor('r', {}, 'step', false)).toBe('run');
    expect(commandFor('r', {}, 'home', false)).toBeUndefined();
    expect(commandFor('', { return: true }, 'home', false)).toBe('open');
    expect(commandFor('', { rightArrow: true }, 'step', false)).toBe('next');
  });
  it('are ignored while a step runs, except cancel', () => {
    expect(commandFor('r', {}, 'step', true)).toBeUndefined();
    expect(commandFor('q', {}, 'step', true)).toBeUndefined();
    expect(commandFor('c', { ctrl: true }, 'step', true)).toBe('cancel');
  });
  it('make the key line from the same table, dropping entries from the right but never help and quit', () => {
    expect(footerFor('home', 120)).toBe('↑↓ choose · enter open · l cluster · ? help · q quit');
    const wide = footerFor('step', 200);
    expect(wide).toBe('r run · c check · h hint · n/p next/prev · s skip · w watch · l cluster · esc back · u catch up · ? help · q quit');
    const narrow = footerFor('step', 80);
    expect(narrow.length).toBeLessThanOrEqual(80);
    expect(narrow).toMatch(/^r run · c check .* · \? help · q quit$/);
    expect(footerFor('step', 10)).toBe('? help · q quit');
  });
  it('say on the chapter list when the images are not prepared, and not when they are', async () => {
    const s = session(emptyCluster());
    const missing = mount({ ...s, report: { ...s.report, prepared: [{ ref: 'swarm-workshop/dockercoins_rng:prepared', present: false }, { ref: 'swarm-workshop/dockercoins_hasher:prepared', present: true }] } });
    expect(await waitFor(missing.lastFrame, 'engine ✓')).toContain('images not prepared (1/2): `swarm-workshop prepare` makes the build step quick');
    const ready = mount(session(emptyCluster()));
    expect(await waitFor(ready.lastFrame, 'engine ✓')).not.toContain('not prepared');
  });
  it('typed faster than the UI reads them still count one by one', async () => {
    const app = await openChapter3();
    app.stdin.write('nnn');
    await waitFor(app.lastFrame, 'step 4/13');
  });
});

describe('pictures and text', () => {
  it('draw sparklines and bars', () => {
    expect(sparkline([0, 5, 10], 10)).toBe('▁▅█');
    expect(bar(5, 10, 10)).toBe('█████░░░░░');
  });
  it('render Markdown without colour codes under NO_COLOR, wrapped to the width', () => {
    const text = renderMarkdown('Some **bold** text and a list:\n\n- an item long enough that it has to wrap at forty columns', 40, false);
    expect(text).not.toMatch(/\u001b\[/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    expect(text).toContain('bold');
  });
});
