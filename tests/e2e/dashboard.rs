//! The dashboard end to end: its files as `learnlog serve` answers them over HTTP
//! (content types, caching, 404, the redirect, no credential needed), then a real
//! browser on seeded data. The server gets a framework of 60 competencies (ten strands
//! of six steps, each step needing the one before), a class of 30 learners and their
//! answers; `node tests/browser/dashboard.mjs` drives Debian's chromium through the
//! sign-in, class, learner and family views, checks what they show against what was
//! seeded, posts a new answer and sees the learner view follow it without a reload,
//! saves screenshots and prints the bundle's size and the grid's first render time.
//!
//! Needs Node, `tests/browser/node_modules` (`npm ci --prefix tests/browser`) and
//! `/usr/bin/chromium`; `scripts/test` installs what is missing.

use crate::decisions::{call, post};
use crate::support::{Learnlog, KEY, SECRET};
use learnlog_projector_replicated::frameworks::{
    synthetic_identifier, synthetic_package, SyntheticItem,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PACKAGE: &str = "Year 5 number";
const FRAMEWORK: &str = "number";
const CLASS: &str = "5b";
const CLASS_NAME: &str = "Year 5 Birch";
const SKILLS: &str = "https://example.org/xapi/extensions/skills";
const STRANDS: [&str; 10] = [
    "Counting",
    "Place value",
    "Addition",
    "Subtraction",
    "Multiplication",
    "Division",
    "Fractions",
    "Decimals",
    "Measurement",
    "Shapes",
];
const STEPS: usize = 6;
const NAMES: [&str; 30] = [
    "Ada", "Ben", "Chloe", "Dev", "Ela", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kofi", "Lena",
    "Mia", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wren", "Xavi",
    "Yara", "Zane", "Alba", "Bo", "Cai", "Dina",
];
/// Learners who answer their step of the first strand (the fourth, for each of them)
/// wrong twelve times: wheel-spinning.
const SPINNERS: [usize; 3] = [3, 9, 15];
/// The learner whose learner and family views are checked, and who answers live.
const FOCUS: usize = 0;
/// The strand the focus learner sets a goal in (its last step).
const GOAL_STRAND: usize = 4;
const GOAL: &str = "Master multiplication";
/// How long the seeded answers may take to be folded (seconds on an idle machine).
const FOLD_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the browser test may take before it is stopped.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

fn code(strand: usize, step: usize) -> String {
    format!("S{strand}.{step}")
}

fn title(strand: usize, step: usize) -> String {
    format!("{} {}", STRANDS[strand], step + 1)
}

fn competency(strand: usize, step: usize) -> String {
    synthetic_identifier(PACKAGE, &code(strand, step))
}

/// Ten strands of six steps; each step needs the one before it.
fn framework() -> Value {
    let items: Vec<SyntheticItem> = (0..STRANDS.len())
        .flat_map(|strand| (0..STEPS).map(move |step| (strand, step)))
        .map(|(strand, step)| SyntheticItem {
            code: code(strand, step),
            title: title(strand, step),
            parent: None,
            prerequisites: if step == 0 {
                vec![]
            } else {
                vec![code(strand, step - 1)]
            },
        })
        .collect();
    synthetic_package(PACKAGE, &items)
}

/// Steps of `strand` that `learner` masters (three right answers each) before working
/// on the next one (one wrong and one right answer): 0 to 5, so every strand has a step
/// in progress; learners differ in how many they mastered in all.
fn mastered_steps(learner: usize, strand: usize) -> usize {
    (learner * (strand + 1) + strand) % STEPS
}

fn agent(learner: usize) -> Value {
    let name = NAMES[learner];
    json!({"objectType": "Agent", "name": name,
        "mbox": format!("mailto:{}@example.org", name.to_lowercase())})
}

fn answer(learner: usize, strand: usize, step: usize, success: bool, seconds: i64) -> Value {
    let timestamp = chrono::DateTime::from_timestamp(seconds, 0).unwrap();
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": agent(learner),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": format!("https://example.org/activities/{}/quiz", code(strand, step)),
            "definition": {"type": "http://adlnet.gov/expapi/activities/question",
                "name": {"en-US": format!("{} quiz", title(strand, step))},
                "extensions": {SKILLS: [competency(strand, step)]}}},
        "result": {"success": success, "duration": "PT2M"},
        "timestamp": timestamp.to_rfc3339(),
    })
}

/// Every learner's answers: strand `k` on the day `9 - k` days ago (so strands 3 to 9
/// fall in the last week), all before `now`.
fn answers(now: i64) -> Vec<Value> {
    let mut all = Vec::new();
    for learner in 0..NAMES.len() {
        for strand in 0..STRANDS.len() {
            let start = now - (9 - strand as i64) * 86_400 - 2 * 3_600;
            let mut minute = 0;
            let mut next = |step: usize, success: bool| {
                minute += 1;
                answer(learner, strand, step, success, start + minute * 60)
            };
            let done = mastered_steps(learner, strand);
            for step in 0..done {
                for _ in 0..3 {
                    all.push(next(step, true));
                }
            }
            if strand == 0 && SPINNERS.contains(&learner) {
                for _ in 0..12 {
                    all.push(next(done, false));
                }
            } else {
                all.push(next(done, false));
                all.push(next(done, true));
            }
        }
    }
    all
}

/// What the browser test checks the pages against, from the seeding above.
fn expectations(base: &str) -> Value {
    let totals: serde_json::Map<String, Value> = (0..NAMES.len())
        .map(|l| {
            let mastered: usize = (0..STRANDS.len()).map(|k| mastered_steps(l, k)).sum();
            (NAMES[l].to_owned(), json!(mastered))
        })
        .collect();
    let cell = |learner: usize, strand: usize, step: usize| {
        let done = mastered_steps(learner, strand);
        let spinning = strand == 0 && SPINNERS.contains(&learner);
        let evidence = match step {
            s if s < done => 3,
            s if s == done && spinning => 12,
            s if s == done => 2,
            _ => 0,
        };
        json!({"learner": NAMES[learner], "competency": title(strand, step),
            "mastered": step < done, "evidence": evidence})
    };
    let mut cells = Vec::new();
    for learner in [FOCUS, 1, SPINNERS[0], 29] {
        for (strand, step) in [(0, 0), (0, 1), (0, 4), (4, 2), (9, 5)] {
            cells.push(cell(learner, strand, step));
        }
    }
    let focus_strand = (0..STRANDS.len())
        .find(|&k| (1..STEPS).contains(&mastered_steps(FOCUS, k)))
        .expect("a strand with a prerequisite mastered and a step in progress");
    let next_step = mastered_steps(FOCUS, focus_strand);
    let this_week: usize = (3..STRANDS.len()).map(|k| mastered_steps(FOCUS, k)).sum();
    json!({
        "base": base,
        "class": {"id": CLASS, "name": CLASS_NAME},
        "learners": NAMES.len(),
        "competencies": STRANDS.len() * STEPS,
        "totals": totals,
        "cells": cells,
        "spinners": {
            "names": SPINNERS.map(|l| NAMES[l]),
            "competency": title(0, mastered_steps(SPINNERS[0], 0)),
        },
        "focus": {
            "name": NAMES[FOCUS],
            "agent": agent(FOCUS),
            "mastered": totals[NAMES[FOCUS]],
            "mastered_this_week": this_week,
            "objective": title(focus_strand, next_step),
            "goal": GOAL,
            "plan": format!(
                "Goal \"{GOAL}\": {} of {STEPS} competencies on the way to {} mastered",
                mastered_steps(FOCUS, GOAL_STRAND),
                title(GOAL_STRAND, STEPS - 1),
            ),
            "prerequisite": title(focus_strand, next_step - 1),
            "live": {
                "competency": competency(focus_strand, next_step),
                "title": title(focus_strand, next_step),
                "activity": format!("https://example.org/activities/{}/quiz",
                    code(focus_strand, next_step)),
            },
        },
    })
}

/// The dashboard's files over HTTP: no credential, the page checked on every load, the
/// hashed assets kept, the rest 404.
fn files_are_served(server: &Learnlog) {
    let redirect = server
        .raw(Method::GET, "/dashboard")
        .send()
        .expect("GET /dashboard answers");
    // reqwest follows the redirect: it must land on the page
    assert_eq!(redirect.status(), 200);
    assert_eq!(redirect.url().path(), "/dashboard/");

    let page = server.raw(Method::GET, "/dashboard/").send().unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let html = page.text().unwrap();
    let assets: Vec<&str> = html
        .split("\"/dashboard/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{html}");
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{html}");
    for asset in &assets {
        let answer = server
            .raw(Method::GET, &format!("/dashboard/{asset}"))
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200, "{asset}");
        let expected = if asset.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(answer.headers()["content-type"], expected, "{asset}");
        assert_eq!(
            answer.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{asset}"
        );
    }
    let unchanged = server
        .raw(Method::GET, "/dashboard/")
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    for missing in [
        "/dashboard/assets/nothing-here.js",
        "/dashboard/secrets.txt",
    ] {
        let answer = server.raw(Method::GET, missing).send().unwrap();
        assert_eq!(answer.status(), 404, "{missing}");
    }
}

fn seed(server: &Learnlog) -> usize {
    let imported = call(
        server,
        Method::PUT,
        &format!("/v1/frameworks/{FRAMEWORK}"),
        Some(framework()),
    );
    assert_eq!(imported.status(), 201, "{:?}", imported.text());
    let members: Vec<Value> = (0..NAMES.len()).map(agent).collect();
    let class = json!({"name": CLASS_NAME, "members": members, "teachers": ["ms-rivera"],
        "frameworks": [FRAMEWORK]});
    let created = call(
        server,
        Method::PUT,
        &format!("/v1/classes/{CLASS}"),
        Some(class),
    );
    assert_eq!(created.status(), 201, "{:?}", created.text());
    let statements = answers(chrono::Utc::now().timestamp());
    for batch in statements.chunks(500) {
        post(server, batch);
    }
    let focus = crate::support::percent_encode(&agent(FOCUS).to_string());
    let goal = json!({"description": GOAL, "competency": competency(GOAL_STRAND, STEPS - 1)});
    let set = call(
        server,
        Method::POST,
        &format!("/v1/learners/{focus}/goals"),
        Some(goal),
    );
    assert_eq!(set.status(), 201, "{:?}", set.text());
    statements.len()
}

/// Waits until the class grid counts every seeded answer.
fn wait_until_folded(server: &Learnlog, answers: usize) {
    let deadline = Instant::now() + FOLD_TIMEOUT;
    loop {
        let grid = call(
            server,
            Method::GET,
            &format!("/v1/classes/{CLASS}/mastery"),
            None,
        );
        let counted: u64 = grid.json::<Value>().map_or(0, |grid| {
            (grid["learners"].as_array().into_iter().flatten())
                .flat_map(|row| row["cells"].as_array().cloned().unwrap_or_default())
                .map(|cell| cell["evidence"].as_u64().unwrap_or(0))
                .sum()
        });
        if counted == answers as u64 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the grid counts {counted} of {answers} answers after {FOLD_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The folder the screenshots go to: `dashboard-screenshots` in the target folder this
/// test binary was built in.
fn output_folder() -> PathBuf {
    let binary = std::env::current_exe().expect("the test binary's path");
    let target = binary
        .ancestors()
        .nth(3)
        .expect("the test binary is in <target>/<profile>/deps");
    target.join("dashboard-screenshots")
}

fn browser_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Runs the browser test; its output is printed; panics unless it passes in time.
fn run_browser_test(expectations: &Value) {
    let folder = browser_folder();
    assert!(
        folder.join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    let chromium =
        std::env::var("LEARNLOG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: `apt-get install chromium` (scripts/test does)"
    );
    let output = output_folder();
    std::fs::create_dir_all(&output).expect("the screenshot folder is created");
    let mut child = Command::new("node")
        .arg("dashboard.mjs")
        .current_dir(&folder)
        .env("LEARNLOG_URL", expectations["base"].as_str().unwrap())
        .env("LEARNLOG_KEY", KEY)
        .env("LEARNLOG_SECRET", SECRET)
        .env("LEARNLOG_CHROMIUM", &chromium)
        .env("DASHBOARD_OUTPUT", &output)
        .env("DASHBOARD_EXPECT", expectations.to_string())
        .stdin(Stdio::null())
        .spawn()
        .expect("node starts (is Node installed?)");
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("node's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser test did not finish in {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "the browser test failed ({status}); screenshots in {}",
        output.display()
    );
}

#[test]
fn the_dashboard_shows_a_class_of_30_and_follows_new_answers_live() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    files_are_served(&server);
    let answers = seed(&server);
    wait_until_folded(&server, answers);
    run_browser_test(&expectations(&server.base));
}
