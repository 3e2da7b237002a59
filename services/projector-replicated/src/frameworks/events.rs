//! Building the framework events (`FrameworkImported`, `AlignmentSet`) and checking
//! what goes into them. The API and the command line append what these build; the
//! fold checks packages again, so an event from any producer folds the same way.

use super::case;
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, AlignmentSet, Envelope, FrameworkImported};

/// Longest framework id accepted.
pub const MAX_FRAMEWORK_ID_LEN: usize = 128;
/// Most competencies one activity can be aligned to.
pub const MAX_ALIGNED_COMPETENCIES: usize = 256;
/// Longest competency reference (identifier or URI) accepted, in bytes.
pub const MAX_REFERENCE_LEN: usize = 2048;

/// Checks a framework id: 1 to 128 of `A-Z a-z 0-9 - . _ ~` (URL-safe as a path
/// segment; a CFDocument identifier fits).
pub fn check_framework_id(id: &str) -> Result<()> {
    let unreserved = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if id.is_empty() || id.len() > MAX_FRAMEWORK_ID_LEN || !unreserved {
        return Err(Error::Invalid(format!(
            "framework id: must be 1 to {MAX_FRAMEWORK_ID_LEN} characters of A-Z a-z 0-9 - . _ ~"
        )));
    }
    Ok(())
}

/// The `FrameworkImported` envelope for `package_json` stored under `framework_id`,
/// after checking both (the error names the JSON path and the rule). Key of the log
/// record: the framework id.
pub fn imported(
    tenant: &str,
    framework_id: &str,
    package_json: &[u8],
    produced_at_micros: i64,
) -> Result<Envelope> {
    check_framework_id(framework_id)?;
    case::parse_package(package_json).map_err(|error| Error::Invalid(error.to_string()))?;
    let imported = FrameworkImported {
        framework_id: framework_id.to_owned(),
        package_json: package_json.to_vec(),
    };
    Ok(envelope(
        tenant,
        framework_id,
        produced_at_micros,
        Event::FrameworkImported(imported),
    ))
}

/// Checks an activity id (an IRI) and the competencies it is aligned to: 1 to 256
/// non-empty references (CFItem identifiers, CFItem URIs, or competency ids named
/// directly), each at most 2048 bytes. Returns them trimmed, each once, in order.
pub fn check_alignment(activity_id: &str, competencies: &[String]) -> Result<Vec<String>> {
    check_activity_id(activity_id)?;
    if competencies.is_empty() {
        return Err(Error::Invalid(
            "competencies: give at least one competency (DELETE removes an alignment)".into(),
        ));
    }
    if competencies.len() > MAX_ALIGNED_COMPETENCIES {
        return Err(Error::Invalid(format!(
            "competencies: at most {MAX_ALIGNED_COMPETENCIES} per activity"
        )));
    }
    let mut checked: Vec<String> = Vec::with_capacity(competencies.len());
    for (index, reference) in competencies.iter().enumerate() {
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().any(char::is_control) {
            return Err(Error::Invalid(format!(
                "competencies[{index}]: must be a non-empty string without control characters"
            )));
        }
        if reference.len() > MAX_REFERENCE_LEN {
            return Err(Error::Invalid(format!(
                "competencies[{index}]: longer than {MAX_REFERENCE_LEN} bytes"
            )));
        }
        if !checked.iter().any(|known| known == reference) {
            checked.push(reference.to_owned());
        }
    }
    Ok(checked)
}

/// Checks an activity id: an absolute IRI, as xAPI requires of activity ids.
pub fn check_activity_id(activity_id: &str) -> Result<()> {
    if learnlog_xapi::is_iri(activity_id) {
        Ok(())
    } else {
        Err(Error::Invalid("activityId: must be an IRI".into()))
    }
}

/// The `AlignmentSet` envelope aligning `activity_id` to `competencies` (checked as
/// by [`check_alignment`]). Key of the log record: the activity id.
pub fn alignment_set(
    tenant: &str,
    activity_id: &str,
    competencies: &[String],
    produced_at_micros: i64,
) -> Result<Envelope> {
    let competency_ids = check_alignment(activity_id, competencies)?;
    Ok(alignment_envelope(
        tenant,
        activity_id,
        competency_ids,
        produced_at_micros,
    ))
}

/// The `AlignmentSet` envelope with no competencies: removes the activity's alignment.
pub fn alignment_removed(
    tenant: &str,
    activity_id: &str,
    produced_at_micros: i64,
) -> Result<Envelope> {
    check_activity_id(activity_id)?;
    Ok(alignment_envelope(
        tenant,
        activity_id,
        Vec::new(),
        produced_at_micros,
    ))
}

fn alignment_envelope(
    tenant: &str,
    activity_id: &str,
    competency_ids: Vec<String>,
    produced_at_micros: i64,
) -> Envelope {
    let set = AlignmentSet {
        activity_id: activity_id.to_owned(),
        competency_ids,
    };
    envelope(
        tenant,
        activity_id,
        produced_at_micros,
        Event::AlignmentSet(set),
    )
}

fn envelope(tenant: &str, key: &str, produced_at_micros: i64, event: Event) -> Envelope {
    Envelope {
        event_id: uuid::Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: key.to_owned(),
        produced_at_micros,
        event: Some(event),
    }
}
