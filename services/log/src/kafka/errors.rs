//! How librdkafka's errors become the crate's: anything that means "the cluster did not
//! answer in time or is not there" is [`Error::Unavailable`] (the API answers 503 with
//! `Retry-After`); everything else is [`Error::Kafka`] (a refusal that retrying will not
//! fix, such as a bad replication factor or a lost offset).

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::Error;

/// True for the codes that mean the cluster is unreachable, overloaded or moving
/// leadership: transient by nature, nothing wrong with the request.
pub(crate) fn is_transient(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        code,
        BrokerTransportFailure
            | Resolve
            | MessageTimedOut
            | AllBrokersDown
            | OperationTimedOut
            | QueueFull
            | TimedOutQueue
            | WaitCache
            | PurgeQueue
            | PurgeInflight
            | Retry
            | LeaderNotAvailable
            | NotLeaderForPartition
            | RequestTimedOut
            | BrokerNotAvailable
            | ReplicaNotAvailable
            | NetworkException
            | CoordinatorLoadInProgress
            | CoordinatorNotAvailable
            | NotCoordinator
            | NotEnoughReplicas
            | NotEnoughReplicasAfterAppend
            | NotController
            | KafkaStorageError
            | ThrottlingQuotaExceeded
    )
}

/// The crate error for a librdkafka error met while doing `context`.
pub(crate) fn from_kafka(context: impl Into<String>, error: &KafkaError) -> Error {
    let transient = match error {
        // A future whose client shut down before the answer came.
        KafkaError::Canceled => true,
        KafkaError::AdminOp(code) => is_transient(*code),
        other => other.rdkafka_error_code().is_some_and(is_transient),
    };
    classified(context.into(), transient, error.to_string())
}

/// The crate error for an error code (with librdkafka's text) met while doing `context`.
pub(crate) fn from_code(context: impl Into<String>, code: RDKafkaErrorCode, reason: &str) -> Error {
    classified(
        context.into(),
        is_transient(code),
        format!("{reason} ({code})"),
    )
}

fn classified(context: String, transient: bool, reason: String) -> Error {
    if transient {
        Error::Unavailable { context, reason }
    } else {
        Error::Kafka { context, reason }
    }
}

/// An [`Error::Unavailable`] for a wait that ran out of time.
pub(crate) fn timed_out(context: impl Into<String>, waited: std::time::Duration) -> Error {
    Error::Unavailable {
        context: context.into(),
        reason: format!(
            "no answer from the cluster within {} ms",
            waited.as_millis()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_lost_brokers_are_unavailable_and_refusals_are_not() {
        let unavailable = from_kafka(
            "appending to t",
            &KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut),
        );
        assert!(
            matches!(unavailable, Error::Unavailable { .. }),
            "{unavailable}"
        );
        let refused = from_kafka(
            "creating t",
            &KafkaError::AdminOp(RDKafkaErrorCode::InvalidReplicationFactor),
        );
        assert!(matches!(refused, Error::Kafka { .. }), "{refused}");
    }
}
