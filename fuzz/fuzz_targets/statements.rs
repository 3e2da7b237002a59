//! Statement bodies as `POST /xapi/statements` reads them: the JSON shape limits, strict
//! parsing and validation for both xAPI versions, then what the write and read paths do
//! with a valid statement (the fields the LRS assigns, equivalence, the `ids` and
//! `canonical` formats, the activities and agents it names).
#![no_main]

use learnlog_xapi::{
    activities_in, agent_ifi_key, check_json_limits, merge_activity_definition,
    parse_statement_batch, prepare_for_storage, statements_equivalent, to_canonical_format,
    to_ids_format, voided_target, JsonLimits, LanguagePreference, Person, StoredFields,
    XapiVersion,
};

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    let limits = JsonLimits {
        max_depth: 32,
        max_string_bytes: 256 << 10,
    };
    if check_json_limits(body, limits).is_err() {
        return;
    }
    let authority = serde_json::json!({
        "objectType": "Agent",
        "account": {"homePage": "http://127.0.0.1", "name": "fuzz"},
    });
    for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
        let Ok(statements) = parse_statement_batch(body, version) else {
            continue;
        };
        for statement in statements {
            let mut stored = statement.clone();
            let fields = StoredFields {
                id: uuid::Uuid::nil(),
                stored: chrono::DateTime::UNIX_EPOCH,
                authority: &authority,
                version,
            };
            prepare_for_storage(&mut stored, &fields);
            assert!(statements_equivalent(&stored, &stored), "{stored}");
            let _ = voided_target(&stored);
            let _ = to_ids_format(&stored);
            let preference = LanguagePreference::parse("en-US, fr;q=0.5");
            let _ = to_canonical_format(&stored, &preference, &|_| None);
            let mut merged = None;
            for activity in activities_in(&stored) {
                merged = Some(merge_activity_definition(merged.as_ref(), activity));
            }
            let mut person = Person::new();
            if let Some(actor) = stored.get("actor") {
                let _ = agent_ifi_key(actor);
                person.add(actor);
            }
            let _ = person.to_json();
        }
    }
});
