/**
 * What a learner types is what auto mode runs: every command of every lesson, as the command box shows it
 * (displayCommand), typed into bash, reaches docker as the very arguments auto mode passes (renderCommand).
 * With auto mode's `--prove` run on the engine (each step's checks fail before it and pass after it), this
 * is what makes the lessons' own spelling, typed by hand, pass `check` too. Both profiles (with and without
 * IPVS, and a lab's web UI pinned to node1), and a workspace path with a space in it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../runner/docker/client.js';
import { defaultProfile, type Profile } from '../../runner/docker/profile.js';
import { profileVariables } from '../../runner/docker/probe.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { displayCommand, renderCommand } from '../../runner/lesson/template.js';
import { lessonsDir } from '../../runner/paths.js';

const { chapters } = loadLessons(lessonsDir);
const profiles: Record<string, Profile> = {
  'with IPVS': { ...defaultProfile, ipvs: true },
  'without IPVS': { ...defaultProfile, ipvs: false },
  'a lab without IPVS': { ...defaultProfile, ipvs: false, pinTo: 'node1' },
};

/** The words bash makes of a typed line (no command run: printf shows each word). */
function typed(lines: string[]): string[][] {
  const script = lines.map((l) => `printf '%s\\0' ${l}; printf '\\n'`).join('\n');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', cwd: '/' });
  return out.split('\n').slice(0, lines.length).map((l) => l.split('\0').slice(0, -1));
}

describe('the command box, typed by hand', () => {
  for (const [name, profile] of Object.entries(profiles)) {
    it(`${name}: every lesson command typed into bash gives docker the arguments auto mode runs`, () => {
      const variables = {
        ...profileVariables(profile, { hostname: 'node1' } as EngineInfo),
        dockercoins: '/usr/lib/node_modules/swarm-workshop/dockercoins',
        workspace: '/home/a learner/swarm-workshop/dockercoins',
        debug: '3f2a1b0c9d8e',
      };
      const runs = chapters.flatMap((c) => c.steps.flatMap((s) => s.commands.map((cmd) => ({ at: `${c.id}/${s.id}`, args: renderCommand(cmd.template, variables) }))));
      expect(runs.length).toBeGreaterThan(40);
      const shown = runs.map((r) => displayCommand(r.args));
      const words = typed(shown);
      for (const [i, r] of runs.entries()) expect({ at: r.at, typed: words[i] }).toEqual({ at: r.at, typed: r.args });
    });
  }
});
