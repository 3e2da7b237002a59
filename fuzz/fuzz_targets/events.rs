//! The log's records: every value on every topic is one `Envelope` (protobuf), decoded
//! by every projection that folds the topic. Undecodable bytes must be refused, and a
//! decoded envelope must encode back to bytes that decode to the same envelope.
#![no_main]

use learnlog_proto::v1::{Envelope, StatementOutcome};
use learnlog_proto::Message;

libfuzzer_sys::fuzz_target!(|record: &[u8]| {
    if let Ok(envelope) = Envelope::decode(record) {
        let again = Envelope::decode(envelope.encode_to_vec().as_slice())
            .expect("an encoded envelope decodes");
        assert_eq!(again, envelope);
    }
    if let Ok(outcome) = StatementOutcome::decode(record) {
        let again = StatementOutcome::decode(outcome.encode_to_vec().as_slice())
            .expect("an encoded outcome decodes");
        assert_eq!(again, outcome);
    }
});
