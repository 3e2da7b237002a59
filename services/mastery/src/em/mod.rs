//! Fitting BKT parameters per competency by EM (Baum–Welch), competencies in parallel.
//!
//! The E step is a forward filter (the same update as [`BktParams::update`]) followed
//! by a backward smoother over the filtered probabilities, so it needs one float of
//! scratch per step. Several fixed starting points are tried per competency and the
//! one with the highest likelihood wins (ties and order are deterministic), so the
//! fit is a pure function of the sequences.

use crate::bkt::BktParams;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The responses of one competency: one sequence per learner, in time order.
#[derive(Debug, Clone, Default)]
pub struct Sequences {
    /// All observations, sequence after sequence.
    pub obs: Vec<bool>,
    /// Start of each sequence in `obs`; sequence `k` is `obs[starts[k]..starts[k+1]]`
    /// (the last one runs to the end).
    pub starts: Vec<usize>,
    /// How many learners had each sequence (empty means 1 each).
    pub weights: Vec<f64>,
}

impl Sequences {
    /// Appends one sequence.
    pub fn push(&mut self, seq: impl IntoIterator<Item = bool>) {
        self.starts.push(self.obs.len());
        self.obs.extend(seq);
    }

    /// The sequences with their weights.
    pub fn iter(&self) -> impl Iterator<Item = (&[bool], f64)> {
        self.starts.iter().enumerate().map(move |(k, &s)| {
            let e = self.starts.get(k + 1).copied().unwrap_or(self.obs.len());
            (&self.obs[s..e], self.weights.get(k).copied().unwrap_or(1.0))
        })
    }

    /// The same data with identical sequences merged into one weighted sequence (in
    /// order of first appearance): EM on it gives exactly the same estimates, faster.
    pub fn compressed(&self) -> Sequences {
        let mut index: std::collections::HashMap<&[bool], usize> = std::collections::HashMap::new();
        let mut out = Sequences::default();
        for (seq, w) in self.iter() {
            match index.get(seq) {
                Some(&k) => out.weights[k] += w,
                None => {
                    index.insert(seq, out.starts.len());
                    out.push(seq.iter().copied());
                    out.weights.push(w);
                }
            }
        }
        out
    }
}

/// How to fit.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// Fit `forget` too (otherwise it stays 0, standard BKT).
    pub fit_forget: bool,
    /// Most EM iterations per starting point.
    pub max_iter: usize,
    /// Stop when the log-likelihood improves by less than this fraction of itself.
    pub rel_tol: f64,
    /// EM iterations every starting point gets before only the best one goes on.
    pub probe_iter: usize,
    /// Worker threads (0 = one per core).
    pub threads: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            fit_forget: false,
            max_iter: 100,
            rel_tol: 1e-5,
            probe_iter: 8,
            threads: 0,
        }
    }
}

/// Fixed starting points: (prior, learn, guess, slip).
const STARTS: [(f64, f64, f64, f64); 4] = [
    (0.3, 0.15, 0.2, 0.1),
    (0.5, 0.3, 0.1, 0.2),
    (0.15, 0.08, 0.3, 0.05),
    (0.6, 0.05, 0.15, 0.25),
];

const EPS: f64 = 1e-6;

/// Fits every competency's parameters; `out[k]` belongs to `skills[k]`.
pub fn fit_all(skills: &[Sequences], opts: &FitOptions) -> Vec<BktParams> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    }
    .clamp(1, skills.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, BktParams)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= skills.len() {
                            break;
                        }
                        mine.push((k, fit(&skills[k], opts)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    results.sort_by_key(|(k, _)| *k);
    results.into_iter().map(|(_, p)| p).collect()
}

/// Fits one competency from its sequences.
///
/// Every fixed starting point runs `probe_iter` EM iterations; the one with the best
/// likelihood among the sane solutions (`guess + slip < 1`; the others are the
/// label-switched mirror image) then runs to convergence.
pub fn fit(seqs: &Sequences, opts: &FitOptions) -> BktParams {
    let seqs = seqs.compressed();
    let mut scratch = Vec::new();
    let run = |mut p: BktParams, iters: usize, scratch: &mut Vec<f64>| {
        let mut ll_prev = f64::NEG_INFINITY;
        let mut ll = f64::NEG_INFINITY;
        for _ in 0..iters {
            let (next, ll_now) = em_step(&p, &seqs, opts.fit_forget, scratch);
            ll = ll_now;
            p = next;
            if (ll - ll_prev).abs() <= opts.rel_tol * ll.abs() {
                break;
            }
            ll_prev = ll;
        }
        (ll, p)
    };
    let mut best: Option<(f64, BktParams)> = None;
    for &(prior, learn, guess, slip) in &STARTS {
        let start = BktParams {
            prior,
            learn,
            forget: if opts.fit_forget { 0.05 } else { 0.0 },
            guess,
            slip,
        };
        let (ll, p) = run(start, opts.probe_iter.min(opts.max_iter), &mut scratch);
        let sane = p.guess + p.slip < 1.0;
        let better = match &best {
            None => true,
            Some((best_ll, bp)) => {
                let best_sane = bp.guess + bp.slip < 1.0;
                (sane && !best_sane) || (sane == best_sane && ll > *best_ll)
            }
        };
        if better {
            best = Some((ll, p));
        }
    }
    match best {
        Some((_, p)) => {
            run(
                p,
                opts.max_iter.saturating_sub(opts.probe_iter),
                &mut scratch,
            )
            .1
        }
        None => BktParams {
            prior: 0.5,
            learn: 0.1,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        },
    }
}

/// Expected counts of one E step (each field a sum over sequences and steps).
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    prior: f64,
    seqs: f64,
    learn: f64,
    unknown_before_step: f64,
    forget: f64,
    known_before_step: f64,
    guess: f64,
    unknown: f64,
    slip: f64,
    known: f64,
    loglik: f64,
}

impl Counts {
    fn add_scaled(&mut self, o: &Counts, w: f64) {
        self.prior += w * o.prior;
        self.seqs += w * o.seqs;
        self.learn += w * o.learn;
        self.unknown_before_step += w * o.unknown_before_step;
        self.forget += w * o.forget;
        self.known_before_step += w * o.known_before_step;
        self.guess += w * o.guess;
        self.unknown += w * o.unknown;
        self.slip += w * o.slip;
        self.known += w * o.known;
        self.loglik += w * o.loglik;
    }
}

/// One EM iteration: returns the re-estimated parameters and the log-likelihood of
/// the sequences under `p` (the parameters going in).
pub fn em_step(
    p: &BktParams,
    seqs: &Sequences,
    fit_forget: bool,
    filtered: &mut Vec<f64>,
) -> (BktParams, f64) {
    let mut total = Counts::default();
    for (seq, w) in seqs.iter() {
        if !seq.is_empty() {
            total.add_scaled(&e_step(p, seq, filtered), w);
        }
    }
    let ratio = |num: f64, den: f64, old: f64| {
        if den > 0.0 {
            (num / den).clamp(EPS, 1.0 - EPS)
        } else {
            old
        }
    };
    let next = BktParams {
        prior: ratio(total.prior, total.seqs, p.prior),
        learn: ratio(total.learn, total.unknown_before_step, p.learn),
        forget: if fit_forget {
            ratio(total.forget, total.known_before_step, p.forget)
        } else {
            0.0
        },
        guess: ratio(total.guess, total.unknown, p.guess),
        slip: ratio(total.slip, total.known, p.slip),
    };
    (next, total.loglik)
}

/// Forward filter, then backward smoother, over one non-empty sequence.
fn e_step(p: &BktParams, seq: &[bool], filtered: &mut Vec<f64>) -> Counts {
    let mut c = Counts {
        seqs: 1.0,
        ..Counts::default()
    };
    let (l, f) = (p.learn, p.forget);
    filtered.clear();
    let mut a = p.prior;
    let mut lik = 1.0f64;
    for &o in seq {
        let (lk, lu) = if o {
            (1.0 - p.slip, p.guess)
        } else {
            (p.slip, 1.0 - p.guess)
        };
        let num = a * lk;
        let norm = num + (1.0 - a) * lu;
        lik *= norm;
        if lik < 1e-250 {
            c.loglik += lik.ln();
            lik = 1.0;
        }
        let fk = num / norm;
        filtered.push(fk);
        a = fk * (1.0 - f) + (1.0 - fk) * l;
    }
    c.loglik += lik.ln();
    let n = seq.len();
    let mut g1 = filtered[n - 1];
    c.unknown += 1.0 - g1;
    c.known += g1;
    if seq[n - 1] {
        c.guess += 1.0 - g1;
    } else {
        c.slip += g1;
    }
    for t in (0..n - 1).rev() {
        let fk = filtered[t];
        let pred1 = (fk * (1.0 - f) + (1.0 - fk) * l).clamp(1e-300, 1.0);
        let pred0 = (1.0 - pred1).max(1e-300);
        let r1 = g1 / pred1;
        let r0 = (1.0 - g1) / pred0;
        let xi01 = (1.0 - fk) * l * r1;
        let xi00 = (1.0 - fk) * (1.0 - l) * r0;
        let xi10 = fk * f * r0;
        let xi11 = fk * (1.0 - f) * r1;
        c.learn += xi01;
        let g0 = xi00 + xi01;
        c.unknown_before_step += g0;
        c.forget += xi10;
        g1 = xi10 + xi11;
        c.known_before_step += g1;
        c.unknown += g0;
        c.known += g1;
        if seq[t] {
            c.guess += g0;
        } else {
            c.slip += g1;
        }
    }
    c.prior = g1;
    c
}

#[cfg(test)]
mod tests;
