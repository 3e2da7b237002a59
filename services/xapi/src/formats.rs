//! Checks of formatted strings: IRIs, UUIDs, mailto IRIs, RFC 5646 language tags,
//! ISO 8601 durations, hex digests and media types. Pure predicates on `&str`;
//! the JSON-level wrappers that report paths live in `json.rs`.

use std::sync::LazyLock;

use regex::Regex;

static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.\-]*:").expect("valid scheme regex"));

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
        .expect("valid uuid regex")
});

static MAILTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^mailto:[^\s@"(),:;<>\[\]\\]+@[^\s@"(),:;<>\[\]\\.]+(?:\.[^\s@"(),:;<>\[\]\\.]+)*$"#,
    )
    .expect("valid mailto regex")
});

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    let n = r"\d+(?:\.\d+)?";
    Regex::new(&format!(
        "^P(?:(?:{n}Y)?(?:{n}M)?(?:{n}D)?(?:T(?:{n}H)?(?:{n}M)?(?:{n}S)?)?|{n}W)$"
    ))
    .expect("valid duration regex")
});

static MEDIA_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    let token = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]+";
    Regex::new(&format!(r"^{token}/{token}(?:\s*;.*)?$")).expect("valid media type regex")
});

/// An absolute IRI: a scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`), a colon,
/// then a non-empty remainder with no whitespace, no control characters, none of
/// `<>"{}|\^` and backtick, at most one `#`, and well-formed percent-encodings.
/// The value is not normalized.
pub fn is_iri(value: &str) -> bool {
    let Some(scheme) = SCHEME.find(value) else {
        return false;
    };
    let rest = &value[scheme.end()..];
    if rest.is_empty() || rest.matches('#').count() > 1 {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    for c in rest.chars() {
        let forbidden = c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`');
        if forbidden {
            return false;
        }
        if c == '%' {
            let hex = |j: usize| bytes.get(j).is_some_and(|b| b.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
        }
        i += c.len_utf8();
    }
    true
}

/// A UUID in the hyphenated 8-4-4-4-12 form, hex digits of either case.
pub fn is_uuid(value: &str) -> bool {
    UUID.is_match(value)
}

/// Parses a UUID given in the hyphenated form only.
pub fn parse_uuid(value: &str) -> Option<uuid::Uuid> {
    if is_uuid(value) {
        uuid::Uuid::parse_str(value).ok()
    } else {
        None
    }
}

/// `mailto:` followed by an email address.
pub(crate) fn is_mailto(value: &str) -> bool {
    MAILTO.is_match(value)
}

/// A well-formed RFC 5646 language tag.
pub fn is_language_tag(value: &str) -> bool {
    oxilangtag::LanguageTag::parse(value).is_ok()
}

/// An ISO 8601 duration `PnYnMnDTnHnMnS` (a decimal allowed on any component)
/// or `PnW` alone; `P` and a trailing `T` with nothing after it are refused.
pub(crate) fn is_duration(value: &str) -> bool {
    DURATION.is_match(value) && value != "P" && !value.ends_with('T')
}

/// Exactly `len` hex digits.
pub(crate) fn is_hex_of_len(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A hex SHA-2 digest (SHA-224, SHA-256, SHA-384 or SHA-512).
pub(crate) fn is_sha2_hex(value: &str) -> bool {
    [56, 64, 96, 128]
        .iter()
        .any(|&len| is_hex_of_len(value, len))
}

/// A media type `type/subtype`, optionally with parameters.
pub(crate) fn is_media_type(value: &str) -> bool {
    MEDIA_TYPE.is_match(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_need_an_absolute_form_with_a_valid_scheme() {
        for good in [
            "http://adlnet.gov/expapi/verbs/attempted",
            "https://example.com/path/../x",
            "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
            "mailto:someone@example.com",
            "http://example.com/%C3%A9t%C3%A9?q=1#frag",
            "http://例え.テスト/パス",
            "tag:example.com,2024:thing",
        ] {
            assert!(is_iri(good), "{good}");
        }
        for bad in [
            "",
            "abc",
            "should fail",
            "ab=c://should.fail.com",
            "not.a.valid.iri.com/verb",
            "example.com/x",
            "http://example.com/has space",
            "1http://example.com",
            "http:",
            "http://example.com/%zz",
            "http://example.com/a#b#c",
            "http://example.com/<tag>",
            "http://example.com/\n",
        ] {
            assert!(!is_iri(bad), "{bad:?}");
        }
    }

    #[test]
    fn uuids_must_be_hyphenated_hex() {
        for good in [
            "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
            "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
            "00000000-0000-0000-0000-000000000000",
        ] {
            assert!(parse_uuid(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "fd41c918b88b4b20a0a5a4c32391aaa0",
            "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
            "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
            "fd41c918-b88b-4b20-a0a5-a4c32391aaa00",
            "fd41c918-b88b-4b20-a0a5-a4c32391aaag",
            "fd41c918-b88b-4b20-a0a5-a4c32391aaa",
        ] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn language_tags_follow_rfc_5646_syntax() {
        for good in [
            "de",
            "de-DE",
            "zh-Hant",
            "sr-Latn-RS",
            "sr-Cyrl",
            "zh-Hans-CN",
            "cmn",
            "ase",
            "tlh",
            "es-MX",
            "fr-CA",
            "ja",
            "en",
            "en-US",
            "EN-us",
            "es-419",
            "de-CH-1901",
            "en-a-bbb-x-ccc",
            "x-private",
            "i-klingon",
            "zh-min-nan",
        ] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in [
            "",
            "something",
            "a12345",
            "a12345678",
            "s-something",
            "en-something-AU",
            "zh-something-ccc",
            "en_US",
            "en-",
            "-en",
            "e",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn durations_follow_iso_8601_with_weeks_alone() {
        for good in [
            "PT1H0M0.1S",
            "PT4H35M59.14S",
            "PT16559.14S",
            "P3Y1M29DT4H35M59.14S",
            "P3Y",
            "P4W",
            "P1DT12H36M0.12567S",
            "PT0S",
            "P0D",
        ] {
            assert!(is_duration(good), "{good}");
        }
        for bad in [
            "PA1H0M0S",
            "P4W1D",
            "P",
            "PT",
            "P1DT",
            "should fail",
            "",
            "1H",
            "PT1.S",
            "P1H",
            "PT1S1M",
        ] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn mailto_iris_need_an_email_address() {
        for good in [
            "mailto:a@b.c",
            "mailto:first.last+tag@sub.example.com",
            "mailto:x@localhost",
        ] {
            assert!(is_mailto(good), "{good}");
        }
        for bad in [
            "mailto:should.fail.com",
            "http://should.fail.com",
            "a@b.c",
            "mailto:",
            "mailto:a@",
            "mailto:@b.c",
            "mailto:a b@c.d",
            "mailto:a@b..c",
            "MAILTO:a@b.c",
        ] {
            assert!(!is_mailto(bad), "{bad}");
        }
    }

    #[test]
    fn digests_and_media_types_are_checked_by_shape() {
        assert!(is_hex_of_len(
            "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
            40
        ));
        assert!(!is_hex_of_len(
            "ebd31e95054c018b10727ccffd2ef2ec3a016ee",
            40
        ));
        assert!(is_sha2_hex(&"a".repeat(64)));
        assert!(is_sha2_hex(&"B".repeat(128)));
        assert!(!is_sha2_hex(&"a".repeat(63)));
        assert!(!is_sha2_hex(&"g".repeat(64)));
        assert!(is_media_type("application/octet-stream"));
        assert!(is_media_type("text/plain; charset=ascii"));
        assert!(!is_media_type("text"));
        assert!(!is_media_type(""));
    }
}
