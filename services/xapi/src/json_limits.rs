//! Bounds on the shape of a JSON body, nesting depth and string length, checked by one
//! pass over its bytes before it is parsed: a hostile body is refused before any value
//! is built, at the cost of a scan that skips string contents with `memchr`.
//!
//! The scan is not a validator: it assumes nothing about the bytes and never fails on
//! malformed JSON (the parser that follows does). Brackets inside strings do not count;
//! a string's length is that of its bytes as sent, escapes included, which is never
//! less than its decoded length.

/// The bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonLimits {
    /// Deepest nesting of arrays and objects, the outermost counting 1.
    pub max_depth: usize,
    /// Longest string or object key, in bytes as sent.
    pub max_string_bytes: usize,
}

/// The bound a body exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonLimitExceeded {
    #[error("arrays and objects nested deeper than {limit} levels")]
    Depth { limit: usize },
    #[error("a string longer than {limit} bytes")]
    StringLength { limit: usize },
}

/// Scans `body` once; the first bound it exceeds, if any.
pub fn check_json_limits(body: &[u8], limits: JsonLimits) -> Result<(), JsonLimitExceeded> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        match byte {
            b'"' => {
                let start = at + 1;
                let end = string_end(body, start);
                if end - start > limits.max_string_bytes {
                    return Err(JsonLimitExceeded::StringLength {
                        limit: limits.max_string_bytes,
                    });
                }
                at = end + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(JsonLimitExceeded::Depth {
                        limit: limits.max_depth,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

/// The index of the quote that closes the string whose contents start at `at` (or the
/// body's length when it is not closed).
fn string_end(body: &[u8], mut at: usize) -> usize {
    while let Some(offset) = body
        .get(at..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        let found = at + offset;
        if body[found] == b'"' {
            return found;
        }
        // A backslash escapes the byte after it (`\"`, `\\`, or the `u` of `\uXXXX`).
        at = found + 2;
    }
    body.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: JsonLimits = JsonLimits {
        max_depth: 3,
        max_string_bytes: 4,
    };

    #[test]
    fn depth_counts_arrays_and_objects_but_not_brackets_in_strings() {
        assert_eq!(check_json_limits(br#"[{"a":[1]}]"#, LIMITS), Ok(()));
        assert_eq!(
            check_json_limits(br#"[{"a":[[1]]}]"#, LIMITS),
            Err(JsonLimitExceeded::Depth { limit: 3 })
        );
        assert_eq!(check_json_limits(br#"[{"a":"[[[["}]"#, LIMITS), Ok(()));
        // Siblings do not add up.
        assert_eq!(
            check_json_limits(br#"[[[1]],[[2]],{"b":{}}]"#, LIMITS),
            Ok(())
        );
    }

    #[test]
    fn string_length_counts_bytes_as_sent_and_keys_too() {
        assert_eq!(check_json_limits(br#"{"abcd":"wxyz"}"#, LIMITS), Ok(()));
        assert_eq!(
            check_json_limits(br#"{"abcde":1}"#, LIMITS),
            Err(JsonLimitExceeded::StringLength { limit: 4 })
        );
        assert_eq!(
            check_json_limits(br#"["\u0041"]"#, LIMITS),
            Err(JsonLimitExceeded::StringLength { limit: 4 })
        );
        // An escaped quote does not end the string; an escaped backslash does not
        // escape the quote after it.
        assert_eq!(check_json_limits(br#"["a\"b"]"#, LIMITS), Ok(()));
        assert_eq!(
            check_json_limits(br#"["a\"bc"]"#, LIMITS),
            Err(JsonLimitExceeded::StringLength { limit: 4 })
        );
        assert_eq!(check_json_limits(br#"["\\",[["x"]]]"#, LIMITS), Ok(()));
    }

    #[test]
    fn malformed_bodies_are_left_to_the_parser() {
        for body in [&b""[..], b"\"", b"\"\\", b"]]]}", b"{\"a\":\"\\"] {
            assert_eq!(check_json_limits(body, LIMITS), Ok(()), "{body:?}");
        }
    }
}
