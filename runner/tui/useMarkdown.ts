import { useEffect, useState } from 'react';

type Render = typeof import('./markdown.js').renderMarkdown;

let loading: Promise<Render> | undefined;

/**
 * marked and marked-terminal (with highlight.js: about 0.2 s of loading and 10 MB) are only needed on a
 * step's screen. They load when the learner first opens one, once for the whole process: a learner who
 * only looks at the chapter list never pays for them (the idle UI's peak memory is 8 to 10 MB lower than
 * with a preload). Until they are in, the step shows its prose as Markdown source.
 */
export function loadMarkdown(): Promise<Render> {
  loading ??= import('./markdown.js').then((m) => m.renderMarkdown);
  return loading;
}

/** The Markdown renderer once it is loaded (undefined until then); starts loading when `wanted`. */
export function useMarkdown(wanted: boolean): Render | undefined {
  const [render, setRender] = useState<Render | undefined>(undefined);
  useEffect(() => {
    if (!wanted || render) return;
    let live = true;
    loadMarkdown().then(
      (r) => live && setRender(() => r),
      // Without the renderer the lesson stays readable as its Markdown source.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [wanted, render]);
  return render;
}
