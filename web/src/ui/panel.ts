// The settings panel, generated from the settings table with lil-gui: the basic settings first, the rest folded
// under "Advanced"; only the active task's settings are shown. The layer toggles are checkboxes under the plane.
import GUI, { type Controller } from 'lil-gui';
import 'lil-gui/dist/lil-gui.css';

import { appliesTo, panelLayout, type SettingDef, type Settings, type TaskId } from '../settings';

export interface Panel {
  /** Shows new values (after an import or undo) without firing change events. */
  set(s: Settings): void;
  /** Shows the settings of one task only. */
  showTask(task: TaskId): void;
  dispose(): void;
}

export function createPanel(host: HTMLElement, initial: Settings, onChange: (s: Settings) => void): Panel {
  // The stylesheet comes from the bundle (a strict CSP forbids injected <style> elements).
  const gui = new GUI({ container: host, title: 'Settings', injectStyles: false });
  const model: Settings = { ...initial };
  const controllers: [SettingDef, Controller][] = [];
  const add = (folder: GUI, def: SettingDef) => {
    const c =
      def.kind === 'choice'
        ? folder.add(model, def.key, def.choices as string[])
        : def.kind === 'bool'
          ? folder.add(model, def.key)
          : folder.add(model, def.key, def.min, def.max, def.kind === 'int' ? 1 : def.step);
    c.name(def.label);
    c.domElement.title = def.help;
    c.domElement.dataset.setting = def.key;
    c.onFinishChange(() => onChange({ ...model }));
    controllers.push([def, c]);
  };
  const { basic, advanced } = panelLayout();
  for (const def of basic) add(gui, def);
  const more = gui.addFolder('Advanced').close();
  const folders: [GUI, SettingDef[]][] = [];
  for (const [group, defs] of advanced) {
    const f = more.addFolder(group);
    defs.forEach((d) => add(f, d));
    folders.push([f, defs]);
  }
  return {
    set(s) {
      Object.assign(model, s);
      gui.controllersRecursive().forEach((c) => c.updateDisplay());
    },
    showTask(task) {
      for (const [def, c] of controllers) c.show(appliesTo(def, task));
      for (const [f, defs] of folders) f.show(defs.some((d) => appliesTo(d, task)));
    },
    dispose() {
      gui.destroy();
    },
  };
}
