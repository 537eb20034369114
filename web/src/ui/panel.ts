// The settings panel, generated from the settings table with lil-gui.
import GUI from 'lil-gui';

import { SETTINGS, type Settings } from '../settings';

export interface Panel {
  /** Shows new values (after an import or undo) without firing change events. */
  set(s: Settings): void;
  dispose(): void;
}

export function createPanel(host: HTMLElement, initial: Settings, onChange: (s: Settings) => void): Panel {
  const gui = new GUI({ container: host, title: 'Settings' });
  const model: Settings = { ...initial };
  const folders = new Map<string, GUI>();
  for (const def of SETTINGS) {
    let folder = folders.get(def.group);
    if (!folder) folders.set(def.group, (folder = gui.addFolder(def.group)));
    const c =
      def.kind === 'choice'
        ? folder.add(model, def.key, def.choices as string[])
        : def.kind === 'bool'
          ? folder.add(model, def.key)
          : folder.add(model, def.key, def.min, def.max, def.kind === 'int' ? 1 : def.step);
    c.name(def.label);
    c.domElement.title = def.help;
    c.onFinishChange(() => onChange({ ...model }));
  }
  return {
    set(s) {
      Object.assign(model, s);
      gui.controllersRecursive().forEach((c) => c.updateDisplay());
    },
    dispose() {
      gui.destroy();
    },
  };
}
