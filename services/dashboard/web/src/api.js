// The learnlog credential and every call the dashboard makes to the API.
//
// The credential (key and secret) is kept in this module's memory and in the tab's
// sessionStorage, so that a reload of the tab stays signed in and closing the tab
// forgets it. Nothing goes to localStorage or cookies. Every request carries it as
// HTTP Basic; `credentials: 'omit'` keeps the browser's own login prompt and cookies
// out of it.

const STORE_KEY = 'learnlog.credential';

let credential = null;

/** The credential of this tab, if signed in. */
export function currentCredential() {
  if (credential) return credential;
  try {
    const stored = sessionStorage.getItem(STORE_KEY);
    if (stored) credential = JSON.parse(stored);
  } catch {
    credential = null;
  }
  return credential;
}

export function remember(key, secret) {
  credential = { key, secret };
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(credential));
  } catch {
    // storage refused (private mode): the credential lives in memory only
  }
}

export function forget() {
  credential = null;
  try {
    sessionStorage.removeItem(STORE_KEY);
  } catch {
    // nothing stored
  }
}

function base64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The Authorization header of `given` (default: the current credential). */
export function authorization(given = currentCredential()) {
  return given ? `Basic ${base64(`${given.key}:${given.secret}`)}` : '';
}

/** An API answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** What to tell a person about a failed request. */
export function explain(error) {
  if (!(error instanceof ApiError)) {
    return 'learnlog could not be reached. Check the connection and try again.';
  }
  switch (error.status) {
    case 401:
      return 'That key and secret were not accepted. Check both and sign in again.';
    case 403:
      return `This credential is not allowed to see this (${error.message}).`;
    case 404:
      return `Not found: ${error.message}`;
    case 503:
      return 'learnlog is busy or catching up. Try again in a moment.';
    default:
      return `learnlog answered ${error.status}: ${error.message}`;
  }
}

/**
 * Calls the API: `path` from the server root, JSON in and out. `options.credential`
 * overrides the stored one (to check a credential before keeping it).
 */
export async function request(path, { method = 'GET', body, headers = {}, credential: given, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        Accept: 'application/json',
        Authorization: authorization(given),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new TypeError(`network: ${error.message}`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const message = (data && data.message) || response.statusText || 'request failed';
    throw new ApiError(response.status, message);
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  classes: () => request('/v1/classes'),
  classGrid: (id, framework) =>
    request(`/v1/classes/${enc(id)}/mastery${framework ? `?framework=${enc(framework)}` : ''}`),
  classDecisions: (id, kind) => request(`/v1/classes/${enc(id)}/decisions?kind=${enc(kind)}`),
  classGroups: (id) => request(`/v1/classes/${enc(id)}/groups`),
  frameworks: () => request('/v1/frameworks'),
  framework: (id) => request(`/v1/frameworks/${enc(id)}`),
  mastery: (learner, at) =>
    request(`/v1/learners/${enc(learner)}/mastery${at ? `?at=${enc(at)}` : ''}`),
  decisions: (learner) => request(`/v1/learners/${enc(learner)}/decisions`),
  profile: (learner) => request(`/v1/learners/${enc(learner)}/profile`),
  goals: (learner) => request(`/v1/learners/${enc(learner)}/goals`),
  choose: (learner, competency) =>
    request(`/v1/learners/${enc(learner)}/choices`, { method: 'POST', body: { competency } }),
  act: (learner, intervention, action, note) =>
    request(`/v1/learners/${enc(learner)}/interventions/${enc(intervention)}`, {
      method: 'POST',
      body: { action, note },
    }),
  statements: (agent, limit) =>
    request(`/xapi/statements?agent=${enc(JSON.stringify(agent))}&limit=${limit}`, {
      headers: { 'X-Experience-API-Version': '2.0.0' },
    }),
};
