//! The negotiated xAPI version and what depends on it: the header value and the
//! `version` given to stored statements that had none.

/// The xAPI version negotiated for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XapiVersion {
    /// xAPI 1.0.3 (accepts `1.0` and `1.0.x` headers).
    V1_0_3,
    /// xAPI 2.0 / IEEE 9274.1.1 (accepts `2.0` and `2.0.x` headers).
    V2_0_0,
}

impl XapiVersion {
    /// Parses an `X-Experience-API-Version` header value: `1.0`, `1.0.x` give
    /// [`XapiVersion::V1_0_3`]; `2.0`, `2.0.x` give [`XapiVersion::V2_0_0`];
    /// anything else `None`.
    pub fn from_header(value: &str) -> Option<XapiVersion> {
        version_family(value.trim())
    }

    /// The response header value: `1.0.3` or `2.0.0`.
    pub fn header_value(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.3",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }

    /// The `version` property set on a stored statement that had none:
    /// `1.0.0` or `2.0.0`.
    pub fn default_statement_version(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.0",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }

    /// Whether a statement's own `version` property is acceptable in this mode:
    /// `1.0` / `1.0.x` always, `2.0` / `2.0.x` only in 2.0 mode.
    pub(crate) fn accepts_statement_version(self, value: &str) -> bool {
        match version_family(value) {
            Some(XapiVersion::V1_0_3) => true,
            Some(XapiVersion::V2_0_0) => self == XapiVersion::V2_0_0,
            None => false,
        }
    }
}

/// `1.0` / `1.0.<digits>` and `2.0` / `2.0.<digits>`, exactly (no whitespace).
fn version_family(value: &str) -> Option<XapiVersion> {
    let (family, rest) = if let Some(rest) = value.strip_prefix("1.0") {
        (XapiVersion::V1_0_3, rest)
    } else if let Some(rest) = value.strip_prefix("2.0") {
        (XapiVersion::V2_0_0, rest)
    } else {
        return None;
    };
    if rest.is_empty() {
        return Some(family);
    }
    match rest.strip_prefix('.') {
        Some(patch) if !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()) => {
            Some(family)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::XapiVersion::{self, V1_0_3, V2_0_0};

    #[test]
    fn header_values_map_to_their_version_and_everything_else_is_refused() {
        let cases: &[(&str, Option<XapiVersion>)] = &[
            ("1.0", Some(V1_0_3)),
            ("1.0.0", Some(V1_0_3)),
            ("1.0.3", Some(V1_0_3)),
            ("1.0.9", Some(V1_0_3)),
            ("2.0", Some(V2_0_0)),
            ("2.0.0", Some(V2_0_0)),
            ("2.0.12", Some(V2_0_0)),
            ("", None),
            ("1", None),
            ("1.1.0", None),
            ("0.9.9", None),
            ("1.0.", None),
            ("1.0.x", None),
            ("1.03", None),
            ("2.1", None),
            ("should fail", None),
        ];
        for (header, expected) in cases {
            assert_eq!(XapiVersion::from_header(header), *expected, "{header:?}");
        }
    }

    #[test]
    fn header_and_default_statement_versions_are_fixed_strings() {
        assert_eq!(V1_0_3.header_value(), "1.0.3");
        assert_eq!(V2_0_0.header_value(), "2.0.0");
        assert_eq!(V1_0_3.default_statement_version(), "1.0.0");
        assert_eq!(V2_0_0.default_statement_version(), "2.0.0");
    }

    #[test]
    fn statement_versions_follow_the_mode() {
        for (value, in_1, in_2) in [
            ("1.0", true, true),
            ("1.0.3", true, true),
            ("1.0.9", true, true),
            ("2.0", false, true),
            ("2.0.0", false, true),
            ("1.1.0", false, false),
            ("0.9.9", false, false),
            ("should fail", false, false),
            (" 1.0.0", false, false),
        ] {
            assert_eq!(V1_0_3.accepts_statement_version(value), in_1, "{value:?}");
            assert_eq!(V2_0_0.accepts_statement_version(value), in_2, "{value:?}");
        }
    }
}
