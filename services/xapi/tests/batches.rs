//! Request bodies: strict JSON, single statements and batches.

mod common;

use common::BOTH;
use learnlog_xapi::parse_statement_batch;

const ACTOR: &str = r#""actor":{"mbox":"mailto:a@b.c"}"#;
const VERB: &str = r#""verb":{"id":"http://adlnet.gov/expapi/verbs/attempted"}"#;
const OBJECT: &str = r#""object":{"id":"http://example.com/a"}"#;

fn statement(extra: &str) -> String {
    format!("{{{extra}{ACTOR},{VERB},{OBJECT}}}")
}

fn error_path(body: &str) -> String {
    match parse_statement_batch(body.as_bytes(), learnlog_xapi::XapiVersion::V2_0_0) {
        Ok(_) => "accepted".to_string(),
        Err(e) => e.path,
    }
}

#[test]
fn a_single_object_and_an_array_are_both_accepted_as_received() {
    for version in BOTH {
        let one = statement("");
        let parsed = parse_statement_batch(one.as_bytes(), version).expect("valid");
        assert_eq!(parsed.len(), 1);
        assert_eq!(serde_json::to_string(&parsed[0]).expect("serializes"), one);

        let many = format!(
            "[{},{}]",
            statement(""),
            statement(r#""result":{"score":{"raw":12.500}},"#)
        );
        let parsed = parse_statement_batch(many.as_bytes(), version).expect("valid");
        assert_eq!(parsed.len(), 2);
        assert_eq!(serde_json::to_string(&parsed).expect("serializes"), many);
    }
}

#[test]
fn malformed_bodies_are_rejected_at_the_root() {
    for body in [
        "",
        "{",
        "nul",
        "\"statement\"",
        "12",
        "[]",
        "\u{feff}{}",
        r#"{"actor":{"mbox":"mailto:a@b.c","mbox":"mailto:d@b.c"}}"#,
    ] {
        assert_eq!(error_path(body), "$", "{body:?}");
    }
    let mut invalid_utf8 = statement("").into_bytes();
    invalid_utf8[12] = 0xff;
    let error = parse_statement_batch(&invalid_utf8, learnlog_xapi::XapiVersion::V1_0_3)
        .expect_err("invalid utf-8");
    assert_eq!(error.path, "$");
}

#[test]
fn errors_in_a_batch_name_the_statement_index() {
    let body = format!("[{},{}]", statement(""), r#"{"actor":{"mbox":"x"}}"#);
    assert_eq!(error_path(&body), "statements[1].actor.mbox");
    assert_eq!(error_path(r#"{"actor":{"mbox":"x"}}"#), "actor.mbox");
    assert_eq!(error_path("[1]"), "statements[0]");
}

#[test]
fn duplicate_ids_in_one_batch_are_rejected_in_both_versions() {
    let id = r#""id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","#;
    let upper = r#""id":"FD41C918-B88B-4B20-A0A5-A4C32391AAA0","#;
    for version in BOTH {
        for second in [id, upper] {
            let body = format!(
                "[{},{},{}]",
                statement(id),
                statement(""),
                statement(second)
            );
            let error = parse_statement_batch(body.as_bytes(), version).expect_err("duplicate");
            assert_eq!(error.path, "statements[2].id");
        }
        let body = format!("[{},{}]", statement(""), statement(""));
        assert!(parse_statement_batch(body.as_bytes(), version).is_ok());
    }
}

#[test]
fn a_2_0_dummy_property_is_rejected() {
    assert_eq!(error_path(&statement(r#""dummy":"x","#)), "dummy");
}
