// Interventions: what a teacher should look at, with the rule's reason, and the
// teacher's answer to each (acknowledge, act, dismiss), recorded with a note.

import { useState } from 'preact/hooks';
import { api, explain } from './api.js';
import { dateTime, reasonAfterTitle } from './format.js';
import { href } from './route.js';

const ACTIONS = [
  { action: 'acknowledged', label: 'Acknowledge', done: 'Acknowledged' },
  { action: 'acted', label: 'Mark as acted on', done: 'Acted on' },
  { action: 'dismissed', label: 'Dismiss', done: 'Dismissed' },
];

const STATUS_WORDS = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  acted: 'Acted on',
  dismissed: 'Dismissed',
};

export function statusWords(status) {
  return STATUS_WORDS[status] || status;
}

/** One intervention with its history and the teacher's buttons. */
export function Intervention({ learner, display, decision, onChanged, headingLevel = 3 }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState('');
  const [problem, setProblem] = useState('');
  const detail = decision.intervention;
  const Heading = `h${headingLevel}`;

  const act = async (action) => {
    setBusy(action);
    setProblem('');
    try {
      const updated = await api.act(learner, decision.id, action, note);
      setNote('');
      onChanged(updated);
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy('');
    }
  };

  const noteId = `note-${decision.id}`;
  return (
    <article class={`intervention severity-${detail.severity} status-${detail.status}`} data-intervention={decision.id}>
      <Heading>
        {display && (
          <>
            <a href={href.learner(learner)}>{display}</a>:{' '}
          </>
        )}
        {decision.title}
      </Heading>
      <p class="reason">{reasonAfterTitle(decision)}</p>
      <p class="meta">
        <span class={`severity severity-${detail.severity}`}>{detail.severity} priority</span>
        {' · '}
        <span class="status" data-status={detail.status}>{statusWords(detail.status)}</span>
      </p>
      {detail.actions.length > 0 && (
        <ul class="history" aria-label="What was done">
          {detail.actions.map((a, i) => (
            <li key={i}>
              {statusWords(a.action)} by {a.by} on {dateTime(a.at)}
              {a.note && <>: “{a.note}”</>}
            </li>
          ))}
        </ul>
      )}
      {detail.followed && (
        <p class="followed">
          Since then: {detail.followed.opportunities_since} more answers, likely known{' '}
          {Math.round(detail.followed.p_mastered_then * 100)}% → {Math.round(detail.followed.p_mastered_now * 100)}%.
        </p>
      )}
      <div class="act">
        <label for={noteId}>Note (optional)</label>
        <input id={noteId} value={note} onInput={(e) => setNote(e.currentTarget.value)} placeholder="What you did or plan" />
        <div class="buttons">
          {ACTIONS.map(({ action, label }) => (
            <button type="button" key={action} disabled={Boolean(busy)} onClick={() => act(action)}>
              {busy === action ? 'Saving…' : label}
            </button>
          ))}
        </div>
      </div>
      {problem && <p role="alert" class="problem">{problem}</p>}
    </article>
  );
}

/** Every member's interventions, open ones first. */
export function ClassInterventions({ learners, onChanged }) {
  const items = [];
  for (const member of learners) {
    for (const decision of member.decisions) {
      items.push({ member, decision });
    }
  }
  const order = { open: 0, acknowledged: 1, acted: 2, dismissed: 3 };
  const severity = { high: 0, medium: 1, low: 2 };
  items.sort(
    (a, b) =>
      (order[a.decision.intervention.status] ?? 9) - (order[b.decision.intervention.status] ?? 9) ||
      severity[a.decision.intervention.severity] - severity[b.decision.intervention.severity] ||
      a.member.display.localeCompare(b.member.display),
  );
  if (items.length === 0) {
    return <p class="empty">No learner needs a teacher's attention right now.</p>;
  }
  return (
    <div class="interventions">
      {items.map(({ member, decision }) => (
        <Intervention
          key={decision.id}
          learner={member.learner}
          display={member.display}
          decision={decision}
          onChanged={(updated) => onChanged(member.learner, updated)}
        />
      ))}
    </div>
  );
}
