// The dashboard in Debian's chromium, driven by playwright-core. Started by
// tests/e2e/dashboard.rs against a `learnlog serve` it seeded, with:
//
//   LEARNLOG_URL, LEARNLOG_KEY, LEARNLOG_SECRET   the server and its credential
//   LEARNLOG_CHROMIUM                             the browser (default /usr/bin/chromium)
//   DASHBOARD_OUTPUT                              where screenshots go
//   DASHBOARD_EXPECT                              what was seeded (JSON)
//
// It measures a cold load of the class view (bytes of every dashboard file served, time
// from navigation start to the grid's cells in the page), then signs in through the
// form and checks the class, learner and family views against the seeding and the
// API, acts on an intervention and chooses an objective through the buttons, posts a
// new answer and waits for the open learner view and class grid to show it. Last, the
// dashboard's stream reader (its own module, run here in Node) is cut off mid-stream by
// a proxy and must resume with Last-Event-ID, missing and repeating nothing. Exits 1 on
// the first failed check.

import { chromium } from 'playwright-core';
import http from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventParser, LineSplitter, follow } from '../../services/dashboard/web/src/sse.js';
import { remember } from '../../services/dashboard/web/src/api.js';
import { followed } from '../../services/dashboard/web/src/followed.js';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const base = env('LEARNLOG_URL');
const key = env('LEARNLOG_KEY');
const secret = env('LEARNLOG_SECRET');
const executablePath = env('LEARNLOG_CHROMIUM', '/usr/bin/chromium');
const output = env('DASHBOARD_OUTPUT');
const expected = JSON.parse(env('DASHBOARD_EXPECT'));
const GRID_RENDERED = 'learnlog:grid-rendered';
// Bounds that hold on a busy 2-core machine running the whole suite; the figures
// printed are the measurement.
const STEP_TIMEOUT = 15_000;
const LIVE_BOUND_MS = 10_000;

mkdirSync(output, { recursive: true });
rmSync(join(output, 'failure.png'), { force: true }); // from an earlier failed run
const screenshots = [];
let checks = 0;

function check(condition, message) {
  checks += 1;
  if (!condition) throw new Error(`check failed: ${message}`);
}

function equal(actual, wanted, message) {
  check(
    JSON.stringify(actual) === JSON.stringify(wanted),
    `${message}: got ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`,
  );
}

const authorization = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

async function postStatements(statements) {
  const posted = await fetch(`${base}/xapi/statements`, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/json', 'X-Experience-API-Version': '2.0.0' },
    body: JSON.stringify(statements),
  });
  equal(posted.status, 200, 'new answers are stored');
}

/** A right answer of `agent` on the live competency, timestamped now. */
function rightAnswer(agent) {
  const live = expected.focus.live;
  return {
    actor: agent,
    verb: { id: 'http://adlnet.gov/expapi/verbs/answered', display: { 'en-US': 'answered' } },
    object: {
      id: live.activity,
      definition: {
        type: 'http://adlnet.gov/expapi/activities/question',
        name: { 'en-US': `${live.title} quiz` },
        extensions: { 'https://example.org/xapi/extensions/skills': [live.competency] },
      },
    },
    result: { success: true },
    timestamp: new Date().toISOString(),
  };
}

async function until(what, condition, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    check(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function apiGet(path) {
  const response = await fetch(base + path, { headers: { Authorization: authorization } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response.json();
}

async function shoot(page, name, options = {}) {
  const path = join(output, `${name}.png`);
  await page.screenshot({ path, fullPage: true, ...options });
  screenshots.push(path);
}

/** The SSE parser on chunks cut anywhere, CRLF and comments included. */
function parserReadsCutChunks() {
  const text = 'retry: 2000\r\n: learnlog stream\r\n\r\nid: 1.0\r\nevent: mastery\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2.0\nevent: mastery\ndata: x\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    const events = [];
    let retry = 0;
    const parser = new EventParser((e) => events.push(e), (ms) => (retry = ms));
    const splitter = new LineSplitter();
    for (const chunk of [text.slice(0, cut), text.slice(cut)]) {
      for (const line of splitter.push(chunk)) parser.line(line);
    }
    equal(
      events,
      [
        { id: '1.0', event: 'mastery', data: '{"a":\n1}' },
        { id: '2.0', event: 'mastery', data: 'x' },
      ],
      `events of a stream cut at ${cut}`,
    );
    equal(retry, 2000, 'retry');
  }
}

/** A view's state keeps both what a read answers and the events that came meanwhile. */
async function stateKeepsReadsAndEvents() {
  let value = null;
  const { fromEvent, read } = followed((update) => {
    value = update(value);
  });
  let answerFirst;
  const first = read(new Promise((resolve) => (answerFirst = resolve)));
  fromEvent((rows) => rows && rows.map((r) => (r.id === 'b' ? { ...r, n: 2 } : r)));
  equal(value, null, 'an event before any read answered changes nothing yet');
  answerFirst([{ id: 'a', n: 0 }, { id: 'b', n: 1 }]);
  await first;
  equal(value, [{ id: 'a', n: 0 }, { id: 'b', n: 2 }], 'the event is applied on what the read answered');
  let answerOld;
  let answerNew;
  const older = read(new Promise((resolve) => (answerOld = resolve)));
  const newer = read(new Promise((resolve) => (answerNew = resolve)));
  answerNew('newer');
  await newer;
  answerOld('older');
  await older;
  equal(value, 'newer', 'a read answered after a later one is dropped');
  fromEvent('from an event');
  equal(value, 'from an event', 'an event with a whole value replaces it');
}

/** A cold load of the class view: every file's bytes, and the grid's first render. */
async function coldLoad(browser) {
  const context = await signedInContext(browser, { width: 1366, height: 900 });
  const page = await context.newPage();
  const files = new Map();
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/dashboard/')) {
      const body = await response.body().catch(() => Buffer.alloc(0));
      files.set(url.pathname, body);
    }
  });
  await page.goto(`${base}/dashboard/#/classes/${encodeURIComponent(expected.class.id)}`);
  await page.waitForSelector('#mastery-grid tbody td.cell', { timeout: STEP_TIMEOUT });
  const rendered = await page.evaluate((name) => {
    const mark = performance.getEntriesByName(name)[0];
    const cells = document.querySelectorAll('#mastery-grid tbody td.cell').length;
    return { ms: mark ? mark.startTime : null, cells };
  }, GRID_RENDERED);
  equal(rendered.cells, expected.learners * expected.competencies, 'grid cells in the page');
  check(rendered.ms !== null, 'the grid set its performance mark');
  let bytes = 0;
  let gzipped = 0;
  for (const [path, body] of files) {
    bytes += body.length;
    gzipped += gzipSync(body, { level: 9 }).length;
    console.log(`dashboard file ${path}: ${body.length} bytes`);
  }
  check(files.size >= 3, `the page, its script and its styles were served (${[...files.keys()]})`);
  console.log(`dashboard assets: ${files.size} files, ${bytes} bytes (${gzipped} bytes if gzipped)`);
  console.log(
    `class view first render (${expected.learners} learners x ${expected.competencies} competencies): ` +
      `${rendered.ms.toFixed(0)} ms from navigation start to the grid's cells in the DOM`,
  );
  check(rendered.ms < STEP_TIMEOUT, `first render in ${rendered.ms} ms`);
  await context.close();
}

async function signIn(page) {
  await page.goto(`${base}/dashboard/`);
  await page.fill('#key', key);
  await page.fill('#secret', 'not-the-secret');
  await page.click('button[type=submit]');
  const problem = await page.waitForSelector('#sign-in-problem', { timeout: STEP_TIMEOUT });
  check((await problem.textContent()).includes('not accepted'), 'a wrong secret is refused in words');
  equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing kept after a refused sign-in');
  await page.fill('#secret', secret);
  await page.click('button[type=submit]');
  await page.waitForSelector('.class-list', { timeout: STEP_TIMEOUT });
  const kept = await page.evaluate(() => ({
    session: sessionStorage.getItem('learnlog.credential'),
    local: localStorage.length,
    cookies: document.cookie,
  }));
  equal(JSON.parse(kept.session), { key, secret }, 'the credential is kept for the tab');
  equal(kept.local, 0, 'nothing in localStorage');
  equal(kept.cookies, '', 'no cookie');
}

/** The grid's cells by learner name and competency title. */
async function readGrid(page) {
  return page.evaluate(() => {
    const titles = [...document.querySelectorAll('#mastery-grid thead th.competency-col .vertical')].map(
      (e) => e.textContent,
    );
    const rows = {};
    const order = [];
    for (const row of document.querySelectorAll('#mastery-grid tbody tr')) {
      const name = row.querySelector('th a').textContent;
      order.push(name);
      const cells = {};
      row.querySelectorAll('td.cell').forEach((cell, i) => {
        cells[titles[i]] = {
          p: cell.dataset.p ?? null,
          mastered: cell.dataset.mastered === 'true',
          text: cell.textContent,
          evidence: Number((/(\d+) answers?/.exec(cell.title) || [0, 0])[1]),
        };
      });
      rows[name] = { total: Number(row.querySelector('td.total-col').textContent), cells };
    }
    return { titles, rows, order };
  });
}

async function classView(page) {
  await page.click(`.class-list a:has-text("${expected.class.name}")`);
  await page.waitForSelector('#mastery-grid tbody td.cell', { timeout: STEP_TIMEOUT });
  const grid = await readGrid(page);
  equal(grid.titles.length, expected.competencies, 'competency columns');
  equal(Object.keys(grid.rows).length, expected.learners, 'learner rows');
  for (const [name, total] of Object.entries(expected.totals)) {
    equal(grid.rows[name].total, total, `${name}'s skills mastered`);
  }
  for (const cell of expected.cells) {
    const shown = grid.rows[cell.learner].cells[cell.competency];
    const where = `${cell.learner} × ${cell.competency}`;
    equal(shown.mastered, cell.mastered, `${where} mastered`);
    equal(shown.evidence, cell.evidence, `${where} answers`);
    if (cell.mastered) equal(shown.text, '✓', `${where} is marked with ✓, not only colour`);
    if (cell.evidence === 0) equal(shown.p, null, `${where} has no estimate`);
  }
  // every estimate shown is the API's
  const api = await apiGet(`/v1/classes/${encodeURIComponent(expected.class.id)}/mastery`);
  for (const row of api.learners) {
    row.cells.forEach((cell, i) => {
      const shown = grid.rows[row.display].cells[api.competencies[i].title];
      equal(shown.p, cell ? cell.p_mastered.toFixed(3) : null, `${row.display} × ${api.competencies[i].title}`);
      if (cell && !cell.mastered) equal(shown.text, String(Math.round(cell.p_mastered * 100)), 'percent shown');
    });
  }
  console.log(`class view: ${expected.learners} × ${expected.competencies} cells match the seeding and the API`);

  // sorting from the keyboard: the column of the spinners' competency, highest first
  const column = expected.spinners.competency;
  const header = page.locator('#mastery-grid thead th', { has: page.locator(`button[aria-label="Sort by ${column}"]`) });
  await header.locator('button').focus();
  await page.keyboard.press('Enter');
  equal(await header.getAttribute('aria-sort'), 'descending', 'the sorted column says so');
  const sorted = await readGrid(page);
  const ps = sorted.order.map((name) => Number(sorted.rows[name].cells[column].p ?? -1));
  check(ps.every((p, i) => i === 0 || ps[i - 1] >= p), `rows by ${column}, highest first: ${ps}`);
  const learnerHeader = page.locator('#mastery-grid thead th.learner-col');
  await learnerHeader.locator('button').focus();
  await page.keyboard.press('Enter');
  equal(await learnerHeader.getAttribute('aria-sort'), 'ascending', 'sorted by name again');
  const byName = (await readGrid(page)).order;
  equal(byName, [...byName].sort((a, b) => a.localeCompare(b)), 'rows by name');

  // interventions: the wheel-spinning learners, with the rule's reason
  await page.waitForSelector('.intervention', { timeout: STEP_TIMEOUT });
  const flagged = await page.$$eval('.intervention', (items) =>
    items.map((i) => ({ heading: i.querySelector('h3').textContent, reason: i.querySelector('.reason').textContent })),
  );
  for (const name of expected.spinners.names) {
    const item = flagged.find((f) => f.heading.startsWith(`${name}:`));
    check(item, `${name} is flagged (${JSON.stringify(flagged)})`);
    check(item.heading.includes(expected.spinners.competency), `${name} on ${expected.spinners.competency}`);
    check(/12 attempts without mastery/.test(item.reason), `the reason says why: ${item.reason}`);
  }
  const first = page.locator('.intervention').first();
  const firstName = (await first.locator('h3 a').textContent()).trim();
  await first.locator('input').fill('Worked through it with counters');
  await first.locator('button', { hasText: 'Acknowledge' }).click();
  const acknowledged = page.locator('.intervention', { has: page.locator(`h3 a:text-is("${firstName}")`) });
  await acknowledged.locator('.status[data-status="acknowledged"]').waitFor({ timeout: STEP_TIMEOUT });
  const history = await acknowledged.locator('.history').textContent();
  check(history.includes(`Acknowledged by ${key}`) && history.includes('counters'), `the action is recorded: ${history}`);

  // groups: the API's, with names
  const groups = await apiGet(`/v1/classes/${encodeURIComponent(expected.class.id)}/groups`);
  await page.waitForSelector('.group', { timeout: STEP_TIMEOUT });
  const shownGroups = await page.$$eval('.group', (items) =>
    items.map((g) => ({ title: g.querySelector('h3').textContent, names: [...g.querySelectorAll('.names a')].map((a) => a.textContent) })),
  );
  equal(shownGroups.map((g) => g.title), groups.groups.map((g) => g.title), 'suggested groups');
  equal(shownGroups.map((g) => g.names.length), groups.groups.map((g) => g.learners.length), 'group sizes');
  await shoot(page, 'class');
}

/** The plot's point count and last value, and the skills table's row of `title`. */
async function readLearner(page, title) {
  return page.evaluate((skill) => {
    const box = document.querySelector('.plot-box');
    const row = [...document.querySelectorAll('#skills-table tbody tr')].find(
      (r) => r.querySelector('th').textContent === skill,
    );
    return {
      points: Number(box.dataset.points),
      last: Number(box.dataset.last),
      canvas: Boolean(box.querySelector('canvas')),
      row: row && { evidence: Number(row.dataset.evidence), text: row.textContent },
    };
  }, title);
}

async function learnerView(page) {
  const focus = expected.focus;
  await page.click(`#mastery-grid tbody th a:text-is("${focus.name}")`);
  await page.waitForSelector('.plot-box canvas', { timeout: STEP_TIMEOUT });
  await page.waitForSelector('.objective', { timeout: STEP_TIMEOUT });
  await page.waitForSelector('#skills-table', { timeout: STEP_TIMEOUT });
  const learner = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const shown = await readLearner(page, focus.live.title);
  equal(shown.last, focus.mastered, 'the plot ends at the skills mastered');
  equal(shown.points, focus.mastered + 1, 'a point per mastered skill, and now');
  check(shown.canvas, 'uPlot drew the plot');
  const table = await page.$$eval('#plot-table tbody tr', (rows) => rows.map((r) => r.children[1].textContent));
  equal(table.map(Number), [...Array(focus.mastered).keys()].map((i) => i + 1).concat([focus.mastered]), 'the plot as a table');
  equal(shown.row.evidence, 2, `${focus.live.title} has its two answers`);

  // the objective the seeding makes ready, with the rule's reason
  const objectives = await page.$$eval('.objective', (items) =>
    items.map((o) => ({ title: o.querySelector('h3').textContent, reason: o.querySelector('.reason').textContent })),
  );
  const objective = objectives.find((o) => o.title === focus.objective);
  check(objective, `${focus.objective} is among the next objectives: ${JSON.stringify(objectives)}`);
  check(
    objective.reason.startsWith(`Its prerequisite is mastered (${focus.prerequisite} on `),
    `the objective's reason: ${objective.reason}`,
  );
  const api = await apiGet(`/v1/learners/${learner}/decisions?kind=objective`);
  equal(objectives.map((o) => o.title), api.decisions.map((d) => d.title), 'objectives in the API order');

  // the learner chooses another objective: it comes first and says so
  const other = objectives.find((o) => o.title !== focus.objective);
  const card = page.locator('.objective', { has: page.locator(`h3:text-is("${other.title}")`) });
  await card.locator('button', { hasText: 'Choose this next' }).click();
  await page.locator('.objective').first().locator('.chosen').waitFor({ timeout: STEP_TIMEOUT });
  equal(await page.locator('.objective h3').first().textContent(), other.title, 'the choice comes first');

  // the goal, with the route to it
  const goals = await page.textContent('.goals');
  check(goals.includes(focus.goal) && goals.includes(focus.plan), `the goal and its plan: ${goals}`);

  // recent activity and the profile
  await page.waitForSelector('#recent-activity li', { timeout: STEP_TIMEOUT });
  const activity = await page.$$eval('#recent-activity li', (items) => items.map((i) => i.textContent));
  equal(activity.length, 10, 'ten recent statements');
  check(activity.every((a) => a.includes(`${focus.name} answered`)), `activity in words: ${activity[0]}`);
  const facts = await page.textContent('.facts');
  check(/Active on\s*\d+ days/.test(facts), `profile facts: ${facts}`);
  await page.waitForSelector('[data-live="live"]', { timeout: STEP_TIMEOUT });
  await shoot(page, 'learner');
  return learner;
}

async function familyView(page, learner) {
  const focus = expected.focus;
  await page.click('a:has-text("Family summary")');
  await page.waitForSelector('#family-mastered', { timeout: STEP_TIMEOUT });
  await page.waitForSelector('#family-next-list', { timeout: STEP_TIMEOUT });
  const text = await page.textContent('.family-view');
  check(
    text.includes(`${focus.name} mastered ${focus.mastered_this_week} new skills this week`),
    `mastered this week (${focus.mastered_this_week}): ${text.slice(0, 300)}`,
  );
  check(text.includes(`In all, ${focus.name} has mastered ${focus.mastered} skills`), 'mastered in all');
  const next = await page.$$eval('#family-next-list li strong', (items) => items.map((i) => i.textContent));
  const api = await apiGet(`/v1/learners/${learner}/decisions?kind=objective`);
  equal(next, api.decisions.slice(0, 3).map((d) => d.title), 'what comes next');
  check(text.includes('Nothing needs extra help right now.'), 'no help needed');
  await page.emulateMedia({ media: 'print' });
  check(!(await page.isVisible('header.top')), 'the header is not printed');
  await shoot(page, 'family');
  await page.emulateMedia({ media: 'screen' });

  // a flagged learner's summary says where help is needed
  const spinner = (await apiGet(`/v1/classes/${encodeURIComponent(expected.class.id)}`)).members.find(
    (m) => m.display === expected.spinners.names[1],
  );
  await page.goto(`${base}/dashboard/#/family/${spinner.learner}`);
  await page.waitForSelector('#family-help-list', { timeout: STEP_TIMEOUT });
  const help = await page.textContent('#family-help-list');
  check(help.includes(expected.spinners.competency) && /12 attempts/.test(help), `help needed: ${help}`);
}

async function liveUpdate(page, learner) {
  const focus = expected.focus;
  await page.goto(`${base}/dashboard/#/learners/${learner}`);
  await page.waitForSelector('#skills-table', { timeout: STEP_TIMEOUT });
  await page.waitForSelector('[data-live="live"]', { timeout: STEP_TIMEOUT });
  const before = await readLearner(page, focus.live.title);
  await page.evaluate(() => {
    window.notReloaded = true;
  });
  // the class grid, open in another tab, follows too
  const classContext = await signedInContext(page.context().browser(), { width: 1366, height: 900 });
  const classPage = await classContext.newPage();
  await classPage.goto(`${base}/dashboard/#/classes/${encodeURIComponent(expected.class.id)}`);
  await classPage.waitForSelector('#mastery-grid tbody td.cell', { timeout: STEP_TIMEOUT });
  await classPage.waitForSelector('[data-live="live"]', { timeout: STEP_TIMEOUT });
  const gridCell = ([row, skill]) => {
    const titles = [...document.querySelectorAll('#mastery-grid thead th.competency-col .vertical')].map((e) => e.textContent);
    const cells = document.querySelectorAll(`#mastery-grid tbody tr[data-learner="${row}"] td.cell`);
    return cells[titles.indexOf(skill)].dataset.mastered;
  };
  equal(await classPage.evaluate(gridCell, [learner, focus.live.title]), 'false', 'the grid cell before');

  await postStatements([rightAnswer(focus.agent), rightAnswer(focus.agent)]);
  const stored = Date.now();
  await page.waitForFunction(
    ([skill, evidence]) => {
      const row = [...document.querySelectorAll('#skills-table tbody tr')].find((r) => r.querySelector('th').textContent === skill);
      return row && Number(row.dataset.evidence) === evidence;
    },
    [focus.live.title, before.row.evidence + 2],
    { timeout: LIVE_BOUND_MS },
  );
  const latency = Date.now() - stored;
  const after = await readLearner(page, focus.live.title);
  check(await page.evaluate(() => window.notReloaded === true), 'the page was not reloaded');
  check(after.row.text.includes('✓ mastered'), `${focus.live.title} is now mastered: ${after.row.text}`);
  equal(after.last, before.last + 1, 'the plot counts the new mastery');
  equal(after.points, before.points + 1, 'the plot has a point more');
  console.log(`live update: the learner view showed the new answers ${latency} ms after they were stored`);
  await classPage.waitForFunction(
    ([row, skill]) => {
      const titles = [...document.querySelectorAll('#mastery-grid thead th.competency-col .vertical')].map((e) => e.textContent);
      const cells = document.querySelectorAll(`#mastery-grid tbody tr[data-learner="${row}"] td.cell`);
      return cells[titles.indexOf(skill)].dataset.mastered === 'true';
    },
    [learner, focus.live.title],
    { timeout: LIVE_BOUND_MS },
  );
  console.log(`live update: the class grid marked ${focus.name} × ${focus.live.title} mastered`);
  await classContext.close();
  await page.waitForTimeout(400); // the recent activity is read again once answers stop
  await shoot(page, 'after-live-update');
}

/**
 * A proxy in front of the server that cuts the first stream through it right after
 * its first whole event, and notes each request's Last-Event-ID.
 */
async function cuttingProxy() {
  const target = new URL(base);
  const lastEventIds = [];
  let cut = false;
  const server = http.createServer((request, response) => {
    lastEventIds.push(request.headers['last-event-id'] ?? null);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        let seen = '';
        answer.on('data', (chunk) => {
          seen += chunk.toString();
          const whole = !cut && /(^|\n)id: [^\n]*\n[\s\S]*?\n\n/.test(seen);
          if (!whole) {
            response.write(chunk);
            return;
          }
          // the connection drops once the event has gone out
          cut = true;
          answer.destroy();
          response.write(chunk, () => response.socket.destroy());
        });
        answer.on('end', () => response.end());
      },
    );
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url: `http://127.0.0.1:${server.address().port}`, lastEventIds, close };
}

/** The dashboard's stream reader resumes after a cut with Last-Event-ID: nothing missed, nothing twice. */
async function streamResumes() {
  const roster = await apiGet(`/v1/classes/${encodeURIComponent(expected.class.id)}`);
  const member = roster.members.find((m) => m.display !== expected.focus.name && !expected.spinners.names.includes(m.display));
  const proxy = await cuttingProxy();
  remember(key, secret);
  const events = [];
  const states = [];
  const stop = follow(`${proxy.url}/v1/streams/mastery?learner=${member.learner}`, {
    onEvent: (event) => events.push(event),
    onStatus: (state) => states.push(state),
  });
  try {
    await until('the stream is open', () => states.includes('live'));
    await postStatements([rightAnswer(member.agent)]);
    await until('the first event', () => events.length === 1);
    await until('the cut is noticed', () => states.includes('retrying'));
    // while the reader waits to reconnect, another answer is stored
    await postStatements([rightAnswer(member.agent)]);
    await until('the second event, after reconnecting', () => events.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    equal(events.length, 2, 'no event twice');
    equal(proxy.lastEventIds, [null, events[0].id], 'the reconnection sent the last id seen');
    check(events[0].id !== events[1].id, `two positions: ${events.map((e) => e.id)}`);
    equal(
      events.map((e) => e.data.view.responses - events[0].data.view.responses),
      [0, 1],
      'each answer once, in order',
    );
    console.log(`stream reader: resumed after a cut with Last-Event-ID ${events[0].id}, nothing missed or repeated`);
  } finally {
    stop();
    proxy.close();
  }
}

/** A browser context whose tabs start signed in (the credential in sessionStorage). */
async function signedInContext(browser, viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  await context.addInitScript(
    ([k, s]) => sessionStorage.setItem('learnlog.credential', JSON.stringify({ key: k, secret: s })),
    [key, secret],
  );
  return context;
}

async function phone(browser) {
  const context = await signedInContext(browser, { width: 390, height: 844 }, { isMobile: true });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/#/classes/${encodeURIComponent(expected.class.id)}`);
  await page.waitForSelector('#mastery-grid tbody td.cell', { timeout: STEP_TIMEOUT });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  check(overflow <= 0, `the page fits a phone's width (the grid scrolls inside its box): ${overflow}px over`);
  await shoot(page, 'class-phone', { fullPage: false });
  await context.close();
}

const started = Date.now();
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
let page;
try {
  parserReadsCutChunks();
  await stateKeepsReadsAndEvents();
  await coldLoad(browser);
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  await signIn(page);
  await classView(page);
  const learner = await learnerView(page);
  await familyView(page, learner);
  await liveUpdate(page, learner);
  await phone(browser);
  await streamResumes();
  for (const path of screenshots) console.log(`screenshot: ${path}`);
  console.log(`dashboard browser test: ${checks} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(error.stack || String(error));
  if (page) await shoot(page, 'failure').catch(() => {});
  console.error(`dashboard browser test failed after ${checks} checks; screenshots in ${output}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
// nothing of this script may keep node running (a stream left open, a timer)
process.exit(process.exitCode ?? 0);
