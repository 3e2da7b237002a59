//! The competency graph the rules walk: every competency of the tenant's frameworks
//! with its prerequisites (`precedes`) and children (`isChildOf`), in framework order.

use std::collections::{BTreeSet, HashMap};

/// One competency of a framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Competency {
    pub id: String,
    /// What people call it (the CFItem's abbreviated or full statement).
    pub title: String,
    /// What must be mastered first.
    pub prerequisites: Vec<String>,
    /// The competencies it is made of; a competency with children (a cluster, a domain,
    /// a course) is earned by mastering them, not practised itself.
    pub children: Vec<String>,
}

/// Competencies in framework order (the order a curriculum would follow).
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Competency>,
    index: HashMap<String, usize>,
    /// Child id → the ids of its parents.
    parents: HashMap<String, Vec<String>>,
}

impl Graph {
    /// A graph of `nodes` in the order given; a repeated id keeps its first place.
    pub fn new(nodes: Vec<Competency>) -> Self {
        let mut graph = Graph::default();
        for node in nodes {
            if !graph.index.contains_key(&node.id) {
                graph.index.insert(node.id.clone(), graph.nodes.len());
                graph.nodes.push(node);
            }
        }
        for node in &graph.nodes {
            for child in &node.children {
                let parents = graph.parents.entry(child.clone()).or_default();
                parents.push(node.id.clone());
            }
        }
        graph
    }

    pub fn get(&self, id: &str) -> Option<&Competency> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every competency, in framework order.
    pub fn competencies(&self) -> &[Competency] {
        &self.nodes
    }

    /// The place of `id` in framework order; unknown ids come last.
    pub fn order(&self, id: &str) -> usize {
        self.index.get(id).copied().unwrap_or(usize::MAX)
    }

    /// The title of `id`, or the id itself when it is not in the graph.
    pub fn title<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |c| c.title.as_str())
    }

    /// The competencies practised directly: those without children.
    pub fn leaves(&self) -> impl Iterator<Item = &Competency> {
        self.nodes.iter().filter(|c| c.children.is_empty())
    }

    /// The leaves under `id` (itself when it is a leaf), in framework order, each once.
    pub fn leaves_under(&self, id: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![id.to_owned()];
        let mut leaves = Vec::new();
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            match self.get(&next) {
                Some(node) if !node.children.is_empty() => {
                    stack.extend(node.children.iter().rev().cloned())
                }
                _ => leaves.push(next),
            }
        }
        leaves.sort_by_key(|leaf| self.order(leaf));
        leaves
    }

    /// The prerequisites of `id`: its own, and those of every competency above it (a
    /// prerequisite of a cluster is one of each of its members).
    pub fn prerequisites(&self, id: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![id.to_owned()];
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(node) = self.get(&next) {
                for prerequisite in &node.prerequisites {
                    if !found.contains(prerequisite) {
                        found.push(prerequisite.clone());
                    }
                }
                stack.extend(self.parents.get(&next).into_iter().flatten().cloned());
            }
        }
        found
    }

    /// Every leaf `targets` need, in an order that puts each after what it needs: the
    /// leaves under the targets and, recursively, the leaves under their
    /// prerequisites. Cycles (which imports reject) are cut where they close.
    pub fn path_to(&self, targets: &[String]) -> Vec<String> {
        let mut ordered = Vec::new();
        let mut done = BTreeSet::new();
        let mut visiting = BTreeSet::new();
        for target in targets {
            for leaf in self.leaves_under(target) {
                self.visit(&leaf, &mut done, &mut visiting, &mut ordered);
            }
        }
        ordered
    }

    fn visit(
        &self,
        leaf: &str,
        done: &mut BTreeSet<String>,
        visiting: &mut BTreeSet<String>,
        ordered: &mut Vec<String>,
    ) {
        if done.contains(leaf) || !visiting.insert(leaf.to_owned()) {
            return;
        }
        let mut needed: Vec<String> = self
            .prerequisites(leaf)
            .iter()
            .flat_map(|p| self.leaves_under(p))
            .collect();
        needed.sort_by_key(|n| self.order(n));
        for need in needed {
            self.visit(&need, done, visiting, ordered);
        }
        visiting.remove(leaf);
        done.insert(leaf.to_owned());
        ordered.push(leaf.to_owned());
    }
}
