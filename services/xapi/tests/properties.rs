//! Property tests: the parser never panics, and generated valid statements are
//! accepted and round-trip byte for byte.

use learnlog_xapi::{parse_statement_batch, XapiVersion};
use proptest::prelude::*;
use serde_json::Value;

/// Keys the validators look at, so random objects reach deep code paths.
const KEYS: [&str; 32] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
    "objectType",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
    "homePage",
    "name",
    "member",
    "display",
    "definition",
    "interactionType",
    "choices",
    "score",
    "scaled",
    "raw",
    "min",
    "max",
    "duration",
    "contextActivities",
    "parent",
    "extensions",
];

const STRINGS: [&str; 12] = [
    "Agent",
    "Group",
    "Activity",
    "StatementRef",
    "SubStatement",
    "mailto:a@b.c",
    "http://example.com/x",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "2013-05-18T05:32:34.804Z",
    "PT1S",
    "en-US",
    "choice",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-1000i32..1000, 0u32..100_000).prop_map(|(i, f)| format!("{i}.{f}")),
        Just("1e400".to_string()),
        Just("-0.0".to_string()),
        Just("1.0000000000000000000001".to_string()),
    ]
    .prop_map(|text| serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop::sample::select(STRINGS.to_vec()).prop_map(|s| Value::String(s.to_string())),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(KEYS.to_vec()).prop_map(str::to_string),
            1 => ".{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn text(value: &str) -> Value {
    Value::String(value.to_string())
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn actor() -> impl Strategy<Value = Value> {
    let ifi = prop_oneof![
        "[a-z]{1,8}".prop_map(|u| ("mbox", text(&format!("mailto:{u}@example.com")))),
        "[0-9a-f]{40}".prop_map(|h| ("mbox_sha1sum", text(&h))),
        "[a-z]{1,8}".prop_map(|u| ("openid", text(&format!("https://openid.example.com/{u}")))),
        "[a-z0-9]{1,8}".prop_map(|n| {
            (
                "account",
                object(vec![
                    ("homePage", text("https://sso.example.com")),
                    ("name", text(&n)),
                ]),
            )
        }),
    ];
    (ifi, any::<bool>(), prop::option::of("[A-Za-z ]{0,12}")).prop_map(
        |((key, value), typed, name)| {
            let mut entries = Vec::new();
            if typed {
                entries.push(("objectType", text("Agent")));
            }
            if let Some(name) = &name {
                entries.push(("name", text(name)));
            }
            entries.push((key, value));
            object(entries)
        },
    )
}

fn language_map() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["en-US", "de", "zh-Hans-CN", "fr-CA"]),
            ".{0,10}",
        ),
        0..3,
    )
    .prop_map(|entries| {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v)))
                .collect(),
        )
    })
}

fn verb() -> impl Strategy<Value = Value> {
    ("[a-z]{1,10}", prop::option::of(language_map())).prop_map(|(v, display)| {
        let mut entries = vec![("id", text(&format!("http://adlnet.gov/expapi/verbs/{v}")))];
        if let Some(display) = display {
            entries.push(("display", display));
        }
        object(entries)
    })
}

fn activity() -> impl Strategy<Value = Value> {
    let definition = (
        prop::option::of(language_map()),
        prop::option::of(prop::sample::select(vec![
            "choice",
            "true-false",
            "numeric",
            "other",
        ])),
        prop::collection::vec("[a-z]{1,4}", 0..4),
    )
        .prop_map(|(name, interaction, choices)| {
            let mut entries = Vec::new();
            if let Some(name) = name {
                entries.push(("name", name));
            }
            if let Some(kind) = interaction {
                entries.push(("interactionType", text(kind)));
                let mut seen = std::collections::HashSet::new();
                let components: Vec<Value> = choices
                    .into_iter()
                    .filter(|c| seen.insert(c.clone()))
                    .map(|c| object(vec![("id", text(&c))]))
                    .collect();
                entries.push(("choices", Value::Array(components)));
            }
            object(entries)
        });
    (
        "[a-z0-9/]{1,12}",
        any::<bool>(),
        prop::option::of(definition),
    )
        .prop_map(|(path, typed, definition)| {
            let mut entries = Vec::new();
            if typed {
                entries.push(("objectType", text("Activity")));
            }
            entries.push(("id", text(&format!("http://example.com/{path}"))));
            if let Some(definition) = definition {
                entries.push(("definition", definition));
            }
            object(entries)
        })
}

/// Decimal text in [low, high) with trailing zeros kept, e.g. `-0.500`.
fn decimal(low: i64, high: i64) -> impl Strategy<Value = (f64, String)> {
    (low..high, 0u32..1000, 0usize..3).prop_map(|(whole, fraction, zeros)| {
        let text = format!("{whole}.{fraction:03}{}", "0".repeat(zeros));
        (text.parse::<f64>().unwrap_or(0.0), text)
    })
}

fn result() -> impl Strategy<Value = Value> {
    (
        decimal(-1, 1),
        decimal(0, 10),
        decimal(10, 20),
        decimal(20, 30),
        prop::option::of(any::<bool>()),
        prop::option::of("PT[0-9]{1,3}(\\.[0-9]{1,4})?S"),
    )
        .prop_map(|(scaled, min, raw, max, success, duration)| {
            let number = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            let scaled_text = if scaled.0 < -1.0 {
                "-1.0".to_string()
            } else {
                scaled.1
            };
            let score = object(vec![
                ("scaled", number(&scaled_text)),
                ("min", number(&min.1)),
                ("raw", number(&raw.1)),
                ("max", number(&max.1)),
            ]);
            let mut entries = vec![("score", score)];
            if let Some(success) = success {
                entries.push(("success", Value::Bool(success)));
            }
            if let Some(duration) = duration {
                entries.push(("duration", text(&duration)));
            }
            object(entries)
        })
}

fn context() -> impl Strategy<Value = Value> {
    (activity(), any::<bool>(), prop::option::of("[a-z]{1,6}")).prop_map(
        |(parent, single, platform)| {
            let parents = if single {
                parent
            } else {
                Value::Array(vec![parent])
            };
            let mut entries = vec![
                ("registration", text("ec531277-b57b-4c15-8d91-d292c5b2b8f7")),
                ("contextActivities", object(vec![("parent", parents)])),
            ];
            if let Some(platform) = platform {
                entries.push(("platform", text(&platform)));
            }
            object(entries)
        },
    )
}

fn statement() -> impl Strategy<Value = Value> {
    (
        actor(),
        verb(),
        activity(),
        prop::option::of(result()),
        prop::option::of(context()),
    )
        .prop_map(|(actor, verb, activity, result, context)| {
            let mut entries = vec![("actor", actor), ("verb", verb), ("object", activity)];
            if let Some(result) = result {
                entries.push(("result", result));
            }
            if let Some(context) = context {
                entries.push(("context", context));
            }
            object(entries)
        })
}

/// Replaces the value at a random position of `value` with `replacement`.
fn mutate(value: &mut Value, choice: usize, replacement: Value) {
    let len = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if len == 0 || choice.is_multiple_of(4) {
        *value = replacement;
        return;
    }
    let child = match value {
        Value::Object(map) => map.values_mut().nth(choice % len),
        Value::Array(items) => items.get_mut(choice % len),
        _ => None,
    };
    if let Some(child) = child {
        mutate(child, choice / 3, replacement);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics_the_parser(value in arbitrary_json()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
            let _ = parse_statement_batch(&body, version);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(body in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_statement_batch(&body, XapiVersion::V2_0_0);
    }

    #[test]
    fn mutated_valid_statements_never_panic_the_parser(
        mut statement in statement(),
        choice in any::<usize>(),
        replacement in arbitrary_json(),
    ) {
        mutate(&mut statement, choice, replacement);
        let body = serde_json::to_vec(&statement).unwrap_or_default();
        for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
            if let Ok(parsed) = parse_statement_batch(&body, version) {
                let mut copy = parsed[0].clone();
                let authority = serde_json::json!({"mbox": "mailto:lrs@example.com"});
                learnlog_xapi::prepare_for_storage(&mut copy, &learnlog_xapi::StoredFields {
                    id: uuid::Uuid::nil(),
                    stored: chrono::DateTime::UNIX_EPOCH,
                    authority: &authority,
                    version,
                });
                // Storing adds `timestamp = stored` when absent; everything else it
                // changes is ignored by the comparison.
                let mut original = parsed[0].clone();
                if let Some(map) = original.as_object_mut() {
                    map.entry("timestamp")
                        .or_insert_with(|| Value::String("1970-01-01T00:00:00.000Z".into()));
                }
                prop_assert!(learnlog_xapi::statements_equivalent(&original, &copy));
            }
        }
    }

    #[test]
    fn generated_valid_statements_pass_and_round_trip_exactly(statement in statement()) {
        let input = serde_json::to_string(&statement).expect("serializes");
        for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
            let parsed = parse_statement_batch(input.as_bytes(), version);
            prop_assert!(parsed.is_ok(), "{}: {:?}", input, parsed.err());
            let parsed = parsed.unwrap_or_default();
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(serde_json::to_string(&parsed[0]).expect("serializes"), input.clone());
        }
    }
}
