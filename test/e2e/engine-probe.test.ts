/**
 * The engine-side probe that decides IPVS for engines not on this machine's kernel (Docker Desktop, a
 * remote engine), run here against the real test engine, whose kernel is this machine's: its verdict must
 * agree with the local probe's.
 */
import { release } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { DockerodeClient } from '../../runner/docker/dockerode-client.js';
import { IPVS_SCRIPT } from '../../runner/docker/probe.js';
import { probeIpvs } from '../../runner/docker/profile.js';
import { docker, requireTestEngine, testDockerHost } from '../support/engine.js';

const client = new DockerodeClient(testDockerHost());
const image = 'debian:bookworm-slim';

describe('probeEngine on the real engine', () => {
  beforeAll(requireTestEngine);

  it('returns the script\'s exit code and leaves no container behind', async () => {
    expect(await client.probeEngine(image, 'true')).toBe(0);
    expect(await client.probeEngine(image, 'exit 3')).toBe(3);
    expect((await docker(['ps', '-aq', '--filter', 'label=org.swarm-workshop.probe'])).stdout.trim()).toBe('');
  });

  it('looks at the engine\'s kernel and host network namespace, so its IPVS verdict matches the local one here', async () => {
    expect(await client.probeEngine(image, `test "$(uname -r)" = "${release()}"`)).toBe(0);
    // The test engine's own bridge is visible only from the host's network namespace.
    expect(await client.probeEngine(image, 'test -e /proc/sys/net/ipv4/conf/swws0')).toBe(0);
    const engineSays = (await client.probeEngine(image, IPVS_SCRIPT)) === 0;
    expect(engineSays).toBe(probeIpvs(undefined, {}));
  });

  it('fails loudly for an image the engine does not have (the caller then guesses)', async () => {
    await expect(client.probeEngine('swarm-workshop/no-such-image:none', 'true')).rejects.toThrow(/no such image/i);
  });
});
