//! Given evidence on an embedded log and a running mastery projection, a fit publishes
//! its parameters on every `learner-events` partition.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use learnlog_projector_partitioned::mastery::MasteryStore;
use learnlog_proto::v1::{envelope::Event, Envelope, LearnerStatement, MasteryModelPublished};
use learnlog_proto::{topics, Message};
use std::sync::Arc;

const TENANT: &str = "district-1";
/// The fold harness's partitions of `learner-events`.
const PARTITIONS: u32 = 3;

/// An embedded log with `learner-events` and the mastery projection folding it.
struct Node(FoldHarness);

impl Node {
    fn start() -> Self {
        let mastery = Arc::new(MasteryStore::default());
        Self(FoldHarness::new(mastery, topics::LEARNER_EVENTS))
    }

    fn log(&self) -> &EventLog {
        &self.0.log
    }

    fn target(&self) -> FitTarget<'_> {
        FitTarget {
            log: &self.0.log,
            mastery: &self.0.projection,
            fold_wait: Duration::from_secs(10),
        }
    }

    /// Appends `tenant`'s statements as the repartitioner would, keyed by learner.
    async fn append(&self, tenant: &str, statements: Vec<LearnerStatement>) {
        for statement in statements {
            let key = statement.learner_id.clone();
            let at = statement.timestamp_micros;
            let event = Event::LearnerStatement(statement);
            self.0.append(tenant, &key, at, event).await;
        }
    }

    /// The last event of every `learner-events` partition, as a publication.
    async fn last_publications(&self) -> Vec<(String, MasteryModelPublished)> {
        let mut found = Vec::new();
        for partition in 0..PARTITIONS {
            let end = self
                .log()
                .high_watermark(topics::LEARNER_EVENTS, partition)
                .unwrap();
            let records = self
                .log()
                .read(topics::LEARNER_EVENTS, partition, end - 1, 1, 1 << 20)
                .await
                .unwrap();
            let envelope = Envelope::decode(records[0].value.as_slice()).unwrap();
            let Some(Event::MasteryModelPublished(published)) = envelope.event else {
                panic!("partition {partition} ends with {:?}", envelope.event);
            };
            found.push((envelope.tenant, published));
        }
        found
    }

    fn high_watermarks(&self) -> Vec<u64> {
        (0..PARTITIONS)
            .map(|p| {
                self.log()
                    .high_watermark(topics::LEARNER_EVENTS, p)
                    .unwrap()
            })
            .collect()
    }
}

/// The `offset`th statement of a learner, on one activity aligned to `competencies`.
fn statement(
    learner: u32,
    offset: u64,
    competencies: &[&str],
    success: Option<bool>,
) -> LearnerStatement {
    LearnerStatement {
        learner_id: format!("learner-{learner}"),
        statement_id: format!("statement-{learner}-{offset}"),
        source_partition: learner,
        source_offset: offset,
        verb_id: "http://adlnet.gov/expapi/verbs/answered".into(),
        activity_id: "https://example.org/items/1".into(),
        competency_ids: competencies.iter().map(|c| c.to_string()).collect(),
        success,
        timestamp_micros: 1_700_000_000_000_000 + offset as i64 * 60_000_000,
        ..LearnerStatement::default()
    }
}

#[tokio::test]
async fn a_fit_counts_the_tenants_evidence_and_publishes_it_on_every_partition() {
    let node = Node::start();
    let mut statements = Vec::new();
    for learner in 0..2 {
        for offset in 0..4 {
            statements.push(statement(
                learner,
                offset,
                &["fractions"],
                Some(offset % 2 == 0),
            ));
        }
        // Not evidence: unscored, or on no competency.
        statements.push(statement(learner, 4, &["fractions"], None));
        statements.push(statement(learner, 5, &[], Some(true)));
    }
    node.append(TENANT, statements).await;
    node.append(
        "another-tenant",
        vec![statement(9, 0, &["decimals"], Some(true))],
    )
    .await;

    let report = fit_and_publish(node.target(), TENANT, ModelKind::Bkt)
        .await
        .unwrap();
    assert_eq!(report.model, "bkt");
    assert_eq!(report.competencies, 1);
    assert_eq!(report.items, 1);
    assert_eq!(report.learners, 2);
    assert_eq!(report.responses, 8);

    let publications = node.last_publications().await;
    assert_eq!(publications.len(), PARTITIONS as usize);
    for (tenant, published) in publications {
        assert_eq!(tenant, TENANT);
        assert_eq!(published.model_id, report.model_id);
        assert_eq!(
            published.description,
            "bkt fitted on 8 responses of 2 learners"
        );
        let set = ParameterSet::from_json(&published.parameters_json).unwrap();
        assert_eq!(set.competencies, ["fractions"]);
    }
}

#[tokio::test]
async fn a_tenant_without_evidence_is_refused_and_nothing_is_published() {
    let node = Node::start();
    node.append(TENANT, vec![statement(0, 0, &["fractions"], None)])
        .await;
    let before = node.high_watermarks();

    let refused = fit_and_publish(node.target(), TENANT, ModelKind::IrtForget).await;
    assert!(matches!(refused, Err(Error::NoEvidence)), "{refused:?}");
    assert_eq!(node.high_watermarks(), before);
}

#[tokio::test]
async fn given_parameters_are_published_as_they_are() {
    let node = Node::start();
    let params = r#"{"prior": 0.3, "learn": 0.2, "forget": 0.0, "guess": 0.25, "slip": 0.1}"#;
    let set = ParameterSet::from_pybkt_json(&format!(
        r#"{{"fractions": {params}, "decimals": {params}}}"#
    ))
    .unwrap();

    let report = publish_given(node.target(), TENANT, &set).await.unwrap();
    assert_eq!(report.model, "bkt");
    assert_eq!(report.competencies, 2);
    assert_eq!((report.items, report.learners, report.responses), (0, 0, 0));
    assert_eq!(report.fit_seconds, 0.0);

    for (tenant, published) in node.last_publications().await {
        assert_eq!(tenant, TENANT);
        assert_eq!(published.model_id, report.model_id);
        assert_eq!(published.description, "given bkt parameters");
        assert_eq!(published.parameters_json, set.to_json());
    }
}
