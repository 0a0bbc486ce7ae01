import type { CreatedResource } from './events.js';

/**
 * What a docker command line creates or removes, read from its arguments. Services and networks are
 * confirmed against Docker (the runner compares the ids before and after the command); image tags are
 * taken as written, since a build or tag that exited 0 made them.
 */

/** `docker X Y` or `docker Y` for the commands that exist in both forms (`docker image build` = `docker build`). */
function verb(args: string[]): { group: string; verb: string; rest: string[] } | undefined {
  if (args[0] !== 'docker') return undefined;
  const [, a = '', b = '', ...rest] = args;
  if (['service', 'network', 'image', 'container', 'buildx'].includes(a)) return { group: a, verb: b, rest };
  return { group: '', verb: a, rest: [b, ...rest].filter((x, i) => i > 0 || x !== '') };
}

/** The values of an option in every spelling docker accepts: `-t X`, `-tX`, `--tag X`, `--tag=X`. */
export function optionValues(args: string[], short: string | undefined, long: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${long}` || (short && a === `-${short}`)) {
      if (args[i + 1] !== undefined) values.push(args[++i]!);
    } else if (a.startsWith(`--${long}=`)) values.push(a.slice(long.length + 3));
    else if (short && a.startsWith(`-${short}`) && !a.startsWith('--') && a.length > 2) values.push(a.slice(2));
  }
  return values;
}

/** What kind of swarm object the command creates, if any (its id is found by comparing before and after). */
export function createsObject(args: string[]): 'service' | 'network' | undefined {
  const v = verb(args);
  if (v?.verb !== 'create') return undefined;
  return v.group === 'service' ? 'service' : v.group === 'network' ? 'network' : undefined;
}

/** Image references a command makes: every tag of a build, the target of a tag. */
export function imagesMade(args: string[], at: string): CreatedResource[] {
  const v = verb(args);
  if (!v) return [];
  if (v.verb === 'build' && (v.group === '' || v.group === 'image' || v.group === 'buildx')) {
    return optionValues(args, 't', 'tag').map((ref) => ({ kind: 'image', ref, at }));
  }
  if (v.verb === 'tag' && (v.group === '' || v.group === 'image')) {
    const positional = v.rest.filter((a) => !a.startsWith('-'));
    return positional[1] ? [{ kind: 'image', ref: positional[1], at }] : [];
  }
  return [];
}

/** What a removal command removes: `docker service rm`, `docker network rm`, `docker rmi` / `docker image rm`. */
export function removes(args: string[]): { kind: CreatedResource['kind']; names: string[] } | undefined {
  const v = verb(args);
  if (!v) return undefined;
  const names = v.rest.filter((a) => !a.startsWith('-'));
  const isRm = v.verb === 'rm' || v.verb === 'remove';
  if (isRm && v.group === 'service') return { kind: 'service', names };
  if (isRm && v.group === 'network') return { kind: 'network', names };
  if ((isRm && v.group === 'image') || (v.group === '' && v.verb === 'rmi')) return { kind: 'image', names };
  return undefined;
}
