import { describe, expect, it } from 'vitest';
import { buildStepLine } from '../../runner/commands/prepare.js';
import { APP_IMAGES, preparedRef } from '../../runner/docker/images.js';

describe('prepare', () => {
  it('shows the step lines of either builder and nothing else', () => {
    expect(buildStepLine('Step 2/7 : RUN apt-get update')).toBe('Step 2/7 : RUN apt-get update');
    expect(buildStepLine('#6 [2/4] RUN apt-get update  && apt-get install -y python3')).toBe('#6 [2/4] RUN apt-get update  && apt-get install -y python3');
    expect(buildStepLine('#6 [internal] load build definition from Dockerfile')).toBeUndefined();
    expect(buildStepLine('Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]')).toBeUndefined();
    expect(buildStepLine(' ---> Using cache')).toBeUndefined();
    expect(buildStepLine(`Step 1/1 : RUN ${'x'.repeat(200)}`)).toHaveLength(100);
  });

  it('keeps its images under names of its own, never the ones the lessons build', () => {
    const refs = APP_IMAGES.map(preparedRef);
    expect(new Set(refs).size).toBe(5);
    for (const ref of refs) expect(ref).toMatch(/^swarm-workshop\/dockercoins_[a-z]+:prepared$/);
  });
});
