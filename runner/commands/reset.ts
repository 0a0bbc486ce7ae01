import { createInterface } from 'node:readline/promises';
import type { DockerClient } from '../docker/client.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { APP_IMAGES, preparedRef } from '../docker/images.js';
import { AbortError } from '../errors.js';
import { emptyProgress, ProgressStore, type CreatedResource } from '../progress.js';

const describe = (r: CreatedResource) => (r.kind === 'image' ? `image ${r.ref}` : `${r.kind} ${r.name} (${r.id.slice(0, 12)})`);

/** The recorded resources that still exist, matched by id (a same-named resource made by someone else is not ours). */
async function stillThere(docker: DockerClient, created: CreatedResource[]): Promise<CreatedResource[]> {
  const [services, networks] = await Promise.all([docker.services(), docker.networks()]);
  const result: CreatedResource[] = [];
  for (const r of created) {
    if (r.kind === 'service' && services.some((s) => s.id === r.id)) result.push(r);
    else if (r.kind === 'network' && networks.some((n) => n.id === r.id)) result.push(r);
    else if (r.kind === 'image' && (await docker.imageExists(r.ref))) result.push(r);
  }
  return result;
}

/** `prepare`'s images are a cache for the next class, not part of a chapter: reset keeps them, and says so. */
async function preparedNote(docker: DockerClient): Promise<string> {
  const kept = (await Promise.all(APP_IMAGES.map((n) => docker.imageExists(preparedRef(n)).catch(() => false)))).filter(Boolean).length;
  return kept ? `The ${kept} prepared image(s) stay, to keep the next builds fast; \`swarm-workshop prepare --remove\` removes them.\n` : '';
}

/**
 * `reset`: remove what the workshop recorded as created (services and networks by id, image tags by
 * name), after asking, and clear progress. Anything else on the engine is left alone. The workspace
 * with the learner's edits is kept.
 */
export async function reset(options: { yes: boolean }, out: (t: string) => void, docker: DockerClient = new DockerodeClient()): Promise<number> {
  const store = new ProgressStore();
  const { progress } = store.load();
  const present = await stillThere(docker, progress.created);
  if (!present.length) {
    store.save(emptyProgress());
    out('Nothing the workshop created is left; progress cleared.\n');
    out(await preparedNote(docker));
    return 0;
  }
  out(`The workshop created these, and will remove them:\n${present.map((r) => `  ${describe(r)}`).join('\n')}\n`);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new AbortError('reset needs a confirmation', ['run `swarm-workshop reset --yes` to remove them without asking'], 2);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Remove them? [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      out('Nothing removed.\n');
      return 1;
    }
  }
  const failures: string[] = [];
  const attempt = async (r: CreatedResource, remove: () => Promise<void>) => {
    try {
      await remove();
      out(`  removed ${describe(r)}\n`);
    } catch (error) {
      failures.push(`${describe(r)}: ${(error as Error).message}`);
    }
  };
  for (const r of present) if (r.kind === 'service') await attempt(r, () => docker.removeService(r.id));
  // A network can only go once the tasks on it have stopped; give them time.
  for (const r of present) {
    if (r.kind !== 'network') continue;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await docker.removeNetwork(r.id);
        // Swarm removes an overlay network asynchronously: wait until it is really gone, so that a
        // chapter run right after the reset can create it again.
        while (Date.now() < deadline && (await docker.networks()).some((n) => n.id === r.id)) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        out(`  removed ${describe(r)}\n`);
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          failures.push(`${describe(r)}: ${(error as Error).message}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
  for (const r of present) if (r.kind === 'image') await attempt(r, () => docker.removeImage(r.ref));
  const left = progress.created.filter((r) => failures.some((f) => f.startsWith(describe(r))));
  store.save({ ...emptyProgress(), created: left });
  if (failures.length) {
    throw new AbortError(`could not remove ${failures.length} resource(s):\n${failures.map((f) => `  ${f}`).join('\n')}`, [
      'they stay recorded: run `swarm-workshop reset` again once whatever holds them is gone',
    ]);
  }
  out('Done; progress cleared.\n');
  out(await preparedNote(docker));
  return 0;
}
