// Competency titles by id, read once per sign-in from the imported frameworks' trees
// (a mastery view names competencies by id only). A title is the competency's
// statement; where a decision names the competency, its title (the server's) wins.

import { api } from './api.js';

let titles = null;

function walk(nodes, into) {
  for (const node of nodes) {
    if (!into.has(node.identifier)) into.set(node.identifier, node.fullStatement);
    walk(node.children || [], into);
  }
}

/** A promise of the map id → title (empty when the frameworks cannot be read). */
export function competencyTitles() {
  if (!titles) {
    titles = api
      .frameworks()
      .then((list) => Promise.all(list.map((f) => api.framework(f.id))))
      .then((frameworks) => {
        const into = new Map();
        for (const framework of frameworks) walk(framework.competencies || [], into);
        return into;
      })
      .catch(() => new Map());
  }
  return titles;
}

/** Forgets the titles (after sign-out, another credential may see other frameworks). */
export function forgetTitles() {
  titles = null;
}

/** The title of `id`: from decisions first (the server's words), then the frameworks. */
export function titleOf(id, known, decisions = []) {
  const decided = decisions.find((d) => d.competency === id && d.title);
  return (decided && decided.title) || known.get(id) || id;
}
