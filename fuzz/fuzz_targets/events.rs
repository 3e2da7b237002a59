//! The log's records: every value on every topic is one `Envelope` (protobuf), decoded
//! by every projection that folds the topic. Undecodable bytes must be refused, and a
//! decoded envelope must encode to bytes that decode and encode to the same bytes
//! (compared as bytes: a NaN `double` field is not equal to itself).
#![no_main]

use learnlog_proto::v1::{Envelope, StatementOutcome};
use learnlog_proto::Message;

libfuzzer_sys::fuzz_target!(|record: &[u8]| {
    if let Ok(envelope) = Envelope::decode(record) {
        let bytes = envelope.encode_to_vec();
        let again = Envelope::decode(bytes.as_slice()).expect("an encoded envelope decodes");
        assert_eq!(again.encode_to_vec(), bytes);
    }
    if let Ok(outcome) = StatementOutcome::decode(record) {
        let bytes = outcome.encode_to_vec();
        let again = StatementOutcome::decode(bytes.as_slice()).expect("an encoded outcome decodes");
        assert_eq!(again.encode_to_vec(), bytes);
    }
});
