// The family summary: one page, in plain words, about one learner: what they mastered
// this week, what comes next, and where a little help would be good. It prints on one
// sheet (see the print rules in styles.css).

import { useMemo } from 'preact/hooks';
import { count, date, duration, reasonAfterTitle } from './format.js';
import { ofKind, useLearner } from './learner-view.jsx';
import { href } from './route.js';

const WEEK_MILLIS = 7 * 24 * 3600 * 1000;
/** Skills listed by name; more are counted, so that the page stays one sheet. */
const LISTED = 8;

/** Competencies first mastered in the 7 days up to `now`, most recent first. */
export function masteredThisWeek(mastery, now = Date.now()) {
  return (mastery ? mastery.competencies : [])
    .filter((c) => c.mastered && c.mastered_at && now - Date.parse(c.mastered_at) <= WEEK_MILLIS)
    .sort((a, b) => b.mastered_at.localeCompare(a.mastered_at));
}

/** Time on task and statements on the days of the last week. */
function lastWeek(profile, now = Date.now()) {
  const days = (profile ? profile.time_on_task.by_day : []).filter(
    (d) => now - Date.parse(`${d.day}T00:00:00Z`) <= WEEK_MILLIS,
  );
  return {
    days: days.length,
    millis: days.reduce((sum, d) => sum + d.duration_millis, 0),
    statements: days.reduce((sum, d) => sum + d.statements, 0),
  };
}

export function FamilyView({ id, member }) {
  const { mastery, decisions, profile, title, problem } = useLearner(id, member);
  const name = member ? member.display : 'This learner';
  const thisWeek = useMemo(() => masteredThisWeek(mastery), [mastery]);
  const week = lastWeek(profile);
  const next = ofKind(decisions, 'objective').slice(0, 3);
  const help = ofKind(decisions, 'intervention').filter((d) => d.intervention.status !== 'dismissed');
  const reviews = ofKind(decisions, 'review');
  const total = mastery ? mastery.competencies.filter((c) => c.mastered).length : 0;
  const loading = mastery === undefined || decisions === undefined || profile === undefined;
  const today = new Date();
  const weekAgo = new Date(today.getTime() - WEEK_MILLIS);

  return (
    <article class="family-view" aria-labelledby="family-title">
      <p class="no-print">
        <a href={href.learner(id)}>← Back to the learner view</a>{' '}
        <button type="button" onClick={() => print()}>Print this page</button>
      </p>
      <h1 id="family-title">{name}: this week in learning</h1>
      <p class="lead">
        {date(weekAgo.toISOString())} to {date(today.toISOString())}
      </p>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {loading ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <section aria-labelledby="family-mastered">
            <h2 id="family-mastered">Mastered this week</h2>
            {thisWeek.length === 0 ? (
              <p>No new skill was mastered this week.</p>
            ) : (
              <>
                <p>
                  {name} mastered {count(thisWeek.length, 'new skill')} this week:
                </p>
                <ul id="family-mastered-list">
                  {thisWeek.slice(0, LISTED).map((c) => (
                    <li key={c.competency}>
                      ✓ {title(c.competency)} <span class="when">({date(c.mastered_at)})</span>
                    </li>
                  ))}
                  {thisWeek.length > LISTED && <li>…and {count(thisWeek.length - LISTED, 'more skill')}.</li>}
                </ul>
              </>
            )}
            <p>
              In all, {name} has mastered {count(total, 'skill')}
              {week.days > 0 && (
                <>
                  , and was active on {count(week.days, 'day')} this week
                  {week.millis > 0 && <> for about {duration(week.millis / 1000)}</>}
                </>
              )}
              .
            </p>
          </section>

          <section aria-labelledby="family-next">
            <h2 id="family-next">What comes next</h2>
            {next.length === 0 ? (
              <p>Nothing new is ready yet; the teacher will say what to work on.</p>
            ) : (
              <ol id="family-next-list">
                {next.map((d) => (
                  <li key={d.id}>
                    <strong>{d.title}</strong>: {reasonAfterTitle(d)}
                  </li>
                ))}
              </ol>
            )}
          </section>

          <section aria-labelledby="family-help">
            <h2 id="family-help">Where a little help would be good</h2>
            {help.length === 0 && reviews.length === 0 ? (
              <p>Nothing needs extra help right now.</p>
            ) : (
              <ul id="family-help-list">
                {help.map((d) => (
                  <li key={d.id}>
                    <strong>{d.title}</strong>: {reasonAfterTitle(d)}
                  </li>
                ))}
                {reviews.map((d) => (
                  <li key={d.id}>
                    <strong>Practise {d.title} again</strong>: {reasonAfterTitle(d)}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </article>
  );
}
