import { fail, pass, str, type CheckContext, type CheckDefinition } from './types.js';

async function getJson(ctx: CheckContext, url: string): Promise<unknown> {
  const response = await ctx.fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(5000)]) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

const reason = (error: unknown) => (error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error));

export const registryCatalog: CheckDefinition = {
  id: 'registry-catalog',
  params: {},
  polls: true,
  title: () => 'the registry answers its catalog API',
  hint: () => 'curl -v http://127.0.0.1:5000/v2/_catalog; docker service ps registry shows whether its task runs',
  async run(_p, ctx) {
    const url = `http://${ctx.profile.registry}/v2/_catalog`;
    const expected = `${url} answers {"repositories": [...]}`;
    try {
      const body = (await getJson(ctx, url)) as { repositories?: unknown };
      return Array.isArray(body.repositories)
        ? pass(expected, `repositories: ${JSON.stringify(body.repositories)}`)
        : fail(expected, `unexpected answer: ${JSON.stringify(body).slice(0, 120)}`);
    } catch (error) {
      return fail(expected, `${url}: ${reason(error)}`);
    }
  },
};

export const registryHasTag: CheckDefinition = {
  id: 'registry-has-tag',
  params: { repository: 'string', tag: 'string' },
  polls: true,
  title: (p) => `the registry holds ${str(p, 'repository')}:${str(p, 'tag')}`,
  hint: (p) => `curl http://127.0.0.1:5000/v2/${str(p, 'repository')}/tags/list; did docker push print a digest?`,
  async run(p, ctx) {
    const repository = str(p, 'repository');
    const tag = str(p, 'tag');
    const url = `http://${ctx.profile.registry}/v2/${repository}/tags/list`;
    const expected = `${ctx.profile.registry}/${repository} has tag ${tag}`;
    try {
      const body = (await getJson(ctx, url)) as { tags?: string[] | null };
      const tags = body.tags ?? [];
      const actual = `${repository} tags: ${tags.length ? tags.join(', ') : 'none'}`;
      return tags.includes(tag) ? pass(expected, actual) : fail(expected, actual);
    } catch (error) {
      const message = reason(error);
      return fail(expected, message === 'HTTP 404' ? `no repository ${repository} in the registry` : `${url}: ${message}`);
    }
  },
};

export const imageExists: CheckDefinition = {
  id: 'image-exists',
  params: { image: 'string' },
  title: (p) => `the image ${str(p, 'image')} exists on this engine`,
  hint: (p) => `docker image ls ${str(p, 'image')}; a failed build prints its error above the last step`,
  async run(p, ctx) {
    const image = str(p, 'image');
    return (await ctx.docker.imageExists(image))
      ? pass(`image ${image}`, `image ${image} exists`)
      : fail(`image ${image}`, `no image ${image}`);
  },
};

export const network: CheckDefinition = {
  id: 'network',
  params: { name: 'string', driver: 'string', scope: 'string' },
  title: (p) => `network ${str(p, 'name')} (${str(p, 'driver')}, scope ${str(p, 'scope')}) exists`,
  hint: () => 'docker network ls shows the driver and scope of each network',
  async run(p, ctx) {
    const name = str(p, 'name');
    const expected = `network ${name}, driver ${str(p, 'driver')}, scope ${str(p, 'scope')}`;
    const found = (await ctx.docker.networks()).find((n) => n.name === name);
    if (!found) return fail(expected, `no network named ${name}`);
    const actual = `network ${name}, driver ${found.driver}, scope ${found.scope}`;
    return found.driver === str(p, 'driver') && found.scope === str(p, 'scope') ? pass(expected, actual) : fail(expected, actual);
  },
};

export { getJson, reason };
