import { packageVersion } from '../paths.js';

/** Images the chapters start from; everything else they build. */
export const BASE_IMAGES = ['debian:bookworm-slim', 'registry:2', 'redis:7'];

/** The DockerCoins images the lessons build, by folder under dockercoins/. */
export const APP_IMAGES = ['rng', 'hasher', 'worker', 'webui', 'tools'] as const;
export type AppImage = (typeof APP_IMAGES)[number];

/**
 * Label on every image `prepare` builds: it is how `prepare --remove` knows an image is its own, so that
 * a same-named image somebody else made is never removed.
 */
export const PREPARED_LABEL = 'org.swarm-workshop.prepared';

/**
 * Where `prepare` keeps a built image. A name of its own, not the lesson's `dockercoins_rng`: the build
 * step must still have something to do (and to prove), yet find every layer in the cache.
 */
export const preparedRef = (name: AppImage) => `swarm-workshop/dockercoins_${name}:prepared`;

export const preparedLabelValue = packageVersion;

/** The lab's node image (a Docker engine in a container), built by `prepare` from the package's lab/node. */
export const NODE_IMAGE = 'swarm-workshop/node:prepared';

/**
 * The engine generations a lab's nodes can run (`lab up --engine`): Debian 12's docker.io 20.10, the
 * default, which `prepare` builds; Debian 13's docker.io 26.1, built by `lab up --engine 26` when missing.
 */
export const LAB_ENGINES = {
  '20': { image: NODE_IMAGE, base: 'debian:bookworm-slim', debian: 'Debian 12' },
  '26': { image: 'swarm-workshop/node:prepared-26', base: 'debian:trixie-slim', debian: 'Debian 13' },
} as const;
export type LabEngine = keyof typeof LAB_ENGINES;
export const isLabEngineVersion = (v: string): v is LabEngine => Object.hasOwn(LAB_ENGINES, v);
