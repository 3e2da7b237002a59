//! The validation context: where in the document a validator is working.
//!
//! An [`At`] is a chain of path steps borrowed from the caller's stack, so
//! descending into a field costs nothing; the path is rendered to a string only
//! when an error is reported.

use std::fmt::Write as _;

use crate::error::ValidationError;

/// The JSON path of the value being validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
}

impl<'a> At<'a> {
    /// The document root, rendered as `name` (or `$` when `name` is empty and
    /// nothing follows).
    pub(crate) fn root(name: &'a str) -> Self {
        At {
            parent: None,
            step: Step::Root(name),
        }
    }

    /// The member `key` of the object at this path.
    pub(crate) fn key<'b>(&'b self, key: &'b str) -> At<'b> {
        At {
            parent: Some(self),
            step: Step::Key(key),
        }
    }

    /// The element `index` of the array at this path.
    pub(crate) fn index(&self, index: usize) -> At<'_> {
        At {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// An error at this path.
    pub(crate) fn error(&self, rule: impl Into<String>) -> ValidationError {
        ValidationError::new(self.render(), rule)
    }

    /// The path as text: `statements[2].actor.mbox`, `display["en-US"]`.
    pub(crate) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut current = Some(self);
        while let Some(at) = current {
            steps.push(at.step);
            current = at.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Root(name) => out.push_str(name),
                Step::Key(key) if is_identifier(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Step::Key(key) => {
                    let quoted = serde_json::to_string(key).unwrap_or_default();
                    let _ = write!(out, "[{quoted}]");
                }
                Step::Index(index) => {
                    let _ = write!(out, "[{index}]");
                }
            }
        }
        if out.is_empty() {
            out.push('$');
        }
        out
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::At;

    #[test]
    fn paths_render_keys_indexes_and_quoted_keys() {
        let root = At::root("statements");
        let second = root.index(2);
        let actor = second.key("actor");
        assert_eq!(actor.key("mbox").render(), "statements[2].actor.mbox");

        let bare = At::root("");
        assert_eq!(bare.render(), "$");
        let display = bare.key("verb");
        let display = display.key("display");
        assert_eq!(display.key("en-US").render(), "verb.display[\"en-US\"]");
        assert_eq!(bare.index(0).render(), "[0]");
    }
}
