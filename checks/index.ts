import { dnsResolves, fileInService, miningSpeed, speedUp, webuiJson } from './app.js';
import { benchStory } from './bench.js';
import { imageCode, runningCode, workspaceSleep } from './code.js';
import { imageExists, imageSameId, network, pulledFromRegistry, registryCatalog, registryHasImage, registryHasTag } from './registry.js';
import { serviceConverged, serviceEndpoint, serviceExists, serviceImage, serviceOnManager, serviceOnNetwork, servicePublished, tasksSpread, updateCompleted, updateConfig } from './services.js';
import type { CheckDefinition } from './types.js';

/** Every check a lesson may name, by id. */
export const checks: ReadonlyMap<string, CheckDefinition> = new Map(
  [
    serviceConverged, serviceExists, serviceImage, servicePublished, serviceOnNetwork, serviceEndpoint, serviceOnManager, updateCompleted, updateConfig, tasksSpread,
    registryCatalog, registryHasTag, registryHasImage, imageExists, imageSameId, network, pulledFromRegistry,
    webuiJson, miningSpeed, speedUp, dnsResolves, fileInService,
    workspaceSleep, runningCode, imageCode, benchStory,
  ].map((check) => [check.id, check]),
);

export type { CheckContext, CheckDefinition, CheckOutcome, Params } from './types.js';
