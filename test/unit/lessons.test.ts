import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.js';
import { chapterText, formatProblem, loadLessons, proseFor, stepText, TEMPLATE_VARIABLES, type LessonProblem } from '../../runner/lesson/load.js';
import { renderCommand } from '../../runner/lesson/template.js';
import { lessonsDir, packageRoot } from '../../runner/paths.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'lessons');

describe('the shipped lessons', () => {
  const { chapters, problems } = loadLessons(lessonsDir);
  it('are valid', () => {
    expect(problems.map(formatProblem)).toEqual([]);
    expect(chapters.map((c) => [c.id, c.steps.length])).toEqual([['ch3', 13], ['ch4', 7]]);
  });
  it('render every command for both profiles, with no variable left over', () => {
    const variables = Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v, v === 'endpointMode' ? ['--endpoint-mode', 'dnsrr'] : `<${v}>`]));
    for (const step of chapters.flatMap((c) => c.steps)) {
      for (const command of step.commands) {
        const args = renderCommand(command.template, variables);
        expect(args.join(' ')).not.toContain('${');
        expect(['docker', 'curl', 'grep', 'sed']).toContain(args[0]);
      }
    }
  });
  it('use only known checks, and every step has prose and hints', () => {
    for (const step of chapters.flatMap((c) => c.steps)) {
      for (const ref of step.checks) expect(checks.has(ref.check)).toBe(true);
      expect(step.body.length).toBeGreaterThan(200);
      expect(step.body).not.toContain('TODO');
      expect(step.hints.length).toBeGreaterThan(0);
    }
  });
});

describe('the shipped lessons in Chinese', () => {
  const { chapters } = loadLessons(lessonsDir);
  const han = /[\u4e00-\u9fff]/;
  it('give every chapter and every step its title, hints and prose in Chinese', () => {
    for (const c of chapters) {
      expect(chapterText(c, 'zh').title, c.id).toMatch(han);
      if (c.startsFrom) expect(chapterText(c, 'zh').what, c.id).toMatch(han);
      for (const step of c.steps) {
        const zh = stepText(step, 'zh');
        expect(zh.file, step.id).toMatch(/\.zh\.md$/);
        expect(zh.title, step.id).toMatch(han);
        expect(zh.hints.length, step.id).toBe(step.hints.length);
        for (const h of zh.hints) expect(h, step.id).toMatch(han);
        expect(proseFor(zh.body, false), step.id).toMatch(han);
      }
    }
  });
});

describe('lint problems', () => {
  const { problems } = loadLessons(join(fixtures, 'bad'));
  const lines = problems.map((p) => formatProblem({ ...p, file: p.file.slice(fixtures.length + 1) }));
  it('gives file and line for bad YAML', () => {
    expect(lines).toContain('bad/ch-bad/01-bad-yaml.md:7: bad YAML: Flow sequence in block collection must be sufficiently indented and end with a ]');
  });
  it('names an unknown check id at its line', () => {
    expect(lines).toContain('bad/ch-bad/02-unknown-check.md:8: unknown check id "service-is-happy" (see swarm-workshop lint --checks)');
  });
  it('finds a duplicate step id, even beside a step that is invalid for another reason', () => {
    expect(lines).toContain('bad/ch-bad/03-duplicate.md: duplicate step id "unknown-check" (also in 02-unknown-check.md)');
  });
  it('checks changed-by: later steps that exist, by id; and count parameters', () => {
    expect(lines).toContain('bad/ch-bad/05-changed-by.md:10: parameter "replicas" of service-converged must be a number or "global"');
    expect(lines).toContain('bad/ch-bad/05-changed-by.md:17: parameter "replicas" of service-image must be a number, or "N+" for at least N');
    expect(lines).toContain('bad/ch-bad/05-changed-by.md:18: changed-by is a step id, or a list of them (`other-step` in this chapter, `ch4/some-step` in another)');
  });
  it('finds an undefined template variable', () => {
    expect(lines).toContain('bad/ch-bad/04-undefined-variable.md:6: undefined template variable ${regsitry}');
  });
});

describe('changed-by', () => {
  it('names a later step of this chapter or another; an earlier or unknown one is a problem', () => {
    const { chapters, problems } = loadLessons(lessonsDir);
    expect(problems).toEqual([]);
    const scale = chapters[0]!.steps.find((s) => s.id === 'scale-workers')!;
    expect(scale.checks[0]!.changedBy).toEqual(['ch3/bench-rng']);
    const bench = chapters[0]!.steps.find((s) => s.id === 'bench-rng')!;
    expect(bench.checks.find((c) => c.changedBy)!.changedBy).toEqual(['ch4/read-the-source']);
    const fixture = loadLessons(join(fixtures, 'changed-by'));
    expect(fixture.problems.map((p) => formatProblem({ ...p, file: p.file.slice(fixtures.length + 1) }))).toEqual([
      'changed-by/cha/02-second.md: check service-exists: changed-by names step "cha/first", which does not come after this step',
      `changed-by/cha/02-second.md: check service-exists: changed-by names step "cha/nope", which is not in ${join(fixtures, 'changed-by')}`,
      `changed-by/cha/02-second.md: check service-exists: changed-by names step "other/step", which is not in ${join(fixtures, 'changed-by')}`,
    ]);
  });
});

describe('file names', () => {
  const relative = (p: LessonProblem) => formatProblem({ ...p, file: p.file.slice(fixtures.length + 1) });

  it('reports every file in a chapter that is not a step, naming the pattern', () => {
    const { chapters, problems } = loadLessons(join(fixtures, 'names'));
    const expected = 'not a step: a step file is named NN-name.md, e.g. 02-push-test-image.md';
    expect(problems.map(relative).sort()).toEqual([
      `names/chn/03_build.md: ${expected}`,
      `names/chn/04-x.markdown: ${expected}`,
      'names/chn/05-folder: not a step: a chapter folder holds chapter.yaml and step files, not folders',
      `names/chn/2-push.MD: ${expected}`,
      `names/chn/notes.md: ${expected}`,
    ]);
    // chapter.yaml, README.md, the dot-file and the Chinese translation are not reported; the step is read.
    expect(chapters.map((c) => c.steps.map((s) => s.id))).toEqual([['named-right']]);
  });

  it('orders steps by their number, then by name', () => {
    const { chapters, problems } = loadLessons(join(fixtures, 'order'));
    expect(problems.map(formatProblem)).toEqual([]);
    expect(chapters[0]!.steps.map((s) => basename(s.file))).toEqual(['1-one.md', '02-also-two.md', '2-two.md', '10-ten.md']);
  });
});

describe('a lessons folder', () => {
  it('with no chapter folders is a problem, not "all valid"', () => {
    const dir = join(fixtures, 'empty');
    expect(loadLessons(dir)).toEqual({
      chapters: [],
      problems: [{ file: dir, message: 'no chapters here: a chapter is a folder with chapter.yaml and NN-name.md steps' }],
    });
  });
  it('that does not exist is a problem, not an internal error', () => {
    const dir = join(fixtures, 'no-such-folder');
    expect(loadLessons(dir).problems.map(formatProblem)).toEqual([`${dir}: no such folder`]);
  });
  it('that is a file is a problem, not an internal error', () => {
    const file = join(fixtures, 'empty', 'README.md');
    expect(loadLessons(file).problems.map(formatProblem)).toEqual([`${file}: not a folder`]);
  });
});

describe('proseFor', () => {
  const body = 'Always.\n\n::: no-ipvs\nNo IPVS here.\n:::\n\n::: ipvs\nVIPs work.\n:::\nEnd.';
  it('keeps the block for this machine and drops the other', () => {
    expect(proseFor(body, false)).toBe('Always.\n\nNo IPVS here.\n\nEnd.');
    expect(proseFor(body, true)).toBe('Always.\n\n\nVIPs work.\nEnd.');
  });
});

describe('translations of a step (NN-name.zh.md)', () => {
  const { chapters, problems } = loadLessons(join(fixtures, 'translations'));
  const lines = problems.map((p) => formatProblem({ ...p, file: p.file.slice(fixtures.length + 1) }));
  const good = chapters[0]!.steps.find((s) => s.id === 'good')!;

  it('give a step its title, hints and prose in Chinese, and leave what it runs and checks to the step', () => {
    const zh = stepText(good, 'zh');
    expect(zh.title).toBe('一个带中文说明的步骤');
    expect(zh.hints).toEqual(['第一条提示。', '第二条提示。']);
    expect(proseFor(zh.body, false)).toContain('没有 IPVS 时。');
    expect(stepText(good, 'en').title).toBe('A step with its Chinese text');
    expect(good.commands.map((c) => c.template)).toEqual(['docker service ls']);
    // A step with no (valid) translation reads in English whatever the language.
    const other = chapters[0]!.steps.find((s) => s.id === 'sets-commands')!;
    expect(stepText(other, 'zh').title).toBe('A translation that redefines what the step runs');
  });

  it('are lint problems when they set commands or checks, name another step, miss a hint or a ::: block, or have no step', () => {
    expect(lines).toEqual(expect.arrayContaining([
      'translations/cht/02-sets-commands.zh.md:3: id must be the step\'s own, "sets-commands" (it is "sets-command")',
      'translations/cht/02-sets-commands.zh.md:6: "commands" is defined once, in 02-sets-commands.md, for every language: a translation has only format, id, title and hints',
      'translations/cht/02-sets-commands.zh.md:8: 2 hint(s), and 02-sets-commands.md has 1: translate each one',
      'translations/cht/02-sets-commands.zh.md: its ::: blocks (none) are not those of 02-sets-commands.md (ipvs)',
      'translations/cht/03-orphan.zh.md: a translation of 03-orphan.md, which is not in this chapter',
    ]));
    expect(lines.filter((l) => l.includes('01-good'))).toEqual([]);
    // Steps in Chinese make a translated chapter: its title is needed too.
    expect(lines).toContain('translations/cht/chapter.zh.yaml: missing: the chapter has steps in zh, so its title needs translating too (title)');
  });
});

describe('lint --checks', () => {
  it('lists, step by step, one line per fact each step checks, with the steps that change it later', async () => {
    const { lint } = await import('../../runner/commands/info.js');
    let text = '';
    expect(await lint((t) => void (text += t), { checks: true })).toBe(0);
    const { chapters } = loadLessons(lessonsDir);
    for (const chapter of chapters) {
      chapter.steps.forEach((step, i) => {
        const heading = `  [${i + 1}/${chapter.steps.length}] ${step.id}\n`;
        expect(text, `${chapter.id}/${step.id}`).toContain(heading);
        // The step's block: from its heading to the next line that is not a fact or its measurement.
        const block = text.slice(text.indexOf(heading) + heading.length).split('\n');
        const facts = block.slice(0, block.findIndex((l) => !l.startsWith('      ')));
        // One line per check, then the measurement's line when the step keeps one.
        expect(facts.length, `${chapter.id}/${step.id}`).toBe(step.checks.length + (step.measure ? 1 : 0));
        if (step.measure) expect(facts.at(-1), `${chapter.id}/${step.id}`).toContain(`(measure: ${step.measure})`);
        for (const [k, ref] of step.checks.entries()) expect(facts[k], `${chapter.id}/${step.id} #${k}`).toContain(`(${ref.check}`);
      });
    }
    // Issue 11's added facts are among them.
    expect(text).toContain('registry has the endpoint mode this machine needs');
    expect(text).toContain('${registry}/dockercoins_webui:${tag} is another name of dockercoins_webui (one image ID)');
  });
});

describe('the lesson text, as issue 11 corrected it (English and Chinese)', () => {
  const read = (step: string, lang: 'en' | 'zh') => readFileSync(join(lessonsDir, 'ch3-registry', `${step}${lang === 'zh' ? '.zh' : ''}.md`), 'utf8');
  for (const lang of ['en', 'zh'] as const) {
    it(`${lang}: --publish-add exists; ab's two "Time per request" lines; why 127.0.0.1:5000 works; the digest warning; four programs`, () => {
      expect(read('08-publish-webui', lang)).toContain('--publish-add');
      expect(read('08-publish-webui', lang)).not.toMatch(/could not be added|cannot be added/);
      const bench = read('12-bench-rng', lang);
      expect(bench).toContain('(mean, across all concurrent requests)');
      expect(bench).toContain(lang === 'en' ? 'total time ÷ requests' : '总时间 ÷ 请求数');
      expect(read('04-push-images', lang)).toContain('127.0.0.0/8');
      expect(read('04-push-images', lang)).toContain(lang === 'en' ? 'routing mesh' : '路由网格');
      expect(read('06-redis-service', lang)).toContain('could not be accessed on a registry to record its digest');
      // Step 03 says one count of DockerCoins' own programs, and only that one.
      const counts = read('03-build-images', lang).match(lang === 'en' ? /\b(three|four|five) (small )?programs/g : /[三四五]个(自己的)?(小)?程序/g) ?? [];
      expect(new Set(counts.map((c) => c.replace(/small |自己的|小/g, ''))).size, counts.join(', ')).toBe(1);
    });
  }
});
