// Where the dashboard is: the part of the URL after `#`, so that every view has a
// link of its own and the server serves one page.
//
//   #/                      the class picker
//   #/classes/{class}       a class: mastery grid, interventions, groups
//   #/learners/{learner}    a learner's view (learner id)
//   #/family/{learner}      the one-page summary for a family

import { useEffect, useState } from 'preact/hooks';

export function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [view, id] = parts;
  if (view === 'classes' && id) return { view: 'class', id };
  if (view === 'learners' && id) return { view: 'learner', id };
  if (view === 'family' && id) return { view: 'family', id };
  return { view: 'home' };
}

export const href = {
  home: () => '#/',
  class: (id) => `#/classes/${encodeURIComponent(id)}`,
  learner: (id) => `#/learners/${encodeURIComponent(id)}`,
  family: (id) => `#/family/${encodeURIComponent(id)}`,
};

export function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
