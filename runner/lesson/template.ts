/**
 * Command templates: a command line as a learner would type it, with `${name}` variables. It is split
 * into arguments the way a POSIX shell splits words (blanks separate, single and double quotes group,
 * backslash escapes), then each variable is replaced. Nothing is ever run through a shell.
 */

/** A word of the template: literal text pieces and variable references, in order. */
type Piece = { text: string } | { variable: string };
export type Word = Piece[];

/** Values of the template variables: a string, or a list of words for a variable that expands to several. */
export type Variables = Record<string, string | string[]>;

export class TemplateError extends Error {}

const NAME = '\\$\\{([A-Za-z][A-Za-z0-9]*)\\}';
const VARIABLE = new RegExp(`^${NAME}`);

/** Split a command line into words; throws TemplateError on an unclosed quote. */
export function parseCommand(line: string): Word[] {
  const words: Word[] = [];
  let word: Word | undefined;
  const push = (piece: Piece) => {
    word ??= [];
    const last = word[word.length - 1];
    if ('text' in piece && last && 'text' in last) last.text += piece.text;
    else word.push(piece);
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new TemplateError(`unclosed single quote in: ${line}`);
      push({ text: line.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      push({ text: '' });
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        const variable = VARIABLE.exec(line.slice(i));
        if (variable) {
          push({ variable: variable[1]! });
          i += variable[0].length;
        } else if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          push({ text: line[i + 1]! });
          i += 2;
        } else {
          push({ text: d });
          i++;
        }
      }
      if (!closed) throw new TemplateError(`unclosed double quote in: ${line}`);
    } else if (c === '\\' && i + 1 < line.length) {
      push({ text: line[i + 1]! });
      i += 2;
    } else {
      const variable = VARIABLE.exec(line.slice(i));
      if (variable) {
        push({ variable: variable[1]! });
        i += variable[0].length;
      } else {
        push({ text: c });
        i++;
      }
    }
  }
  if (word) words.push(word);
  return words;
}

/** The variable names a command uses, for lint. */
export function variablesOf(line: string): string[] {
  return [...new Set(parseCommand(line).flatMap((word) => word.flatMap((p) => ('variable' in p ? [p.variable] : []))))];
}

/**
 * Render a command to an argument array. A word that is exactly one list-valued variable becomes as many
 * arguments as the list has (none for an empty list); a list inside a longer word is joined with spaces.
 */
export function renderCommand(line: string, variables: Variables): string[] {
  const args: string[] = [];
  for (const word of parseCommand(line)) {
    const only = word.length === 1 ? word[0] : undefined;
    if (only && 'variable' in only) {
      const value = lookup(only.variable, variables);
      if (Array.isArray(value)) args.push(...value);
      else args.push(value);
      continue;
    }
    args.push(
      word
        .map((p) => {
          if ('text' in p) return p.text;
          const value = lookup(p.variable, variables);
          return Array.isArray(value) ? value.join(' ') : value;
        })
        .join(''),
    );
  }
  return args;
}

/**
 * Fill the variables into a plain value (a check's parameter): no word splitting, a list joins with
 * spaces. Throws TemplateError on an unknown variable.
 */
export function fillText(text: string, variables: Variables): string {
  return text.replace(new RegExp(NAME, 'g'), (_all, name: string) => {
    const value = lookup(name, variables);
    return Array.isArray(value) ? value.join(' ') : value;
  });
}

function lookup(name: string, variables: Variables): string | string[] {
  const value = variables[name];
  if (value === undefined) throw new TemplateError(`unknown template variable \${${name}}`);
  return value;
}

/** Quote one argument for display so that pasting it into a POSIX shell gives back the same argument. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./\-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argument array as a learner would type it. */
export function displayCommand(args: string[]): string {
  return args.map(shellQuote).join(' ');
}
