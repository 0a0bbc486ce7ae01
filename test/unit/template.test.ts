import { describe, expect, it } from 'vitest';
import { displayCommand, fillText, parseCommand, renderCommand, TemplateError, variablesOf } from '../../runner/lesson/template.js';

const vars = {
  registry: '127.0.0.1:5000',
  tag: 'v0.1',
  endpointMode: ['--endpoint-mode', 'dnsrr'],
  none: [],
  workspace: '/home/a learner/dockercoins',
};

describe('renderCommand', () => {
  it('splits on blanks and fills variables inside words', () => {
    expect(renderCommand('docker push ${registry}/dockercoins_rng:${tag}', vars)).toEqual([
      'docker', 'push', '127.0.0.1:5000/dockercoins_rng:v0.1',
    ]);
  });
  it('expands a list variable standing alone into several arguments, or none', () => {
    expect(renderCommand('docker service create ${endpointMode} --name x ${none} img', vars)).toEqual([
      'docker', 'service', 'create', '--endpoint-mode', 'dnsrr', '--name', 'x', 'img',
    ]);
  });
  it('keeps quoted text as one argument, Go templates included', () => {
    expect(renderCommand(`docker service inspect --format '{{json .Endpoint.Spec}}' rng`, vars)).toEqual([
      'docker', 'service', 'inspect', '--format', '{{json .Endpoint.Spec}}', 'rng',
    ]);
    expect(renderCommand(`sh -c 'curl -s http://rng/10 > /tmp/random'`, vars)).toEqual(['sh', '-c', 'curl -s http://rng/10 > /tmp/random']);
  });
  it('fills variables inside double quotes and keeps a value with a space as one argument', () => {
    expect(renderCommand('grep -n sleep "${workspace}/worker/worker.py"', vars)).toEqual([
      'grep', '-n', 'sleep', '/home/a learner/dockercoins/worker/worker.py',
    ]);
    expect(renderCommand('grep -n sleep ${workspace}/worker/worker.py', vars)).toEqual([
      'grep', '-n', 'sleep', '/home/a learner/dockercoins/worker/worker.py',
    ]);
  });
  it('does not treat a variable value as syntax', () => {
    expect(renderCommand('echo ${x}', { x: "a'b; rm -rf /" })).toEqual(['echo', "a'b; rm -rf /"]);
  });
  it('rejects an unknown variable and an unclosed quote', () => {
    expect(() => renderCommand('docker push ${nope}', vars)).toThrow(TemplateError);
    expect(() => parseCommand(`echo 'open`)).toThrow(/unclosed single quote/);
  });
});

describe('variablesOf and displayCommand', () => {
  it('lists the variables a command uses', () => {
    expect(variablesOf('docker tag a ${registry}/a:${tag} ${registry}')).toEqual(['registry', 'tag']);
  });
  it('quotes only what a shell would need quoted, and round-trips', () => {
    const args = ['sed', '-i', 's/time.sleep(0.1)/time.sleep(0.01)/', '/home/a learner/w.py', "it's"];
    const shown = displayCommand(args);
    expect(shown).toBe(`sed -i 's/time.sleep(0.1)/time.sleep(0.01)/' '/home/a learner/w.py' 'it'\\''s'`);
    expect(renderCommand(shown, {})).toEqual(args);
  });
});

describe('fillText', () => {
  it('fills variables into a value without splitting it, a list joined by spaces', () => {
    expect(fillText('${registry}/dockercoins_worker:v0.01', { registry: '127.0.0.1:5000' })).toBe('127.0.0.1:5000/dockercoins_worker:v0.01');
    expect(fillText('mode ${endpointMode} end', { endpointMode: ['--endpoint-mode', 'dnsrr'] })).toBe('mode --endpoint-mode dnsrr end');
    expect(fillText('no variables, $HOME stays', {})).toBe('no variables, $HOME stays');
  });
  it('throws on an unknown variable', () => {
    expect(() => fillText('${nope}', {})).toThrow(TemplateError);
  });
});
