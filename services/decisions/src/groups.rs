//! Suggested small groups: learners of a class who share a next objective, for
//! small-group instruction. Greedy and deterministic: the objective shared by the most
//! learners not yet grouped forms groups first (ties: the one ranked higher by its
//! learners, then framework order), split into groups of `group_min`–`group_max`; the
//! learners left are listed.

use crate::graph::Graph;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A learner and their next objectives, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupCandidate {
    pub learner: String,
    pub objectives: Vec<String>,
}

/// One suggested group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub competency: String,
    pub title: String,
    pub learners: Vec<String>,
    pub reason: String,
}

/// The groups of a class and who is left.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Groups {
    pub groups: Vec<Group>,
    /// Learners in no group, by id.
    pub ungrouped: Vec<String>,
}

pub fn suggest_groups(candidates: &[GroupCandidate], graph: &Graph, settings: &Settings) -> Groups {
    let mut left: BTreeSet<&str> = candidates.iter().map(|c| c.learner.as_str()).collect();
    let mut groups = Vec::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    loop {
        // competency → (rank sum, learners with their rank)
        let mut sharing: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
        for candidate in candidates
            .iter()
            .filter(|c| left.contains(c.learner.as_str()))
        {
            for (rank, objective) in candidate.objectives.iter().enumerate() {
                if !used.contains(objective.as_str()) {
                    sharing
                        .entry(objective)
                        .or_default()
                        .push((rank, &candidate.learner));
                }
            }
        }
        let best = sharing.into_iter().max_by(|(a, la), (b, lb)| {
            let rank_sum = |l: &Vec<(usize, &str)>| l.iter().map(|(r, _)| r).sum::<usize>();
            (la.len().cmp(&lb.len()))
                .then(rank_sum(lb).cmp(&rank_sum(la)))
                .then(graph.order(b).cmp(&graph.order(a)))
        });
        let Some((competency, mut members)) = best else {
            break;
        };
        if members.len() < settings.group_min {
            break;
        }
        used.insert(competency);
        members.sort();
        let n = members.len();
        let mut k = n.div_ceil(settings.group_max);
        if n / k < settings.group_min {
            k = (n / settings.group_min).max(1);
        }
        let title = graph.title(competency).to_owned();
        let mut start = 0;
        for i in 0..k {
            let size = n / k + usize::from(i < n % k);
            let learners: Vec<String> = members[start..start + size]
                .iter()
                .map(|(_, learner)| learner.to_string())
                .collect();
            start += size;
            for learner in &learners {
                left.remove(learner.as_str());
            }
            groups.push(Group {
                competency: competency.to_owned(),
                title: title.clone(),
                reason: format!(
                    "{} learners are ready for {title}: every prerequisite mastered, not yet mastered itself{}",
                    learners.len(),
                    if k > 1 {
                        format!(" (group {} of {k}, sized {}–{})", i + 1, settings.group_min, settings.group_max)
                    } else {
                        String::new()
                    }
                ),
                learners,
            });
        }
    }
    Groups {
        groups,
        ungrouped: left.into_iter().map(str::to_owned).collect(),
    }
}
