//! Query strings of the xAPI resources: decoded as the API decodes them
//! (`application/x-www-form-urlencoded`), each value then read by the parser its
//! parameter name selects (agents as JSON, UUIDs, IRIs, timestamps, formats, language
//! preferences), as `GET /xapi/statements` and the document resources do.
#![no_main]

use learnlog_xapi::{
    is_iri, parse_agent_param, parse_timestamp, parse_uuid, LanguagePreference, StatementFormat,
};

libfuzzer_sys::fuzz_target!(|query: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(query) else {
        return;
    };
    for (name, value) in pairs {
        match name.as_str() {
            "agent" => {
                let _ = parse_agent_param(&value);
            }
            "statementId" | "voidedStatementId" | "registration" => {
                let _ = parse_uuid(&value);
            }
            "verb" | "activity" | "activityId" => {
                let _ = is_iri(&value);
            }
            "since" | "until" => {
                if let Ok(instant) = parse_timestamp(&value) {
                    let _ = learnlog_xapi::format_timestamp(instant);
                }
            }
            "format" => {
                let _ = StatementFormat::parse(&value);
            }
            "limit" => {
                let _ = value.parse::<usize>();
            }
            _ => {
                let _ = LanguagePreference::parse(&value);
            }
        }
    }
});
