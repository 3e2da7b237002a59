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
}

impl Sequences {
    /// Appends one sequence.
    pub fn push(&mut self, seq: impl IntoIterator<Item = bool>) {
        self.starts.push(self.obs.len());
        self.obs.extend(seq);
    }

    fn iter(&self) -> impl Iterator<Item = &[bool]> {
        self.starts.iter().enumerate().map(move |(k, &s)| {
            let e = self.starts.get(k + 1).copied().unwrap_or(self.obs.len());
            &self.obs[s..e]
        })
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
    /// Worker threads (0 = one per core).
    pub threads: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            fit_forget: false,
            max_iter: 100,
            rel_tol: 1e-6,
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
pub fn fit(seqs: &Sequences, opts: &FitOptions) -> BktParams {
    let mut scratch = Vec::new();
    let mut best: Option<(f64, BktParams)> = None;
    for &(prior, learn, guess, slip) in &STARTS {
        let mut p = BktParams {
            prior,
            learn,
            forget: if opts.fit_forget { 0.05 } else { 0.0 },
            guess,
            slip,
        };
        let mut ll_prev = f64::NEG_INFINITY;
        let mut ll = f64::NEG_INFINITY;
        for _ in 0..opts.max_iter {
            let (next, ll_now) = em_step(&p, seqs, opts.fit_forget, &mut scratch);
            ll = ll_now;
            p = next;
            if (ll - ll_prev).abs() <= opts.rel_tol * ll.abs() {
                break;
            }
            ll_prev = ll;
        }
        // A solution where a wrong answer is likelier from a learner who knows the
        // skill than from one who does not is the label-switched mirror image.
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
    best.map_or(
        BktParams {
            prior: 0.5,
            learn: 0.1,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        },
        |(_, p)| p,
    )
}

/// One EM iteration: returns the re-estimated parameters and the log-likelihood of
/// the sequences under `p` (the parameters going in).
pub fn em_step(
    p: &BktParams,
    seqs: &Sequences,
    fit_forget: bool,
    filtered: &mut Vec<f64>,
) -> (BktParams, f64) {
    let (mut prior_num, mut n_seq) = (0.0, 0.0);
    let (mut learn_num, mut learn_den, mut forget_num, mut forget_den) = (0.0, 0.0, 0.0, 0.0);
    let (mut guess_num, mut guess_den, mut slip_num, mut slip_den) = (0.0, 0.0, 0.0, 0.0);
    let mut ll = 0.0;
    let (l, f) = (p.learn, p.forget);
    for seq in seqs.iter() {
        if seq.is_empty() {
            continue;
        }
        filtered.clear();
        // forward filter
        let mut a = p.prior;
        let mut lik = 1.0f64;
        for &o in seq {
            let (lk, lu) = if o {
                (1.0 - p.slip, p.guess)
            } else {
                (p.slip, 1.0 - p.guess)
            };
            let num = a * lk;
            let c = num + (1.0 - a) * lu;
            lik *= c;
            if lik < 1e-250 {
                ll += lik.ln();
                lik = 1.0;
            }
            let fk = num / c;
            filtered.push(fk);
            a = fk * (1.0 - f) + (1.0 - fk) * l;
        }
        ll += lik.ln();
        // backward smoother
        let n = seq.len();
        let mut g1 = filtered[n - 1];
        let o = seq[n - 1];
        guess_den += 1.0 - g1;
        slip_den += g1;
        if o {
            guess_num += 1.0 - g1;
        } else {
            slip_num += g1;
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
            learn_num += xi01;
            learn_den += xi00 + xi01;
            forget_num += xi10;
            forget_den += xi10 + xi11;
            g1 = xi10 + xi11;
            let g0 = xi00 + xi01;
            guess_den += g0;
            slip_den += g1;
            if seq[t] {
                guess_num += g0;
            } else {
                slip_num += g1;
            }
        }
        prior_num += g1;
        n_seq += 1.0;
    }
    let ratio = |num: f64, den: f64, old: f64| {
        if den > 0.0 {
            (num / den).clamp(EPS, 1.0 - EPS)
        } else {
            old
        }
    };
    let next = BktParams {
        prior: ratio(prior_num, n_seq, p.prior),
        learn: ratio(learn_num, learn_den, p.learn),
        forget: if fit_forget {
            ratio(forget_num, forget_den, p.forget)
        } else {
            0.0
        },
        guess: ratio(guess_num, guess_den, p.guess),
        slip: ratio(slip_num, slip_den, p.slip),
    };
    (next, ll)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn simulate(p: &BktParams, learners: usize, len: usize, seed: u64) -> Sequences {
        let mut rng = SplitMix64::new(seed);
        let mut seqs = Sequences::default();
        for _ in 0..learners {
            let mut known = rng.next_f64() < p.prior;
            let mut seq = Vec::with_capacity(len);
            for _ in 0..len {
                let pc = if known { 1.0 - p.slip } else { p.guess };
                seq.push(rng.next_f64() < pc);
                if !known && rng.next_f64() < p.learn {
                    known = true;
                }
            }
            seqs.push(seq);
        }
        seqs
    }

    #[test]
    fn em_recovers_the_parameters_that_generated_synthetic_sequences() {
        let truth = [
            BktParams {
                prior: 0.35,
                learn: 0.12,
                forget: 0.0,
                guess: 0.2,
                slip: 0.1,
            },
            BktParams {
                prior: 0.1,
                learn: 0.3,
                forget: 0.0,
                guess: 0.25,
                slip: 0.15,
            },
        ];
        let data: Vec<Sequences> = truth
            .iter()
            .enumerate()
            .map(|(k, p)| simulate(p, 3000, 15, 42 + k as u64))
            .collect();
        let fitted = fit_all(&data, &FitOptions::default());
        for (t, f) in truth.iter().zip(&fitted) {
            for (name, a, b) in [
                ("prior", t.prior, f.prior),
                ("learn", t.learn, f.learn),
                ("guess", t.guess, f.guess),
                ("slip", t.slip, f.slip),
            ] {
                assert!((a - b).abs() < 0.03, "{name}: true {a}, fitted {b}");
            }
        }
    }

    #[test]
    fn an_em_step_never_lowers_the_likelihood() {
        let p = BktParams {
            prior: 0.4,
            learn: 0.2,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        };
        let seqs = simulate(&p, 500, 10, 1);
        let mut scratch = Vec::new();
        let mut cur = BktParams {
            prior: 0.5,
            learn: 0.1,
            forget: 0.0,
            guess: 0.3,
            slip: 0.2,
        };
        let mut last = f64::NEG_INFINITY;
        for _ in 0..20 {
            let (next, ll) = em_step(&cur, &seqs, false, &mut scratch);
            assert!(ll >= last - 1e-9, "{ll} < {last}");
            last = ll;
            cur = next;
        }
    }
}
