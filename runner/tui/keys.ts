import { liteT, type T } from '../i18n/lite.js';
import { columns } from './columns.js';
/** Every key the terminal UI understands, in one table: the help overlay and the footer are made from it. */
export type UiCommand = 'run' | 'check' | 'catchup' | 'hint' | 'next' | 'previous' | 'skip' | 'watch' | 'cluster' | 'language' | 'help' | 'back' | 'open' | 'up' | 'down' | 'quit' | 'cancel' | 'hand';

export interface KeyBinding {
  keys: string[];
  command: UiCommand;
  /** Where the key works. */
  where: 'home' | 'step' | 'everywhere';
  /** The screens whose key line shows it (`ui.footer.<command>`); absent: only in the help overlay (`ui.keys.<command>`). */
  footer?: ('home' | 'step')[];
  /** Only for a learner who joined a board: elsewhere the key does nothing and is shown nowhere. */
  joined?: true;
}

export const KEY_TABLE: KeyBinding[] = [
  { keys: ['r'], command: 'run', where: 'step', footer: ['step'] },
  { keys: ['c'], command: 'check', where: 'step', footer: ['step'] },
  { keys: ['u'], command: 'catchup', where: 'step', footer: ['step'] },
  { keys: ['h'], command: 'hint', where: 'step', footer: ['step'] },
  { keys: ['n', 'right'], command: 'next', where: 'step', footer: ['step'] },
  { keys: ['p', 'left'], command: 'previous', where: 'step' },
  { keys: ['s'], command: 'skip', where: 'step', footer: ['step'] },
  { keys: ['w'], command: 'watch', where: 'step', footer: ['step'] },
  { keys: ['l'], command: 'cluster', where: 'everywhere', footer: ['home', 'step'] },
  { keys: ['L'], command: 'language', where: 'everywhere' },
  { keys: ['escape', 'b'], command: 'back', where: 'step', footer: ['step'] },
  { keys: ['return'], command: 'open', where: 'home', footer: ['home'] },
  { keys: ['up', 'k'], command: 'up', where: 'everywhere', footer: ['home'] },
  { keys: ['down', 'j'], command: 'down', where: 'everywhere' },
  { keys: ['!'], command: 'hand', where: 'everywhere', footer: ['home', 'step'], joined: true },
  { keys: ['?'], command: 'help', where: 'everywhere', footer: ['home', 'step'] },
  { keys: ['q'], command: 'quit', where: 'everywhere', footer: ['home', 'step'] },
  { keys: ['ctrl+c'], command: 'cancel', where: 'everywhere' },
];

let english: T | undefined;
const en = (): T => (english ??= liteT('en'));

/**
 * The key line at the bottom of a screen, made from the table, in the UI's language. When it is wider
 * than the terminal (in columns: a Chinese character takes two), the entries before help and quit go
 * first, from the right: `?` lists them all. A learner who joined a board also sees `!` (raise a hand),
 * which stays with help and quit.
 */
export function footerFor(screen: 'home' | 'step', width: number, t: T = en(), joined = false): string {
  const order: UiCommand[] = ['up', 'open', 'run', 'check', 'hint', 'next', 'skip', 'watch', 'cluster', 'back', 'catchup', 'hand', 'help', 'quit'];
  const entries = order.flatMap((command) => {
    const binding = KEY_TABLE.find((b) => b.command === command);
    return binding?.footer?.includes(screen) && (joined || !binding.joined) ? [t(`ui.footer.${command}`)] : [];
  });
  const kept = joined ? 3 : 2;
  const fixed = entries.slice(-kept);
  const optional = entries.slice(0, -kept);
  let line = [...optional, ...fixed].join(' · ');
  while (columns(line) > width && optional.length) {
    optional.pop();
    line = [...optional, ...fixed].join(' · ');
  }
  return line;
}

/** Ink's key flags, as far as the table needs them. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
}

function keyName(input: string, key: KeyFlags): string {
  if (key.ctrl && input) return `ctrl+${input}`;
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  return input;
}

/**
 * The command for a key press on a screen. While a step runs, only cancel works (and raising a hand,
 * which starts nothing): input is ignored so that a stray key cannot start a second command.
 */
export function commandFor(input: string, key: KeyFlags, screen: 'home' | 'step', busy: boolean): UiCommand | undefined {
  const name = keyName(input, key);
  const binding = KEY_TABLE.find((b) => b.keys.includes(name) && (b.where === 'everywhere' || b.where === screen));
  if (!binding) return undefined;
  if (busy && binding.command !== 'cancel' && binding.command !== 'hand') return undefined;
  return binding.command;
}
