// The text beside the portrait layers: what the learned field does (its summary), the verdict against a preset's
// true system, the equilibria with their eigenvalues (the glyphs' tooltips, readable without a mouse), and what
// the confidence fog means.
import type { Scene } from '../render/layers';
import { describeEquilibrium } from '../render/portrait';
import { PORTRAIT_LAYERS } from '../settings';

export interface PortraitPanel {
  /** Shows the scene's portrait and confidence for its settings. */
  update(scene: Scene): void;
}

export function createPortraitPanel(host: HTMLElement): PortraitPanel {
  const summary = document.createElement('p');
  summary.id = 'portrait-summary';
  const verdict = document.createElement('p');
  verdict.id = 'verdict';
  verdict.dataset.testid = 'verdict';
  const list = document.createElement('ul');
  list.id = 'equilibria-list';
  list.setAttribute('aria-label', 'Equilibria of the learned field');
  const confidence = document.createElement('p');
  confidence.id = 'confidence-note';
  host.append(summary, verdict, list, confidence);
  let shownPortrait: unknown = null;
  return {
    update(scene) {
      const s = scene.settings;
      const portraitOn = scene.task === 'trajectories' && PORTRAIT_LAYERS.some((k) => s[k]);
      const confidenceOn = scene.task === 'trajectories' && s.showConfidence;
      host.hidden = !portraitOn && !confidenceOn;
      const p = scene.portrait;
      summary.hidden = verdict.hidden = !portraitOn;
      list.hidden = !portraitOn || !s.showEquilibria;
      if (portraitOn && p !== shownPortrait) {
        shownPortrait = p;
        if (!p) summary.textContent = 'Analysing the learned field…';
        else {
          summary.textContent = `Learned field (iteration ${p.iteration}): ${p.learned.summary || 'no equilibria or cycles in view'}` +
            (p.learned.complete ? '.' : ' (incomplete: the analysis ran out of time).');
          verdict.textContent = p.comparison
            ? `Against the true system${p.comparedAt !== p.iteration ? ` (at iteration ${p.comparedAt}; updated when training pauses)` : ''}: ${p.comparison.verdict}.`
            : '';
          list.replaceChildren(...p.learned.equilibria.map((e) => {
            const li = document.createElement('li');
            li.textContent = describeEquilibrium(e);
            return li;
          }));
        }
      }
      if (!portraitOn) shownPortrait = null;
      confidence.hidden = !confidenceOn;
      if (confidenceOn) {
        const c = scene.confidence;
        confidence.textContent = c
          ? `Fog: where ${c.members} models trained on the same data disagree (${c.iteration} of ${c.iterations} iterations). ` +
            'The model is guessing there: draw a trajectory there.'
          : 'Training a few models on the same data to see where they disagree…';
      }
    },
  };
}
