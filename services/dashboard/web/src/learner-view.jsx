// A learner: mastery over time, what they are ready to learn next (and their choice of
// it), reviews due, goals, where they need help, every skill with evidence, recent
// activity and how they learn. Mastery and decisions follow the learner's streams, so
// the page changes within a moment of a new answer.

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, explain, ApiError } from './api.js';
import { competencyTitles, titleOf } from './competencies.js';
import { count, date, dateTime, duration, languageText, lastSegment, percent, confidenceWords, reasonAfterTitle } from './format.js';
import { Intervention } from './interventions.jsx';
import { MasteryPlot, masteredOverTime } from './mastery-plot.jsx';
import { LiveBadge, useStream } from './use-stream.jsx';
import { useFollowed } from './use-followed.js';
import { href } from './route.js';

/** The value, or null for a 404 (nothing known yet). */
export const orNothing = (promise) =>
  promise.catch((error) => {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  });

/** Everything the learner and family views read about a learner, kept current. */
export function useLearner(id, member) {
  const [mastery, , masteryEvent, readMastery] = useFollowed(undefined);
  const [decisions, , decisionsEvent, readDecisions] = useFollowed(undefined);
  const [profile, setProfile] = useState(undefined);
  const [statements, setStatements] = useState(undefined);
  const [titles, setTitles] = useState(new Map());
  const [problem, setProblem] = useState('');
  const refreshTimer = useRef(0);
  const agent = member && member.agent;

  const loadProfile = () => orNothing(api.profile(id)).then(setProfile);
  const loadStatements = () =>
    agent ? api.statements(agent, 10).then((answer) => setStatements(answer.statements)) : Promise.resolve(setStatements(null));

  const fail = (error) => setProblem(explain(error));
  const loadMastery = () => readMastery(orNothing(api.mastery(id))).catch(fail);
  const loadDecisions = () => readDecisions(api.decisions(id).then((answer) => answer.decisions)).catch(fail);
  const loadAll = () => {
    loadMastery();
    loadDecisions();
    loadProfile().catch(fail);
    loadStatements().catch(fail);
  };

  useEffect(() => {
    loadAll();
    competencyTitles().then(setTitles);
    return () => clearTimeout(refreshTimer.current);
  }, [id]);

  const learnerParam = encodeURIComponent(id);
  // a stream starts from when it opens: what changed since the first reads is read again
  const masteryStatus = useStream(
    `/v1/streams/mastery?learner=${learnerParam}`,
    ({ data }) => {
      if (data && data.learner === id) masteryEvent(data.view);
    },
    (resumed) => resumed || loadMastery(),
  );
  // each learner statement changes the decisions view: the profile and the recent
  // activity are read again once the answers stop coming
  const refreshSoon = () => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => {
      loadProfile().catch(() => {});
      loadStatements().catch(() => {});
    }, 300);
  };
  useStream(
    `/v1/streams/decisions?learner=${learnerParam}`,
    ({ data }) => {
      if (!data || data.learner !== id || !data.view) return;
      decisionsEvent(data.view.decisions);
      refreshSoon();
    },
    (resumed) => {
      if (resumed) return;
      loadDecisions();
      refreshSoon();
    },
  );

  const title = useCallback((competency) => titleOf(competency, titles, decisions || []), [titles, decisions]);
  // the learner's own changes (a choice, a teacher's action) count as events
  return { mastery, decisions, updateDecisions: decisionsEvent, profile, statements, title, problem, masteryStatus };
}

/** The decisions of one kind. */
export const ofKind = (decisions, kind) => (decisions || []).filter((d) => d.kind === kind);

function Objectives({ id, objectives, onChosen }) {
  const [busy, setBusy] = useState('');
  const [problem, setProblem] = useState('');
  if (objectives.length === 0) {
    return <p class="empty">Nothing is ready right now: every next step still needs something before it.</p>;
  }
  const choose = async (competency) => {
    setBusy(competency);
    setProblem('');
    try {
      const answer = await api.choose(id, competency);
      onChosen(answer.decisions);
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy('');
    }
  };
  return (
    <>
      <ol class="objectives">
        {objectives.map((d) => {
          const o = d.objective;
          return (
            <li key={d.id} class="objective" data-competency={d.competency}>
              <h3>{d.title}</h3>
              <p class="reason">{reasonAfterTitle(d)}</p>
              <p class="meta">
                Likely to succeed: {percent(o.predicted_success)}
                {o.in_target_band ? ' (a good stretch)' : ''}
                {o.goal && <> · on the way to a goal</>}
              </p>
              {o.activities.length > 0 && (
                <ul class="activities" aria-label="Suggested activities">
                  {o.activities.map((a) => (
                    <li key={a.activity}>
                      <span class="modality">{a.modality}</span> {lastSegment(a.activity)}: {a.reason}
                    </li>
                  ))}
                </ul>
              )}
              {o.chosen_at ? (
                <p class="chosen">Chosen on {date(o.chosen_at)}</p>
              ) : (
                <button type="button" disabled={Boolean(busy)} onClick={() => choose(d.competency)}>
                  {busy === d.competency ? 'Saving…' : 'Choose this next'}
                </button>
              )}
            </li>
          );
        })}
      </ol>
      {problem && <p role="alert" class="problem">{problem}</p>}
    </>
  );
}

function Skills({ mastery, title }) {
  if (!mastery || mastery.competencies.length === 0) {
    return <p class="empty">No answers on any skill yet.</p>;
  }
  const rows = [...mastery.competencies].sort(
    (a, b) => (b.last_evidence_at || '').localeCompare(a.last_evidence_at || '') || a.competency.localeCompare(b.competency),
  );
  return (
    <div class="table-scroll" role="region" aria-labelledby="skills-title" tabIndex={0}>
      <table class="plain skills" id="skills-table">
        <thead>
          <tr>
            <th scope="col">Skill</th>
            <th scope="col">Likely known</th>
            <th scope="col">Answers (right)</th>
            <th scope="col">Last practised</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.competency} data-competency={c.competency} data-evidence={c.evidence}>
              <th scope="row">{title(c.competency)}</th>
              <td>
                {c.mastered ? <span class="mark">✓ mastered</span> : confidenceWords(c.p_mastered, false)}{' '}
                ({percent(c.p_mastered)})
              </td>
              <td>
                {c.evidence} ({c.correct})
              </td>
              <td>{date(c.last_evidence_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function verbWords(statement) {
  return languageText(statement.verb.display, lastSegment(statement.verb.id));
}

function objectWords(statement) {
  const object = statement.object || {};
  const name = object.definition && languageText(object.definition.name, '');
  return name || lastSegment(object.id || '');
}

function RecentActivity({ statements, member }) {
  if (statements === undefined) return <p class="loading">Loading…</p>;
  if (statements === null) {
    return <p class="empty">No class lists this learner by their xAPI account (only by id), so their statements cannot be looked up here.</p>;
  }
  if (statements.length === 0) return <p class="empty">No activity yet.</p>;
  return (
    <ul class="activity" id="recent-activity">
      {statements.map((s) => (
        <li key={s.id}>
          <time dateTime={s.timestamp}>{dateTime(s.timestamp)}</time> {member ? member.display : 'Learner'}{' '}
          {verbWords(s)} <strong>{objectWords(s)}</strong>
          {s.result && s.result.success === true && <span class="right"> ✓ right</span>}
          {s.result && s.result.success === false && <span class="wrong"> ✗ not yet</span>}
        </li>
      ))}
    </ul>
  );
}

const MODALITY_WORDS = {
  video: 'videos',
  reading: 'reading',
  practice: 'practice',
  simulation: 'simulations',
  group_work: 'group work',
  other: 'other',
};

function Profile({ profile }) {
  if (profile === undefined) return <p class="loading">Loading…</p>;
  if (profile === null) return <p class="empty">Nothing known yet.</p>;
  const interests = profile.interests.activity_types.slice(0, 3);
  const time = profile.time_on_task;
  return (
    <dl class="facts">
      <dt>Active on</dt>
      <dd>
        {count(profile.active_days.count, 'day')}
        {profile.active_days.last && <> (last: {date(profile.active_days.last)})</>}
      </dd>
      <dt>Activities</dt>
      <dd>
        {count(profile.statements, 'statement')}, {profile.finished} finished
      </dd>
      <dt>Time on task</dt>
      <dd>
        {time.statements_with_duration > 0 ? duration(time.total_millis / 1000) : 'not reported by the activities'}
      </dd>
      <dt>Prefers</dt>
      <dd>
        {profile.modalities.preferred.length > 0
          ? profile.modalities.preferred.map((m) => MODALITY_WORDS[m] || m).join(', ')
          : 'not known yet'}
      </dd>
      <dt>Interests</dt>
      <dd>
        {interests.length > 0
          ? interests.map((i) => `${lastSegment(i.id)} (${count(i.chosen, 'time')})`).join(', ')
          : 'not known yet'}
      </dd>
    </dl>
  );
}

function Goals({ profile, plans }) {
  const goals = profile ? profile.goals : [];
  if (goals.length === 0 && plans.length === 0) return <p class="empty">No goals set.</p>;
  return (
    <ul class="goals">
      {goals.map((g) => {
        const plan = plans.find((p) => p.plan && p.plan.goal === g.id);
        return (
          <li key={g.id}>
            <strong>{g.description}</strong>
            {g.target && <> · by {date(g.target)}</>}
            {plan && <p class="reason">{plan.reason}</p>}
          </li>
        );
      })}
    </ul>
  );
}

export function LearnerView({ id, member }) {
  const learner = useLearner(id, member);
  const { mastery, decisions, profile, statements, title, problem, masteryStatus } = learner;
  const points = useMemo(() => masteredOverTime(mastery, title), [mastery, title]);
  const name = member ? member.display : id;

  const onChosen = (objectives) =>
    learner.updateDecisions((now) => [...objectives, ...(now || []).filter((d) => d.kind !== 'objective')]);
  const onIntervention = (updated) =>
    learner.updateDecisions((now) => (now || []).map((d) => (d.id === updated.id ? updated : d)));

  const interventions = ofKind(decisions, 'intervention');
  const progress = ofKind(decisions, 'progress');
  const reviews = ofKind(decisions, 'review');
  const advancements = ofKind(decisions, 'advancement');

  return (
    <div class="learner-view">
      <div class="view-head">
        <h1>{name}</h1>
        <LiveBadge status={masteryStatus} />
      </div>
      <p class="lead">
        {member && member.classes.map((c) => (
          <a key={c.id} href={href.class(c.id)}>{c.name || c.id}</a>
        ))}
        {' · '}
        <a href={href.family(id)}>Family summary</a>
      </p>
      {problem && <p role="alert" class="problem">{problem}</p>}

      <section aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        {mastery === undefined ? <p class="loading">Loading…</p> : <MasteryPlot points={points} />}
        {advancements.length > 0 && (
          <ul class="advancements">
            {advancements.map((d) => (
              <li key={d.id}>🏅 {d.reason}</li>
            ))}
          </ul>
        )}
      </section>

      <div class="columns">
        <section aria-labelledby="next-title">
          <h2 id="next-title">Ready to learn next</h2>
          {decisions === undefined ? (
            <p class="loading">Loading…</p>
          ) : (
            <Objectives id={id} objectives={ofKind(decisions, 'objective')} onChosen={onChosen} />
          )}
        </section>

        <section aria-labelledby="help-title">
          <h2 id="help-title">Needs a hand</h2>
          {interventions.length === 0 && <p class="empty">Nothing flagged.</p>}
          {interventions.map((d) => (
            <Intervention key={d.id} learner={id} decision={d} onChanged={onIntervention} />
          ))}

          {progress.length > 0 && (
            <>
              <h2 id="practising-title">Still practising (no concern yet)</h2>
              <ul class="progress-notes">
                {progress.map((d) => (
                  <li key={d.id}>
                    <strong>{d.title}</strong>: {reasonAfterTitle(d)}
                  </li>
                ))}
              </ul>
            </>
          )}

          <h2 id="reviews-title">Time to review</h2>
          {reviews.length === 0 ? (
            <p class="empty">No review due.</p>
          ) : (
            <ul class="reviews">
              {reviews.map((d) => (
                <li key={d.id}>
                  <strong>{d.title}</strong>: {reasonAfterTitle(d)}
                </li>
              ))}
            </ul>
          )}

          <h2 id="goals-title">Goals</h2>
          <Goals profile={profile} plans={ofKind(decisions, 'plan')} />
        </section>
      </div>

      <section aria-labelledby="skills-title">
        <h2 id="skills-title">Skills practised</h2>
        {mastery === undefined ? <p class="loading">Loading…</p> : <Skills mastery={mastery} title={title} />}
      </section>

      <div class="columns">
        <section aria-labelledby="activity-title">
          <h2 id="activity-title">Recent activity</h2>
          <RecentActivity statements={statements} member={member} />
        </section>
        <section aria-labelledby="profile-title">
          <h2 id="profile-title">How {name} learns</h2>
          <Profile profile={profile} />
        </section>
      </div>
    </div>
  );
}
