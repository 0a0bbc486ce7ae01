/** Every key the terminal UI understands, in one table: the help overlay and the footer are made from it. */
export type UiCommand = 'run' | 'check' | 'hint' | 'next' | 'previous' | 'skip' | 'watch' | 'cluster' | 'help' | 'back' | 'open' | 'up' | 'down' | 'quit' | 'cancel';

export interface KeyBinding {
  keys: string[];
  command: UiCommand;
  label: string;
  /** Where the key works. */
  where: 'home' | 'step' | 'everywhere';
}

export const KEY_TABLE: KeyBinding[] = [
  { keys: ['r'], command: 'run', label: 'run the commands', where: 'step' },
  { keys: ['c'], command: 'check', label: 'check (I typed them myself)', where: 'step' },
  { keys: ['h'], command: 'hint', label: 'next hint', where: 'step' },
  { keys: ['n', 'right'], command: 'next', label: 'next step', where: 'step' },
  { keys: ['p', 'left'], command: 'previous', label: 'previous step', where: 'step' },
  { keys: ['s'], command: 'skip', label: 'skip this step', where: 'step' },
  { keys: ['w'], command: 'watch', label: 'watch mode on/off', where: 'step' },
  { keys: ['l'], command: 'cluster', label: 'cluster panel on/off', where: 'everywhere' },
  { keys: ['escape', 'b'], command: 'back', label: 'back to the chapters', where: 'step' },
  { keys: ['return'], command: 'open', label: 'open the chapter', where: 'home' },
  { keys: ['up', 'k'], command: 'up', label: 'move up / scroll', where: 'everywhere' },
  { keys: ['down', 'j'], command: 'down', label: 'move down / scroll', where: 'everywhere' },
  { keys: ['?'], command: 'help', label: 'help', where: 'everywhere' },
  { keys: ['q'], command: 'quit', label: 'quit', where: 'everywhere' },
  { keys: ['ctrl+c'], command: 'cancel', label: 'stop the running command / quit', where: 'everywhere' },
];

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
