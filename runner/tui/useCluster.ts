import { get } from 'node:http';
import { useEffect, useState } from 'react';
import { summarizeTasks } from '../../checks/services.js';
import type { DockerClient, ServiceInfo } from '../docker/client.js';

export interface ServiceRow {
  name: string;
  running: number;
  desired: number | 'global';
  image: string;
  updateState?: string;
  /** Running tasks already on the spec's image (for the rolling-update bar). */
  onImage: number;
}

async function snapshot(docker: DockerClient): Promise<ServiceRow[]> {
  const services = await docker.services();
  return Promise.all(
    services
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (s: ServiceInfo) => {
        const { running } = summarizeTasks(await docker.tasks(s.name));
        return {
          name: s.name,
          running: running.length,
          desired: s.mode.kind === 'global' ? 'global' : s.mode.replicas,
          image: s.image,
          updateState: s.updateState,
          onImage: running.filter((t) => t.image === s.image).length,
        } satisfies ServiceRow;
      }),
  );
}

/**
 * The services of the swarm, refreshed when Docker reports an event (a burst of events makes one
 * refresh), with a slow timer for what events do not cover (tasks on other nodes). Also bumps `tick`
 * on every refresh, which watch mode uses to re-check the current step.
 */
export function useCluster(docker: DockerClient | undefined): { rows: ServiceRow[]; tick: number; error?: string } {
  const [rows, setRows] = useState<ServiceRow[]>([]);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!docker) return;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let refreshing = false;
    let again = false;
    const refresh = async () => {
      if (refreshing) {
        again = true;
        return;
      }
      refreshing = true;
      try {
        const next = await snapshot(docker);
        if (!controller.signal.aborted) {
          setRows(next);
          setTick((t) => t + 1);
          setError(undefined);
        }
      } catch (e) {
        if (!controller.signal.aborted) setError((e as Error).message);
      } finally {
        refreshing = false;
        if (again && !controller.signal.aborted) {
          again = false;
          void refresh();
        }
      }
    };
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    };
    void refresh();
    const slow = setInterval(refresh, 5000);
    (async () => {
      try {
        for await (const _event of docker.events(controller.signal)) soon();
      } catch {
        // The timer keeps the panel fresh if the event stream breaks.
      }
    })();
    return () => {
      controller.abort();
      clearTimeout(timer);
      clearInterval(slow);
    };
  }, [docker]);
  return { rows, tick, error };
}

/** Hashes per second from the web UI, one sample every `everyMs`, the last `keep` kept. */
/**
 * GET a small JSON document with node:http, which Docker's client has loaded anyway: the global fetch
 * would load undici, some 15 MB of the UI's memory, for one request every two seconds.
 */
export function getJson(url: string, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = get(url, { signal }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

export function useMiningSpeed(enabled: boolean, everyMs = 2000, keep = 40): number[] {
  const [rates, setRates] = useState<number[]>([]);
  useEffect(() => {
    if (!enabled) return;
    let last: { hashes: number; now: number } | undefined;
    const controller = new AbortController();
    const sample = async () => {
      try {
        const s = (await getJson('http://127.0.0.1:8000/json', AbortSignal.any([controller.signal, AbortSignal.timeout(1500)]))) as { hashes: number; now: number };
        if (last && s.now > last.now) {
          const rate = (s.hashes - last.hashes) / (s.now - last.now);
          setRates((old) => [...old, rate].slice(-keep));
        }
        last = s;
      } catch {
        last = undefined;
      }
    };
    void sample();
    const timer = setInterval(sample, everyMs);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [enabled, everyMs, keep]);
  return rates;
}
