// A class: its mastery grid, the interventions waiting for the teacher, and the small
// groups the rules suggest. The grid and the interventions follow the class's mastery
// and decisions streams, so they change as answers arrive.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, explain } from './api.js';
import { count } from './format.js';
import { GridLegend, MasteryGrid } from './mastery-grid.jsx';
import { ClassInterventions } from './interventions.jsx';
import { LiveBadge, useStream } from './use-stream.jsx';
import { useFollowed } from './use-followed.js';
import { href } from './route.js';

/** The grid row of a learner from their mastery view (as the mastery stream sends it). */
export function rowFromMastery(row, competencies, view) {
  const byId = new Map((view ? view.competencies : []).map((c) => [c.competency, c]));
  const cells = competencies.map((column) => {
    const c = byId.get(column.competency);
    return c ? { p_mastered: c.p_mastered, mastered: c.mastered, evidence: c.evidence } : null;
  });
  return { ...row, cells, mastered: cells.filter((c) => c && c.mastered).length };
}

function Groups({ groups, names }) {
  if (!groups) return <p class="loading">Loading groups…</p>;
  const name = (id) => names.get(id) || id;
  return (
    <>
      {groups.groups.length === 0 ? (
        <p class="empty">No group suggested: too few learners share a next step.</p>
      ) : (
        <ul class="groups">
          {groups.groups.map((group, index) => (
            <li key={`${group.competency} ${index}`} class="group">
              <h3>{group.title}</h3>
              <p class="reason">{group.reason}</p>
              <ul class="names">
                {group.learners.map((id) => (
                  <li key={id}>
                    <a href={href.learner(id)}>{name(id)}</a>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {groups.ungrouped.length > 0 && (
        <p class="ungrouped">
          Working on their own: {groups.ungrouped.map(name).join(', ')}.
        </p>
      )}
    </>
  );
}

export function ClassView({ id, classes }) {
  const roster = classes.find((c) => c.id === id);
  const [framework, setFramework] = useState('');
  const [grid, setGrid, gridEvent, readGrid] = useFollowed(null);
  const [interventions, , interventionsEvent, readInterventions] = useFollowed(null);
  const [groups, setGroups] = useState(null);
  const [problem, setProblem] = useState('');
  const groupsTimer = useRef(0);

  const loadGroups = useCallback(() => {
    api.classGroups(id).then(setGroups).catch((error) => setProblem(explain(error)));
  }, [id]);

  const fail = (error) => setProblem(explain(error));
  const loadGrid = () => readGrid(api.classGrid(id, framework)).catch(fail);
  const loadInterventions = () => readInterventions(api.classDecisions(id, 'intervention')).catch(fail);

  useEffect(() => {
    setGrid(null);
    loadGrid();
  }, [id, framework]);

  useEffect(() => {
    loadInterventions();
    loadGroups();
    return () => clearTimeout(groupsTimer.current);
  }, [id]);

  // a stream starts from when it opens: what changed since the first reads is read again
  const masteryStatus = useStream(
    `/v1/streams/mastery?class=${encodeURIComponent(id)}`,
    ({ data }) => {
      if (!data || !data.learner) return;
      const row = (r, now) => (r.learner === data.learner ? rowFromMastery(r, now.competencies, data.view) : r);
      gridEvent((now) => now && { ...now, learners: now.learners.map((r) => row(r, now)) });
    },
    (resumed) => resumed || loadGrid(),
  );

  const replaceInterventions = (learner, update) =>
    interventionsEvent(
      (now) =>
        now && {
          ...now,
          learners: now.learners.map((m) => (m.learner === learner ? { ...m, decisions: update(m.decisions) } : m)),
        },
    );

  useStream(
    `/v1/streams/decisions?class=${encodeURIComponent(id)}`,
    ({ data }) => {
      if (!data || !data.learner || !data.view) return;
      const flagged = data.view.decisions.filter((d) => d.kind === 'intervention');
      replaceInterventions(data.learner, () => flagged);
      // groups are formed from every member's objectives: read them again once quiet
      clearTimeout(groupsTimer.current);
      groupsTimer.current = setTimeout(loadGroups, 1000);
    },
    (resumed) => resumed || loadInterventions(),
  );

  const onIntervention = (learner, updated) =>
    replaceInterventions(learner, (decisions) => decisions.map((d) => (d.id === updated.id ? updated : d)));

  const names = new Map((roster ? roster.members : []).map((m) => [m.learner, m.display]));
  const title = roster ? roster.name || roster.id : id;
  const open = interventions
    ? interventions.learners.flatMap((m) => m.decisions).filter((d) => d.intervention.status === 'open').length
    : 0;

  return (
    <div class="class-view">
      <div class="view-head">
        <h1>{title}</h1>
        <LiveBadge status={masteryStatus} />
      </div>
      {roster && (
        <p class="lead">
          {count(roster.members.length, 'learner')}
          {roster.teachers.length > 0 && <> · taught by {roster.teachers.join(', ')}</>}
        </p>
      )}
      {problem && <p role="alert" class="problem">{problem}</p>}

      <section aria-labelledby="mastery-title">
        <div class="section-head">
          <h2 id="mastery-title">Who knows what</h2>
          {roster && roster.frameworks.length > 1 && (
            <label class="inline">
              Framework{' '}
              <select value={framework} onChange={(e) => setFramework(e.currentTarget.value)}>
                <option value="">All of this class's</option>
                {roster.frameworks.map((f) => (
                  <option key={f} value={f}>{f}</option>
                ))}
              </select>
            </label>
          )}
        </div>
        <GridLegend />
        {grid ? <MasteryGrid grid={grid} /> : <p class="loading">Loading the grid…</p>}
      </section>

      <section aria-labelledby="interventions-title">
        <h2 id="interventions-title">
          Needs your attention{interventions && open > 0 && <span class="badge">{open} open</span>}
        </h2>
        {interventions ? (
          <ClassInterventions learners={interventions.learners} onChanged={onIntervention} />
        ) : (
          <p class="loading">Loading…</p>
        )}
      </section>

      <section aria-labelledby="groups-title">
        <h2 id="groups-title">Suggested groups</h2>
        <p class="hint">Learners ready for the same next step, who could learn it together.</p>
        <Groups groups={groups} names={names} />
      </section>
    </div>
  );
}
