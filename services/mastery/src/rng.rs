//! A tiny deterministic PRNG (SplitMix64) for restarts and synthetic test data, with
//! the few distributions the synthetic data ([`crate::synthetic`]) draws from.
//! Never used inside the model's predictions or updates.

/// SplitMix64: fast, tiny, good enough for picking starting points.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a fixed seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// Uniform in `0..n` (`n > 0`), by the high half of a 128-bit product.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Normal with this mean and standard deviation (Box–Muller, one of the pair).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let radius = (-2.0 * (1.0 - self.next_f64()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.next_f64();
        mean + sd * radius * angle.cos()
    }

    /// Exponential with this mean (inverse transform).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next_f64()).ln()
    }

    /// Poisson with this mean (Knuth's product of uniforms; fine for small means).
    pub fn poisson(&mut self, mean: f64) -> usize {
        let floor = (-mean).exp();
        let mut product = self.next_f64();
        let mut count = 0;
        while product > floor {
            product *= self.next_f64();
            count += 1;
        }
        count
    }

    /// A generator for sub-stream `stream` of this one, independent of it and of the
    /// other sub-streams for all practical purposes; this one does not advance.
    pub fn fork(&self, stream: u64) -> Self {
        let mut mixer = Self(self.0 ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        Self(mixer.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_variance(samples: impl Iterator<Item = f64>) -> (f64, f64) {
        let xs: Vec<f64> = samples.collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let variance = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        (mean, variance)
    }

    #[test]
    fn the_distributions_have_their_means_and_variances() {
        let mut rng = SplitMix64::new(1);
        let n = 200_000;
        let (m, v) = mean_and_variance((0..n).map(|_| rng.normal(1.0, 2.0)));
        assert!(
            (m - 1.0).abs() < 0.02 && (v - 4.0).abs() < 0.06,
            "normal {m} {v}"
        );
        let (m, v) = mean_and_variance((0..n).map(|_| rng.exponential(3.0)));
        assert!(
            (m - 3.0).abs() < 0.03 && (v - 9.0).abs() < 0.3,
            "exponential {m} {v}"
        );
        let (m, v) = mean_and_variance((0..n).map(|_| rng.poisson(7.0) as f64));
        assert!(
            (m - 7.0).abs() < 0.03 && (v - 7.0).abs() < 0.1,
            "poisson {m} {v}"
        );
        let (m, _) = mean_and_variance((0..n).map(|_| rng.between(12, 30) as f64));
        assert!((m - 21.0).abs() < 0.05, "between {m}");
        assert!((0..n)
            .map(|_| rng.between(12, 30))
            .all(|k| (12..=30).contains(&k)));
    }

    #[test]
    fn forks_are_repeatable_and_differ_from_each_other_and_the_parent() {
        let parent = SplitMix64::new(7);
        let draw = |mut g: SplitMix64| (0..4).map(|_| g.next_u64()).collect::<Vec<_>>();
        assert_eq!(draw(parent.fork(3)), draw(parent.fork(3)));
        assert_ne!(draw(parent.fork(3)), draw(parent.fork(4)));
        assert_ne!(draw(parent.fork(0)), draw(parent.clone()));
    }
}
