import { render, type Instance, type RenderOptions } from 'ink';
import { App, type AppProps } from './App.js';

/**
 * Draw the UI with ink. main.ts loads this module (and with it ink, React and the app) after the first
 * frame; a module of its own so that ink and React are imported as modules, statically, wherever the
 * code runs (the sources in tests, the bundle in the package).
 */
export function mountApp(props: AppProps, options: RenderOptions): Instance {
  return render(<App {...props} />, options);
}
