import { ct } from './text.js';
import { canonicalRegistry, isLoopback, parseImage, sameImage } from './images.js';
import { fail, failWith, pass, str, type CheckContext, type CheckDefinition } from './types.js';

async function getJson(ctx: CheckContext, url: string): Promise<unknown> {
  const response = await ctx.fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(5000)]) });
  if (!response.ok) {
    // The status, and the first line of what the server said (a registry's JSON error, a proxy's page).
    const body = (await response.text().catch(() => '')).trim().split('\n')[0]!.slice(0, 160);
    throw new Error(`HTTP ${response.status}${body ? `: ${body}` : ''}`);
  }
  return response.json();
}

const reason = (error: unknown) => (error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error));

export const registryCatalog: CheckDefinition = {
  id: 'registry-catalog',
  params: {},
  polls: true,
  title: () => ct('registryCatalog.title'),
  hint: () => ct('registryCatalog.hint'),
  async run(_p, ctx) {
    const url = `http://${ctx.profile.registry}/v2/_catalog`;
    const expected = ct('registryCatalog.expected', { url });
    try {
      const body = (await getJson(ctx, url)) as { repositories?: unknown };
      return Array.isArray(body.repositories)
        ? pass(expected, ct('registryCatalog.actual', { list: JSON.stringify(body.repositories) }))
        : fail(expected, ct('registryCatalog.unexpected', { body: JSON.stringify(body).slice(0, 120) }));
    } catch (error) {
      return fail(expected, `${url}: ${reason(error)}`);
    }
  },
};

/**
 * Why a tag is not in the registry, from this engine's images: tagged here but not pushed (a push without
 * a tag pushes only :latest), or not tagged here either. Undefined when nothing here tells.
 */
export async function whyNotPushed(ctx: CheckContext, repository: string, tag: string): Promise<{ actual: string; hint: string } | undefined> {
  let images;
  try {
    images = await ctx.docker.images();
  } catch {
    return undefined;
  }
  const local = images.flatMap((i) => i.tags).filter((t) => {
    const r = parseImage(t);
    return isLoopback(r.registry) && r.path === repository;
  });
  const wanted = local.find((t) => parseImage(t).tag === tag);
  if (wanted) {
    const untagged = `${parseImage(wanted).registry}/${repository}`;
    return {
      actual: ct('registryHasTag.notPushed', { image: wanted }),
      hint: ct('registryHasTag.notPushedHint', { image: wanted, untagged }),
    };
  }
  if (local.length) {
    return {
      actual: ct('registryHasTag.otherTags', { images: local.join(', '), tag }),
      hint: ct('registryHasTag.otherTagsHint', { ref: `${ctx.profile.registry}/${repository}:${tag}` }),
    };
  }
  return undefined;
}

export const registryHasTag: CheckDefinition = {
  id: 'registry-has-tag',
  params: { repository: 'string', tag: 'string' },
  polls: true,
  title: (p) => ct('registryHasTag.title', { repository: str(p, 'repository'), tag: str(p, 'tag') }),
  hint: (p) => ct('registryHasTag.hint', { repository: str(p, 'repository') }),
  async run(p, ctx) {
    const repository = str(p, 'repository');
    const tag = str(p, 'tag');
    const url = `http://${ctx.profile.registry}/v2/${repository}/tags/list`;
    const expected = ct('registryHasTag.expected', { registry: ctx.profile.registry, repository, tag });
    let actual: string;
    try {
      const body = (await getJson(ctx, url)) as { tags?: string[] | null };
      const tags = body.tags ?? [];
      actual = ct('registryHasTag.tags', { repository, tags: tags.length ? tags.join(', ') : ct('common.none') });
      if (tags.includes(tag)) return pass(expected, actual);
    } catch (error) {
      const message = reason(error);
      if (!message.startsWith('HTTP 404')) return fail(expected, `${url}: ${message}`);
      actual = ct('registryHasTag.noRepository', { repository });
    }
    const why = await whyNotPushed(ctx, repository, tag);
    return why ? failWith(expected, `${actual}${ct('common.sep')}${why.actual}`, why.hint) : fail(expected, actual);
  },
};

/** Repositories of the registry with at least one tag: `name:tag`, a few per repository. */
async function registryImages(ctx: CheckContext): Promise<string[]> {
  const base = `http://${ctx.profile.registry}/v2`;
  const catalog = (await getJson(ctx, `${base}/_catalog`)) as { repositories?: string[] };
  const found: string[] = [];
  for (const repository of (catalog.repositories ?? []).slice(0, 50)) {
    try {
      const { tags } = (await getJson(ctx, `${base}/${repository}/tags/list`)) as { tags?: string[] | null };
      for (const tag of (tags ?? []).slice(0, 3)) found.push(`${repository}:${tag}`);
    } catch {
      // A repository whose only push failed half-way lists no tags: not an image.
    }
  }
  return found;
}

export const registryHasImage: CheckDefinition = {
  id: 'registry-has-image',
  params: {},
  polls: true,
  title: () => ct('registryHasImage.title'),
  hint: () => ct('registryHasImage.hint'),
  async run(_p, ctx) {
    const expected = ct('registryHasImage.expected', { registry: ctx.profile.registry });
    let images: string[];
    try {
      images = await registryImages(ctx);
    } catch (error) {
      return fail(expected, `http://${ctx.profile.registry}/v2/_catalog: ${reason(error)}`);
    }
    if (images.length) return pass(expected, ct('registryHasImage.holds', { images: `${images.slice(0, 5).join(', ')}${images.length > 5 ? ', ...' : ''}` }));
    // Nothing arrived: was something tagged for it here and not pushed?
    let local: string[] = [];
    try {
      local = (await ctx.docker.images()).flatMap((i) => i.tags).filter((t) => isLoopback(parseImage(t).registry));
    } catch {
      // No image list: the plain answer below.
    }
    if (local.length) {
      return failWith(expected, ct('registryHasImage.emptyTagged', { images: local.slice(0, 3).join(', ') }), ct('registryHasImage.emptyTaggedHint', { image: local[0] }));
    }
    return fail(expected, ct('registryHasImage.empty'));
  },
};

export const imageExists: CheckDefinition = {
  id: 'image-exists',
  params: { image: 'string' },
  title: (p) => ct('imageExists.title', { image: str(p, 'image') }),
  hint: (p) => ct('imageExists.hint', { image: str(p, 'image') }),
  async run(p, ctx) {
    const image = str(p, 'image');
    return (await ctx.docker.imageExists(image))
      ? pass(ct('imageExists.expected', { image }), ct('imageExists.actual', { image }))
      : fail(ct('imageExists.expected', { image }), ct('imageExists.missing', { image }));
  },
};

export const network: CheckDefinition = {
  id: 'network',
  params: { name: 'string', driver: 'string', scope: 'string' },
  title: (p) => ct('network.title', { name: str(p, 'name'), driver: str(p, 'driver'), scope: str(p, 'scope') }),
  hint: () => ct('network.hint'),
  async run(p, ctx) {
    const name = str(p, 'name');
    const expected = ct('network.expected', { name, driver: str(p, 'driver'), scope: str(p, 'scope') });
    const found = (await ctx.docker.networks()).find((n) => n.name === name);
    if (!found) return fail(expected, ct('network.missing', { name }));
    const actual = ct('network.expected', { name, driver: found.driver, scope: found.scope });
    return found.driver === str(p, 'driver') && found.scope === str(p, 'scope') ? pass(expected, actual) : fail(expected, actual);
  },
};

export { getJson, reason };

export const imageSameId: CheckDefinition = {
  id: 'image-same-id',
  params: { image: 'string', alias: 'string' },
  title: (p) => ct('imageSameId.title', { alias: str(p, 'alias'), image: str(p, 'image') }),
  hint: (p) => ct('imageSameId.hint', { alias: str(p, 'alias'), image: str(p, 'image') }),
  async run(p, ctx) {
    const image = str(p, 'image');
    const alias = str(p, 'alias');
    const expected = ct('imageSameId.expected', { image, alias });
    const images = await ctx.docker.images();
    const idOf = (ref: string) => images.find((i) => i.tags.some((t) => sameImage(t, ref)))?.id;
    const [a, b] = [idOf(image), idOf(alias)];
    const short = (id: string | undefined) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : ct('imageSameId.noSuchImage'));
    const actual = ct('imageSameId.actual', { image, a: short(a), alias, b: short(b) });
    if (a && a === b) return pass(expected, actual);
    // Both names there, on two images: the registry name was given to another image (or the image was
    // built again after the tag). Said as such, with what to type.
    if (a && b) return failWith(expected, ct('imageSameId.another', { actual, alias }), ct('imageSameId.anotherHint', { image, alias }));
    return fail(expected, actual);
  },
};

/** The manifest media types a registry may answer with; the digest header is the manifest's. */
const MANIFESTS = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** The digest the registry serves for repository:tag (its Docker-Content-Digest header). */
export async function registryDigest(ctx: CheckContext, repository: string, tag: string): Promise<string | undefined> {
  const url = `http://${ctx.profile.registry}/v2/${repository}/manifests/${tag}`;
  const response = await ctx.fetch(url, { headers: { Accept: MANIFESTS }, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(5000)]) });
  if (!response.ok) return undefined;
  return response.headers.get('docker-content-digest') ?? undefined;
}

/**
 * Several nodes: every node that runs a task of the service runs the image the registry serves for its
 * tag (the digest swarm pinned for the task is the one the registry answers with). A node can have
 * that image only from the registry, unless it built it itself: the manager where the learner builds is
 * said apart.
 */
export const pulledFromRegistry: CheckDefinition = {
  id: 'pulled-from-registry',
  params: { service: 'string' },
  title: (p) => ct('pulledFromRegistry.title', { service: str(p, 'service') }),
  hint: (p) => ct('pulledFromRegistry.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const expected = ct('pulledFromRegistry.expected', { name });
    const service = (await ctx.docker.services()).find((x) => x.name === name);
    if (!service) return fail(expected, ct('common.noService', { name }));
    const ref = parseImage(service.image);
    if (!ref.registry || canonicalRegistry(ref.registry) !== canonicalRegistry(ctx.profile.registry)) {
      return failWith(expected, ct('pulledFromRegistry.notFromRegistry', { name, image: service.image, registry: ctx.profile.registry }), `docker service update --image ${ctx.profile.registry}/${ref.path}:${ref.tag} ${name}`);
    }
    let digest: string | undefined;
    try {
      digest = await registryDigest(ctx, ref.path, ref.tag);
    } catch (error) {
      return fail(expected, ct('pulledFromRegistry.noAnswer', { reason: reason(error) }));
    }
    if (!digest) return fail(expected, ct('pulledFromRegistry.noTag', { ref: `${ref.path}:${ref.tag}` }));
    const [tasks, nodes] = await Promise.all([ctx.docker.tasks(name), ctx.docker.nodes()]);
    const running = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
    if (!running.length) return fail(expected, ct('common.noRunningTask', { name }));
    const host = (id: string) => nodes.find((n) => n.id === id)?.hostname ?? id.slice(0, 12);
    const good = new Set<string>();
    const bad: string[] = [];
    for (const t of running) {
      if (t.imageDigest === digest) good.add(host(t.nodeId));
      else bad.push(ct('pulledFromRegistry.runs', { node: host(t.nodeId), digest: t.imageDigest ? t.imageDigest.slice(0, 19) : ct('pulledFromRegistry.noDigest') }));
    }
    const sep = ct('common.sep');
    const actual = (good.size ? ct('pulledFromRegistry.actual', { digest: digest.slice(0, 19), nodes: [...good].sort().join(', ') }) : ct('pulledFromRegistry.actualNoNode', { digest: digest.slice(0, 19) }))
      + (bad.length ? `${sep}${[...new Set(bad)].join(sep)}` : '');
    return bad.length ? fail(expected, actual) : pass(expected, actual);
  },
};
