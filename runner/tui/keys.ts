/** Every key the terminal UI understands, in one table: the help overlay and the footer are made from it. */
export type UiCommand = 'run' | 'check' | 'catchup' | 'hint' | 'next' | 'previous' | 'skip' | 'watch' | 'cluster' | 'language' | 'help' | 'back' | 'open' | 'up' | 'down' | 'quit' | 'cancel';

export interface KeyBinding {
  keys: string[];
  command: UiCommand;
  label: string;
  /** Where the key works. */
  where: 'home' | 'step' | 'everywhere';
  /** How the key line at the bottom shows it, per screen; absent: only in the help overlay. */
  footer?: { home?: string; step?: string };
}

export const KEY_TABLE: KeyBinding[] = [
  { keys: ['r'], command: 'run', label: 'run the commands', where: 'step', footer: { step: 'r run' } },
  { keys: ['c'], command: 'check', label: 'check (I typed them myself)', where: 'step', footer: { step: 'c check' } },
  { keys: ['u'], command: 'catchup', label: 'catch up: make what the steps before this one make (asks first)', where: 'step', footer: { step: 'u catch up' } },
  { keys: ['h'], command: 'hint', label: 'next hint', where: 'step', footer: { step: 'h hint' } },
  { keys: ['n', 'right'], command: 'next', label: 'next step', where: 'step', footer: { step: 'n/p next/prev' } },
  { keys: ['p', 'left'], command: 'previous', label: 'previous step', where: 'step' },
  { keys: ['s'], command: 'skip', label: 'skip this step', where: 'step', footer: { step: 's skip' } },
  { keys: ['w'], command: 'watch', label: 'watch mode on/off', where: 'step', footer: { step: 'w watch' } },
  { keys: ['l'], command: 'cluster', label: 'cluster panel on/off', where: 'everywhere', footer: { home: 'l cluster', step: 'l cluster' } },
  { keys: ['L'], command: 'language', label: 'the lessons in English / 中文 (you stay where you are)', where: 'everywhere' },
  { keys: ['escape', 'b'], command: 'back', label: 'back to the chapters', where: 'step', footer: { step: 'esc back' } },
  { keys: ['return'], command: 'open', label: 'open the chapter', where: 'home', footer: { home: 'enter open' } },
  { keys: ['up', 'k'], command: 'up', label: 'move up / scroll', where: 'everywhere', footer: { home: '↑↓ choose' } },
  { keys: ['down', 'j'], command: 'down', label: 'move down / scroll', where: 'everywhere' },
  { keys: ['?'], command: 'help', label: 'help', where: 'everywhere', footer: { home: '? help', step: '? help' } },
  { keys: ['q'], command: 'quit', label: 'quit', where: 'everywhere', footer: { home: 'q quit', step: 'q quit' } },
  { keys: ['ctrl+c'], command: 'cancel', label: 'stop the running command / quit', where: 'everywhere' },
];

/**
 * The key line at the bottom of a screen, made from the table. When it is wider than the terminal, the
 * entries before help and quit go first, from the right: `?` lists them all.
 */
export function footerFor(screen: 'home' | 'step', width: number): string {
  const order: UiCommand[] = ['up', 'open', 'run', 'check', 'hint', 'next', 'skip', 'watch', 'cluster', 'back', 'catchup', 'help', 'quit'];
  const entries = order.flatMap((command) => KEY_TABLE.find((b) => b.command === command)?.footer?.[screen] ?? []);
  const fixed = entries.slice(-2);
  const optional = entries.slice(0, -2);
  let line = [...optional, ...fixed].join(' · ');
  while (line.length > width && optional.length) {
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
 * The command for a key press on a screen. While a step runs, only cancel works: input is ignored so
 * that a stray key cannot start a second command.
 */
export function commandFor(input: string, key: KeyFlags, screen: 'home' | 'step', busy: boolean): UiCommand | undefined {
  const name = keyName(input, key);
  const binding = KEY_TABLE.find((b) => b.keys.includes(name) && (b.where === 'everywhere' || b.where === screen));
  if (!binding) return undefined;
  if (busy && binding.command !== 'cancel') return undefined;
  return binding.command;
}
