//! Statement queries (xAPI Communication §2.1.3 GET Statements): the filters, the
//! choice of index, the range
//! scan in stored order with post-filtering, and pages.
//!
//! A query names filters; each filter is an index entry the statement (or a statement
//! on its StatementRef chain, see `index`) must have. The engine scans the most
//! selective filter's index between the query's time bounds, keeps the statements
//! whose chain has an element matching *every* filter, drops voided statements, and
//! stops after `limit`. A page ends at a position; the next page starts strictly after
//! it and ends at the same pinned upper bound, so paging while statements arrive gives
//! no duplicates and misses nothing stored before the first page.

use super::codec::{StorePosition, StoredStatement};
use super::index::{self, own_entries, ref_target, Entry, IndexKind};
use super::reader::StatementReader;
use super::scan::PositionRange;
use learnlog_projector::{Error, Result};
use serde_json::Value;
use std::collections::HashSet;
use std::ops::Bound;
use uuid::Uuid;

/// The most statements one page holds: `limit=0`, no limit, or a larger limit get this.
pub const MAX_LIMIT: usize = 500;
/// How many keys of each candidate index are counted to pick the most selective one.
const PROBE: usize = 256;
/// Longest StatementRef chain followed when post-filtering.
const MAX_CHAIN: usize = 16;

/// The filters and order of a statement query; every field is already validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementQuery {
    /// IFI key of the agent (`learnlog_xapi::agent_ifi_key`).
    pub agent: Option<String>,
    pub related_agents: bool,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub related_activities: bool,
    pub registration: Option<Uuid>,
    /// Only statements stored strictly after this (µs).
    pub since_micros: Option<i64>,
    /// Only statements stored at or before this (µs).
    pub until_micros: Option<i64>,
    pub ascending: bool,
    /// Most statements per page; 0 means [`MAX_LIMIT`].
    pub limit: usize,
    /// Only statements whose own `authority` has this IFI key (credentials limited to
    /// `statements/read/mine`).
    pub authority: Option<String>,
}

impl StatementQuery {
    /// The index entries a matching statement must have.
    pub fn required(&self) -> Vec<Entry> {
        let mut required = Vec::new();
        if let Some(agent) = &self.agent {
            let kind = if self.related_agents {
                IndexKind::RelatedAgent
            } else {
                IndexKind::Agent
            };
            required.push((kind, agent.clone()));
        }
        if let Some(verb) = &self.verb {
            required.push((IndexKind::Verb, verb.clone()));
        }
        if let Some(activity) = &self.activity {
            let kind = if self.related_activities {
                IndexKind::RelatedActivity
            } else {
                IndexKind::Activity
            };
            required.push((kind, activity.clone()));
        }
        if let Some(registration) = self.registration {
            required.push((IndexKind::Registration, registration.to_string()));
        }
        required
    }

    /// The page size actually served.
    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => MAX_LIMIT,
            limit => limit.min(MAX_LIMIT),
        }
    }
}

/// One page of a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub statements: Vec<StoredStatement>,
    /// Where the next page starts (exclusive) when more statements match.
    pub more: Option<StorePosition>,
}

impl StatementReader {
    /// The newest position stored for the tenant: the bound to pin at a first page.
    pub fn newest(&self, tenant: &str) -> Result<Option<StorePosition>> {
        let every = (Bound::Unbounded, Bound::Unbounded);
        self.scan_stored(tenant, every, false)
            .next()
            .transpose()
            .map(|newest| newest.map(|(position, _)| position))
    }

    /// One page of `query`: statements strictly after `after` in the query's order and
    /// at or before `bound` in stored order.
    pub fn query(
        &self,
        tenant: &str,
        query: &StatementQuery,
        after: Option<StorePosition>,
        bound: StorePosition,
    ) -> Result<Page> {
        let required = query.required();
        let mut drivers = required.clone();
        if let Some(authority) = &query.authority {
            drivers.push((IndexKind::RelatedAgent, authority.clone()));
        }
        let Some(bounds) = range(query, after, bound) else {
            return Ok(Page::default());
        };
        let scan = match self.driver(tenant, query, &drivers, bound)? {
            Some((kind, value)) => {
                let prefix = index::value_prefix(tenant, &value);
                self.scan_index(kind, &prefix, bounds, query.ascending)
            }
            None => self.scan_stored(tenant, bounds, query.ascending),
        };
        let size = query.page_size();
        let mut page = Page::default();
        for entry in scan {
            let (position, body_at) = entry?;
            let Some((id, statement)) = self.body(tenant, position, body_at)? else {
                continue; // sealed for a learner since erased
            };
            if drivers.len() > 1 && !self.chain_matches(tenant, &statement, &required)? {
                continue;
            }
            if let Some(authority) = &query.authority {
                let json = parse(&statement.json)?;
                let own = json.get("authority").and_then(learnlog_xapi::agent_ifi_key);
                if own.as_ref() != Some(authority) {
                    continue;
                }
            }
            if self.is_voided(tenant, id, &statement)? {
                continue;
            }
            if page.statements.len() == size {
                page.more = page.statements.last().map(StorePosition::of);
                break;
            }
            page.statements.push(statement);
        }
        Ok(page)
    }

    /// The filter whose index holds the fewest keys in the query's time range (counted
    /// up to [`PROBE`]); `None` when the query has no filter.
    fn driver(
        &self,
        tenant: &str,
        query: &StatementQuery,
        required: &[Entry],
        bound: StorePosition,
    ) -> Result<Option<Entry>> {
        if required.len() < 2 {
            return Ok(required.first().cloned());
        }
        let mut best: Option<(usize, &Entry)> = None;
        for entry in required {
            let prefix = index::value_prefix(tenant, &entry.1);
            let count = match range(query, None, bound) {
                Some(bounds) => (self.scan_index(entry.0, &prefix, bounds, true))
                    .take(PROBE)
                    .count(),
                None => 0,
            };
            if best.is_none_or(|(fewest, _)| count < fewest) {
                best = Some((count, entry));
            }
        }
        Ok(best.map(|(_, entry)| entry.clone()))
    }

    /// Whether the statement, or a stored statement along its StatementRef chain,
    /// has every required entry.
    fn chain_matches(
        &self,
        tenant: &str,
        statement: &StoredStatement,
        required: &[Entry],
    ) -> Result<bool> {
        let mut json = parse(&statement.json)?;
        let mut seen = HashSet::new();
        loop {
            let entries = own_entries(&json);
            if required.iter().all(|entry| entries.contains(entry)) {
                return Ok(true);
            }
            let Some(target) = ref_target(&json) else {
                return Ok(false);
            };
            if seen.len() >= MAX_CHAIN || !seen.insert(target) {
                return Ok(false);
            }
            let Some(next) = self.get(tenant, target)? else {
                return Ok(false);
            };
            json = parse(&next.json)?;
        }
    }
}

fn parse(json: &[u8]) -> Result<Value> {
    serde_json::from_slice(json).map_err(|_| Error::Corrupt("statement json".into()))
}

/// The positions between the query's bounds, after `after` in its order and at or
/// before `bound`, or `None` when there are none.
fn range(
    query: &StatementQuery,
    after: Option<StorePosition>,
    bound: StorePosition,
) -> Option<PositionRange> {
    // Keys order `stored` as big-endian bytes, which is numeric order for instants
    // from 1970 on; earlier bounds are clamped to the epoch.
    let mut lower = StorePosition::first_at(0);
    let mut lower_excluded = false;
    if let Some(since) = query.since_micros.filter(|since| *since >= 0) {
        lower = StorePosition::last_at(since);
        lower_excluded = true;
    }
    if query.until_micros.is_some_and(|until| until < 0) {
        return None;
    }
    let mut upper = bound;
    let mut upper_excluded = false;
    if let Some(until) = query.until_micros {
        upper = upper.min(StorePosition::last_at(until));
    }
    if let Some(after) = after {
        if query.ascending && after >= lower {
            (lower, lower_excluded) = (after, true);
        } else if !query.ascending && after <= upper {
            (upper, upper_excluded) = (after, true);
        }
    }
    if lower > upper || (lower == upper && (lower_excluded || upper_excluded)) {
        return None;
    }
    let lower = if lower_excluded {
        Bound::Excluded(lower)
    } else {
        Bound::Included(lower)
    };
    let upper = if upper_excluded {
        Bound::Excluded(upper)
    } else {
        Bound::Included(upper)
    };
    Some((lower, upper))
}
