/**
 * A learner who copies the lessons' own commands, as the UI's command box shows them on this machine
 * (our spelling: 127.0.0.1:5000, first-push), into their own shell, one step at a time and in order, with
 * `swarm-workshop check` after each: every step must tick. The commands come from the lesson files, so a
 * lesson whose commands and checks disagree fails here, in check mode, not only in auto mode.
 *
 * The articles' spelling and the usual mistakes are articles.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { profileVariables } from '../../runner/docker/probe.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { displayCommand, renderCommand } from '../../runner/lesson/template.js';
import { dockercoinsDir, lessonsDir } from '../../runner/paths.js';
import { docker, emptyWorkshop, requireTestEngine } from '../support/engine.js';
import { failures, learner, profile } from '../support/learner.js';

const { chapters } = loadLessons(lessonsDir);
/** Stands for the debug container in a command; the learner's shell finds it (DEBUG in learner.ts). */
const DEBUG = '@@DEBUG@@';

describe('the lessons\' commands, copied from the command box into a shell, judged by `check` after each step', () => {
  const me = learner();
  let variables: Record<string, string | string[]> = {};
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
    const hostname = (await docker(['info', '--format', '{{.Name}}'])).stdout.trim();
    variables = { ...profileVariables(profile, { hostname } as Parameters<typeof profileVariables>[1]), dockercoins: dockercoinsDir, workspace: me.workspace, debug: DEBUG };
  });

  for (const chapter of chapters) {
    it(`${chapter.id}: each step ticks once its commands are typed`, async () => {
      // The learner's copy of the source is made by the chapter's first check, as the UI does on opening it.
      await me.check(chapter.id, 0);
      const report: string[] = [];
      for (const [i, step] of chapter.steps.entries()) {
        for (const command of step.commands) {
          const line = displayCommand(renderCommand(command.template, variables)).replaceAll(DEBUG, '$(DEBUG)');
          await me.type(line);
        }
        const r = await me.check(chapter.id, 90);
        report.push(`[${i + 1}/${chapter.steps.length}] ${step.id}: ${r.status.get(step.id)}`);
        expect({ step: step.id, status: r.status.get(step.id), failures: failures(r.events, step.id) }).toEqual({ step: step.id, status: 'done', failures: [] });
        // Every step before it still ticks (or was changed by a later step, as the lessons do).
        const behind = chapter.steps.slice(0, i).filter((s) => r.status.get(s.id) !== 'done').map((s) => s.id);
        expect({ step: step.id, behind }).toEqual({ step: step.id, behind: [] });
      }
      console.log(report.join('\n'));
    }, 20 * 60_000);
  }
});
