//! The simulated framework: a seeded competency DAG, imported as a CASE package.
//!
//! Competencies are generated chain by chain. Each chain is 2 to `max_chain`
//! competencies long (the first one exactly `max_chain` when there are enough), each
//! competency of a chain needs the one before it, and about a third of them also need
//! a competency of an earlier chain that sits lower in its own chain. So the longest
//! prerequisite chain is `max_chain` long, several chains start from scratch, some
//! competencies need two prerequisites, and the generation order is a topological
//! order: the sequence of the fixed-curriculum policy and the framework's order.

use learnlog_mastery::rng::SplitMix64;
use learnlog_projector_replicated::frameworks::{
    synthetic_identifier, synthetic_package, SyntheticItem,
};
use serde_json::Value;

/// The CASE package name; identifiers are UUID v5 of it and each code.
pub const PACKAGE: &str = "Decision simulation";

/// Share of the competencies (after the first of a chain) given a second prerequisite
/// from an earlier chain, when one is low enough.
const SECOND_PREREQUISITE: f64 = 0.35;

/// A generated framework. Index `i` is the `i`-th competency in sequence order.
#[derive(Clone, Debug)]
pub struct Framework {
    /// Human coding scheme of each competency (`C01`, …).
    pub codes: Vec<String>,
    /// CFItem identifier of each competency.
    pub ids: Vec<String>,
    /// Prerequisites of each competency, as indices (all smaller than its own).
    pub prerequisites: Vec<Vec<usize>>,
}

impl Framework {
    /// A framework of `competencies` competencies with chains at most `max_chain` long.
    pub fn generate(competencies: usize, max_chain: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ 0x6672_616d_6577_6f72);
        let max_chain = max_chain.max(1);
        let mut prerequisites: Vec<Vec<usize>> = Vec::with_capacity(competencies);
        // (index, position in its chain) of every competency of the earlier chains
        let mut earlier: Vec<(usize, usize)> = Vec::new();
        let mut first_chain = true;
        while prerequisites.len() < competencies {
            let left = competencies - prerequisites.len();
            let length = if first_chain {
                max_chain
            } else {
                2 + (rng.next_u64() % max_chain.saturating_sub(1).max(1) as u64) as usize
            }
            .min(left)
            .min(max_chain);
            first_chain = false;
            let start = prerequisites.len();
            for position in 0..length {
                let index = start + position;
                let mut needs = Vec::new();
                if position > 0 {
                    needs.push(index - 1);
                    let lower: Vec<usize> = (earlier.iter())
                        .filter(|(_, p)| *p < position)
                        .map(|(i, _)| *i)
                        .collect();
                    if !lower.is_empty() && rng.next_f64() < SECOND_PREREQUISITE {
                        needs.push(lower[(rng.next_u64() % lower.len() as u64) as usize]);
                    }
                }
                prerequisites.push(needs);
            }
            earlier.extend((0..length).map(|position| (start + position, position)));
        }
        let codes: Vec<String> = (1..=competencies).map(|i| format!("C{i:02}")).collect();
        let ids = (codes.iter())
            .map(|code| synthetic_identifier(PACKAGE, code))
            .collect();
        Self {
            codes,
            ids,
            prerequisites,
        }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The framework as a CFPackage (every competency top-level, `precedes` for each
    /// prerequisite).
    pub fn package(&self) -> Value {
        let items: Vec<SyntheticItem> = (self.codes.iter().zip(&self.prerequisites))
            .map(|(code, needs)| SyntheticItem {
                code: code.clone(),
                title: format!("Competency {code}"),
                parent: None,
                prerequisites: needs.iter().map(|&p| self.codes[p].clone()).collect(),
            })
            .collect();
        synthetic_package(PACKAGE, &items)
    }

    /// Length of the longest prerequisite chain (in competencies).
    pub fn longest_chain(&self) -> usize {
        let mut depth = vec![0usize; self.len()];
        for (i, needs) in self.prerequisites.iter().enumerate() {
            depth[i] = 1 + needs.iter().map(|&p| depth[p]).max().unwrap_or(0);
        }
        depth.into_iter().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_framework_is_a_dag_in_sequence_order_with_chains_up_to_the_limit() {
        let framework = Framework::generate(60, 6, 1);
        assert_eq!(framework.len(), 60);
        assert_eq!(framework.longest_chain(), 6);
        for (i, needs) in framework.prerequisites.iter().enumerate() {
            assert!(needs.iter().all(|&p| p < i), "{i}: {needs:?}");
        }
        let roots = framework.prerequisites.iter().filter(|n| n.is_empty());
        assert!(roots.count() >= 5);
        assert!(framework.prerequisites.iter().any(|n| n.len() == 2));
        let again = Framework::generate(60, 6, 1);
        assert_eq!(again.prerequisites, framework.prerequisites);
        let package = framework.package();
        assert_eq!(package["CFItems"].as_array().map(Vec::len), Some(60));
    }

    #[test]
    fn small_frameworks_respect_the_chain_limit() {
        for (n, chain) in [(1, 6), (12, 4), (7, 1), (5, 2)] {
            let framework = Framework::generate(n, chain, 3);
            assert_eq!(framework.len(), n);
            assert!(framework.longest_chain() <= chain);
        }
    }
}
