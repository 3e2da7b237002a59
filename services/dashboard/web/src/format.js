// Numbers and times in words a teacher or a parent reads at a glance.

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** 0.734 → "73%". */
export const percent = (p) => `${Math.round(p * 100)}%`;

export const date = (text) => (text ? dateFormat.format(new Date(text)) : '');

export const dateTime = (text) => (text ? dateTimeFormat.format(new Date(text)) : '');

/** How sure the model is that the skill is known, in words. */
export function confidenceWords(p, mastered) {
  if (mastered) return 'mastered';
  if (p >= 0.8) return 'nearly there';
  if (p >= 0.5) return 'getting there';
  if (p >= 0.2) return 'started';
  return 'just beginning';
}

/** The colour band of a P(mastered): 0 (lowest) to 4 (highest). */
export const band = (p) => Math.min(4, Math.floor(p * 5));

/** Seconds as "1 h 5 min" or "12 min". */
export function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** "3 answers", "1 answer". */
export const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The language map's best text (en first), or the fallback. */
export function languageText(map, fallback = '') {
  if (!map || typeof map !== 'object') return fallback;
  return map['en-US'] || map['en-GB'] || map.en || Object.values(map)[0] || fallback;
}

/** A decision's reason without the title it starts with ("Skill 2: its prerequisite…"). */
export function reasonAfterTitle(decision) {
  const prefix = `${decision.title}: `;
  const reason = decision.reason || '';
  if (!reason.startsWith(prefix)) return reason;
  const rest = reason.slice(prefix.length);
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** The last part of an IRI, for people: "…/verbs/answered" → "answered". */
export function lastSegment(iri) {
  const parts = String(iri).split(/[/#]/).filter(Boolean);
  return parts[parts.length - 1] || String(iri);
}
