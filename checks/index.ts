import { dnsResolves, fileInService, miningSpeed, webuiJson } from './app.js';
import { benchStory } from './bench.js';
import { runningCode, workspaceSleep } from './code.js';
import { imageExists, network, registryCatalog, registryHasImage, registryHasTag } from './registry.js';
import { serviceConverged, serviceExists, serviceImage, serviceOnNetwork, servicePublished, updateCompleted, updateConfig } from './services.js';
import type { CheckDefinition } from './types.js';

/** Every check a lesson may name, by id. */
export const checks: ReadonlyMap<string, CheckDefinition> = new Map(
  [
    serviceConverged, serviceExists, serviceImage, servicePublished, serviceOnNetwork, updateCompleted, updateConfig,
    registryCatalog, registryHasTag, registryHasImage, imageExists, network,
    webuiJson, miningSpeed, dnsResolves, fileInService,
    workspaceSleep, runningCode, benchStory,
  ].map((check) => [check.id, check]),
);

export type { CheckContext, CheckDefinition, CheckOutcome, Params } from './types.js';
