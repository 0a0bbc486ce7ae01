/**
 * What the program says outside the UI and the checks, in both languages: `--help` (commander's own words
 * too), the errors with their next steps, and English exactly as it was before the catalogues.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modemOptions } from '../../runner/docker/endpoint.js';
import { requireSwarmManager, type EnvironmentReport } from '../../runner/docker/probe.js';
import { chapterOrAbort } from '../../runner/commands/lessons.js';
import { doctor, lint } from '../../runner/commands/info.js';
import { describeTaken } from '../../runner/commands/preflight.js';
import { reset } from '../../runner/commands/reset.js';
import { AbortError, formatError } from '../../runner/errors.js';
import { setLanguage, type Language } from '../../runner/i18n/language.js';
import { labShell } from '../../runner/lab/lab.js';
import { packageRoot } from '../../runner/paths.js';
import { langFlag, program, unknownCommand, usageError } from '../../runner/program.js';
import { wrapText } from '../../runner/tui/wrap.js';
import { fakeDocker } from '../support/fake-docker.js';
import { emptyManager, fakeEngine } from '../support/fake-engine.js';

const speak = (lang: Language) => setLanguage({ lang, source: lang === 'en' ? 'default' : '--lang' });
let home: string;
const savedHome = process.env.SWARM_WORKSHOP_HOME;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sw-lang-'));
  process.env.SWARM_WORKSHOP_HOME = home;
});
afterEach(() => {
  setLanguage({ lang: 'en', source: 'default' });
  if (savedHome === undefined) delete process.env.SWARM_WORKSHOP_HOME;
  else process.env.SWARM_WORKSHOP_HOME = savedHome;
});

/** What `swarm-workshop ARGS` prints for help (commander ends a help by throwing, exit code 0). */
async function help(args: string[]): Promise<string> {
  let text = '';
  const p = await program((t) => void (text += t), new AbortController().signal, { code: 0 });
  await expect(p.parseAsync(args, { from: 'user' })).rejects.toMatchObject({ code: expect.stringMatching(/^commander\.help/), exitCode: 0 });
  return text;
}

/** commander's refusal of ARGS, as cli.ts prints it. */
async function refusal(args: string[]): Promise<string> {
  const p = await program(() => undefined, new AbortController().signal, { code: 0 });
  const error = await p.parseAsync(args, { from: 'user' }).then(() => undefined, (e: Error & { code: string }) => e);
  expect(error?.code).toMatch(/^commander\./);
  return formatError(usageError(error!, args));
}

/** The error a promise or a call ends with, as the terminal shows it. */
async function failure(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(AbortError);
    return formatError(error);
  }
  throw new Error('it did not fail');
}

describe('--help', () => {
  it('says in English exactly what it said before the catalogues', async () => {
    expect(await help(['check', '--help'])).toBe('Usage: swarm-workshop check [options] [chapter]\n\nchecks only: you type the commands, this ticks off the steps your cluster shows\ndone\n\nArguments:\n  chapter           ch3 or ch4 (or the folder name)\n\nOptions:\n  --wait <seconds>  how long to wait for the cluster to converge (default: 10)\n  --json            print one JSON event per line\n  -h, --help        show help (also `swarm-workshop <command> --help`)\n\nGlobal Options:\n  -v, --version     print the version\n  --lessons <dir>   read the lessons from another folder (for lesson authors)\n  --lang <lang>     the language of the lessons: en or zh (else\n                    SWARM_WORKSHOP_LANG, else the locale: LC_ALL, LC_MESSAGES,\n                    LANG)\n');
    expect(await help(['lab', 'up', '--help'])).toBe('Usage: swarm-workshop lab up [options]\n\nmake the lab (or repair the one there is), and point the docker context\nswarm-workshop-lab at node1\n\nOptions:\n  --nodes <n>         how many nodes: node1 is a manager; with 4 or 5, node1-3\n                      are (default: 3)\n  --api-port <port>   where node1\'s engine API answers on 127.0.0.1 (TLS)\n  --engine <version>  the nodes\' Docker engine: 20 (Debian 12\'s docker.io, the\n                      default) or 26 (Debian 13\'s) (choices: "20", "26")\n  -h, --help          show help (also `swarm-workshop <command> --help`)\n\nGlobal Options:\n  -v, --version       print the version\n  --lessons <dir>     read the lessons from another folder (for lesson authors)\n  --lang <lang>       the language of the lessons: en or zh (else\n                      SWARM_WORKSHOP_LANG, else the locale: LC_ALL, LC_MESSAGES,\n                      LANG)\n');
    const general = await help(['--help']);
    expect(general).toContain('Usage: swarm-workshop [options] [command]\n\nLearn Docker Swarm by doing: a terminal workshop that runs real docker commands\nand checks your cluster after every step.\n\nOptions:\n');
    expect(general).toContain('  help [command]             display help for command\n\nWith no command, the terminal UI opens: chapters, one step at a time, a live cluster panel.\n');
  });

  it('is all Chinese under --lang zh: the program\'s words and commander\'s, within 80 columns', async () => {
    speak('zh');
    const general = await help(['--help']);
    expect(general).toMatch(/^用法：swarm-workshop \[选项\] \[命令\]\n\n动手学 Docker Swarm/);
    expect(general).toContain('\n选项：\n');
    expect(general).toContain('\n命令：\n');
    expect(general).toContain('  run [选项] [chapter]    自动模式');
    expect(general).toContain('  help [命令]             显示命令的帮助');
    expect(general).toContain('章节：ch3（镜像仓库');
    const check = await help(['check', '--help']);
    expect(check).toContain('用法：swarm-workshop check [选项] [chapter]');
    expect(check).toContain('\n参数：\n');
    expect(check).toContain('\n全局选项：\n');
    expect(check).toContain('等待集群收敛的时长（秒）（默认：10）');
    const labUp = await help(['lab', 'up', '--help']);
    expect(labUp).toContain('可选："20", "26"）');
    for (const text of [general, check, labUp, await help(['lab', '--help']), await help(['prepare', '--help']), await help(['help', 'reset'])]) {
      expect(text).not.toMatch(/Usage|Options|Commands|Arguments|choices|default:|display help|\[options\]/);
      for (const line of text.split('\n').filter((l) => !l.startsWith('Docker：'))) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
    }
  });

  it('takes the language from --lang before commander reads the line', () => {
    expect(langFlag(['run', '--lang', 'zh', 'ch3'])).toBe('zh');
    expect(langFlag(['--lang=zh', 'list'])).toBe('zh');
    expect(langFlag(['--lessons', '--lang', 'list'])).toBeUndefined();
    expect(langFlag(['run', '--', '--lang', 'zh'])).toBeUndefined();
  });

  it('cuts Chinese between characters, by terminal columns, keeping punctuation on its line', () => {
    const text = '这台机器准备好了吗？引擎、集群、IPVS、端口、被占用的名称、命令、镜像、磁盘';
    const lines = wrapText(text, 20).split('\n');
    expect(lines.join('')).toBe(text);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(20);
    expect(lines.every((l) => !/^[，。：；、？）]/.test(l))).toBe(true);
    expect(wrapText('a few English words here', 10)).toBe('a few\nEnglish\nwords here');
    // An opening bracket stays with what it opens.
    expect(wrapText('监听这个地址（默认：8765）', 14)).toBe('监听这个地址\n（默认：8765）');
  });
});

describe('errors and their next steps', () => {
  it('command-line refusals: English as commander says it, Chinese from the catalogue', async () => {
    expect(await refusal(['check', 'ch3', '--wait', '-5'])).toBe("error: option '--wait <seconds>' argument '-5' is invalid. it takes a number of seconds, 0 or more.\n  → `swarm-workshop check --help` lists the arguments and options");
    expect(await refusal(['list', 'foo', 'bar'])).toContain("error: too many arguments for 'list'. Expected 0 arguments but got 2.");
    speak('zh');
    expect(await refusal(['check', 'ch3', '--wait', '-5'])).toBe("错误：选项 '--wait <seconds>' 的值 '-5' 无效：它的值是秒数，0 或更大。\n  → `swarm-workshop check --help` 列出参数和选项");
    expect(await refusal(['list', 'foo', 'bar'])).toContain("错误：'list' 的参数太多：应为 0 个，实际给了 2 个。");
    expect(await refusal(['lab', 'up', '--engine', '30'])).toContain('无效：可选值为 20, 26。');
    expect(await refusal(['run', '--bogus'])).toContain("错误：未知选项 '--bogus'");
    expect(formatError(unknownCommand('lst', ['list', 'lint']))).toBe('错误：未知命令“lst”\n  → 你是想用 `swarm-workshop list` 吗？\n  → 可用的命令：list, lint；`swarm-workshop --help` 说明每个命令的作用');
  });

  it('reset with no engine: says so in the run\'s language, English unchanged', async () => {
    const docker = Object.assign(fakeDocker({ info: async () => { throw new Error('connect ENOENT /nonexistent/docker.sock'); } }), { host: 'unix:///nonexistent/docker.sock' });
    const run = () => reset({ yes: true }, () => undefined, docker);
    expect(await failure(run)).toBe('error: cannot reach the Docker engine at unix:///nonexistent/docker.sock (connect ENOENT /nonexistent/docker.sock); nothing was removed and progress is unchanged\n' +
      '  → start Docker (for example `sudo systemctl start docker`), or point DOCKER_HOST at the engine the workshop used\n' +
      '  → check with `docker info`, then run `swarm-workshop reset` again');
    speak('zh');
    const zh = await failure(run);
    expect(zh).toMatch(/^错误：连不上 unix:\/\/\/nonexistent\/docker\.sock 上的 Docker 引擎（connect ENOENT \/nonexistent\/docker\.sock）；什么都没有删除，进度保持不变\n/);
    expect(zh).toContain('  → 用 `docker info` 检查，然后再运行 `swarm-workshop reset`');
  });

  it('no swarm, a worker, a DOCKER_HOST docker cannot use, an unknown chapter, no lab: Chinese under zh, English as before', async () => {
    const report = (info: object | undefined): EnvironmentReport => ({
      host: 'unix:///var/run/docker.sock', engine: info ? { ok: true, info: info as never } : { ok: false, error: 'connect ENOENT' },
      ipvs: false, ipvsSource: 'this machine', ports: [], localhost: '127.0.0.1', images: [], prepared: [],
    });
    const cases = [
      () => requireSwarmManager(report(undefined)),
      () => requireSwarmManager(report({ swarmState: 'inactive', isManager: false, hostname: 'n1' })),
      () => requireSwarmManager(report({ swarmState: 'active', isManager: false, hostname: 'n1' })),
      () => modemOptions('udp://not-an-address'),
      () => chapterOrAbort([{ id: 'ch3', title: 'Chapter 3' } as never], 'ch9'),
      () => labShell(undefined, { ...process.env, SWARM_WORKSHOP_HOME: home }),
    ];
    const english = await Promise.all(cases.map(failure));
    expect(english).toEqual([
      'error: cannot reach the Docker engine at unix:///var/run/docker.sock (connect ENOENT)\n  → start Docker (for example `sudo systemctl start docker`), or point DOCKER_HOST at a running engine\n  → check with `docker info`',
      'error: this engine is not in swarm mode (swarm: inactive)\n  → run `docker swarm init` (add `--advertise-addr <ip>` if it asks which address to use)',
      'error: this node (n1) is a swarm worker; services can only be managed from a manager\n  → run the workshop on a manager node (`docker node ls` on a manager lists them)\n  → or promote this node from a manager: `docker node promote n1`',
      'error: DOCKER_HOST=udp://not-an-address is not an address docker can use (it must start with unix://, tcp:// or ssh://)\n  → set it to the engine\'s address, e.g. `unix:///var/run/docker.sock` or `tcp://HOST:2375`, or unset it to use the current docker context\n  → check with `docker info`',
      'error: unknown chapter "ch9"\n  → the chapters are: ch3 (Chapter 3)\n  → see them with `swarm-workshop list`',
      'error: there is no lab to open a shell on\n  → `swarm-workshop lab up` makes one',
    ]);
    speak('zh');
    const chinese = await Promise.all(cases.map(failure));
    expect(chinese[0]).toContain('错误：连不上 unix:///var/run/docker.sock 上的 Docker 引擎（connect ENOENT）');
    expect(chinese[1]).toBe('错误：这个引擎没有处于集群模式（swarm：inactive）\n  → 运行 `docker swarm init`（如果它问用哪个地址，加上 `--advertise-addr <ip>`）');
    expect(chinese[2]).toContain('这个节点（n1）是工作节点');
    expect(chinese[2]).toContain('`docker node promote n1`');
    expect(chinese[3]).toContain('DOCKER_HOST=udp://not-an-address 不是 docker 能用的地址（它必须以 unix://、tcp:// 或 ssh:// 开头）');
    expect(chinese[4]).toBe('错误：未知章节“ch9”\n  → 可用的章节：ch3 (Chapter 3)\n  → 用 `swarm-workshop list` 查看它们');
    expect(chinese[5]).toBe('错误：没有可以打开 shell 的实验环境\n  → `swarm-workshop lab up` 会创建一个');
    // Nothing English is left in them but names, commands and what the engine said.
    for (const text of chinese) expect(text).not.toMatch(/\b(error|cannot|the|is|check with|start Docker)\b/);
  });

  it('names taken by something else, and a bug: in both languages', () => {
    const taken = { foreign: [{ kind: 'network' as const, name: 'dockercoins', id: 'n1', why: 'bridge', remove: 'docker network rm dockercoins' }], ports: [{ port: 5000, service: 'registry', detail: 'in use by another process' }] };
    expect(describeTaken(taken).lines).toEqual(['network dockercoins: bridge', 'port 5000: in use by another process; the lessons publish the registry service there']);
    expect(formatError(new Error('boom'))).toMatch(/^internal error \(this is a bug in swarm-workshop, please report it with the text below\):\nError: boom/);
    speak('zh');
    expect(describeTaken(taken).lines).toEqual(['网络 dockercoins：bridge', '端口 5000：in use by another process；课程要在这里发布 registry 服务']);
    expect(describeTaken(taken).choices[0]).toBe('如果网络 dockercoins 是你的，而且不再需要，就删除它：`docker network rm dockercoins`');
    expect(formatError(new Error('boom'))).toMatch(/^内部错误（这是 swarm-workshop 的缺陷，请连同下面的文字一起报告）：\nError: boom/);
  });

  it('lint: its summary in both languages, the problems as the lesson files have them', async () => {
    const bad = join(packageRoot, 'test', 'fixtures', 'lessons', 'bad');
    const said = async () => {
      let text = '';
      const code = await lint((t) => void (text += t), { lessons: bad });
      return { code, text };
    };
    const english = await said();
    expect(english.code).toBe(1);
    expect(english.text).toContain(`\n8 problem(s) in ${bad}\n`);
    speak('zh');
    const chinese = await said();
    expect(chinese.code).toBe(1);
    expect(chinese.text).toContain(`\n${bad} 中有 8 个问题\n`);
    expect(chinese.text).toContain('04-undefined-variable.md:6: undefined template variable ${regsitry}');
  });
});

describe('doctor', () => {
  it('says what it sees in the run\'s language (a stand-in engine: a one-node swarm with nothing on it)', async () => {
    const engine = await fakeEngine(emptyManager());
    const saved = { host: process.env.DOCKER_HOST, ipvs: process.env.SWARM_WORKSHOP_IPVS };
    process.env.DOCKER_HOST = engine.host;
    process.env.SWARM_WORKSHOP_IPVS = '0';
    const said = async () => {
      let text = '';
      await doctor((t) => void (text += t));
      return text;
    };
    try {
      const english = await said();
      expect(english).toContain(`Docker engine: ${engine.host} (DOCKER_HOST)\n`);
      expect(english).toContain('✓ engine 20.10.24 on fake-node\n✓ swarm: active\n✓ this node is a manager, 1 node(s) in the swarm\n');
      expect(english).toContain('! IPVS missing (set by SWARM_WORKSHOP_IPVS): the workshop uses --endpoint-mode dnsrr and host-mode publishing (mode=host), and explains why\n');
      expect(english).toContain('! DockerCoins images prepared: 0/5; the build steps will download packages from Debian\'s mirror (minutes)\n    → run `swarm-workshop prepare` ahead of time\n');
      speak('zh');
      const chinese = await said();
      expect(chinese).toContain(`Docker 引擎：${engine.host}（DOCKER_HOST）\n`);
      expect(chinese).toContain('✓ 引擎 20.10.24，运行在 fake-node\n✓ 集群：active\n✓ 这个节点是管理节点，集群中有 1 个节点\n');
      expect(chinese).toContain('! 缺少 IPVS（由 SWARM_WORKSHOP_IPVS 设定）：');
      expect(chinese).toContain('! DockerCoins 镜像已准备：0/5；');
      expect(chinese).toContain('✓ 镜像仓库地址：127.0.0.1:5000\n');
      expect(chinese).toMatch(/\n(准备就绪|尚未就绪)：/);
      // The same lines, each said in Chinese.
      expect(chinese.split('\n').length).toBe(english.split('\n').length);
      for (const line of chinese.replace(engine.host, 'HOST').split('\n')) expect(line, line).not.toMatch(/\b(the|is|are|not|found|free|present|command|engine|image|port)\b/);
    } finally {
      process.env.DOCKER_HOST = saved.host;
      if (saved.host === undefined) delete process.env.DOCKER_HOST;
      process.env.SWARM_WORKSHOP_IPVS = saved.ipvs;
      if (saved.ipvs === undefined) delete process.env.SWARM_WORKSHOP_IPVS;
      await engine.close();
    }
  }, 30_000);
});
