//! Unit tests of the EM fit: it recovers the parameters of simulated sequences, and
//! no step lowers the likelihood.

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
