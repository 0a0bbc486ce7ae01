/**
 * Image references as a learner means them. `localhost:5000/x`, `127.0.0.1:5000/x` and `[::1]:5000/x`
 * name one registry (this machine's, on port 5000), and `x` is `x:latest`: the checks compare references
 * in this form, so that the articles' spelling (`localhost:5000`) and ours (`127.0.0.1:5000`) both pass.
 */

export interface ImageRef {
  /** `host:port` as written, or undefined for Docker Hub. */
  registry?: string;
  /** The path after the registry: `dockercoins_worker`, `library/redis`. */
  path: string;
  tag: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)(:\d+)?$/;

export function parseImage(reference: string): ImageRef {
  const noDigest = reference.replace(/@sha256:[0-9a-f]+$/, '');
  const slash = noDigest.indexOf('/');
  const first = slash < 0 ? '' : noDigest.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  const rest = hasRegistry ? noDigest.slice(slash + 1) : noDigest;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return { registry: hasRegistry ? first : undefined, path: tagged ? rest.slice(0, colon) : rest, tag: tagged ? rest.slice(colon + 1) : 'latest' };
}

/** Whether a registry address is this machine (any loopback spelling). */
export const isLoopback = (registry: string | undefined) => !!registry && LOOPBACK.test(registry);

/** The registry address with loopback spellings made one (`127.0.0.1:port`). */
export function canonicalRegistry(registry: string | undefined): string | undefined {
  if (!registry) return undefined;
  const match = LOOPBACK.exec(registry);
  return match ? `127.0.0.1${match[3] ?? ''}` : registry.toLowerCase();
}

/** A reference in the one form the checks compare: loopback registry as 127.0.0.1, tag made explicit. */
export function canonicalImage(reference: string): string {
  const r = parseImage(reference);
  const registry = canonicalRegistry(r.registry);
  return `${registry ? `${registry}/` : ''}${r.path}:${r.tag}`;
}

export const sameImage = (a: string, b: string) => canonicalImage(a) === canonicalImage(b);
