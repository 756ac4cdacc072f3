//! In-memory sliding-window rate limits, keyed by whatever the caller chooses (a client IP,
//! an account). One type for every limit in the app: login attempts, public sign-ups,
//! checkout starts, campaign emails, registrations, links emailed to one address.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A public caller's allowance: the limit their client IP draws on. Services that the public
/// reaches take one use before anything else, so no path to them skips the limit.
pub struct Allowance<'a> {
    pub limiter: &'a RateLimiter,
    pub client_ip: &'a str,
}

impl Allowance<'_> {
    /// Takes one use; `Err(wait)` when the allowance is spent.
    pub fn take(&self) -> Result<(), Duration> {
        self.limiter.hit(self.client_ip)
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept before old, idle ones are swept, so the map cannot grow without bound.
const SWEEP_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter { limit: limit as usize, window, hits: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` when `key` has used its allowance in the current window.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.with_hits(key, |hits, now, window, limit| {
            if hits.len() >= limit {
                let oldest = hits.front().copied().unwrap_or(now);
                Err(window.saturating_sub(now.duration_since(oldest)).max(Duration::from_secs(1)))
            } else {
                Ok(())
            }
        })
    }

    /// Counts one use of `key`.
    pub fn record(&self, key: &str) {
        self.with_hits(key, |hits, now, _, _| hits.push_back(now));
    }

    /// Checks and counts in one step: for limits on every attempt, not only failed ones.
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        self.check(key)?;
        self.record(key);
        Ok(())
    }

    /// Forgets `key`, e.g. an account's failed logins after it signs in.
    pub fn reset(&self, key: &str) {
        if let Ok(mut map) = self.hits.lock() {
            map.remove(key);
        }
    }

    fn with_hits<T>(
        &self,
        key: &str,
        f: impl FnOnce(&mut VecDeque<Instant>, Instant, Duration, usize) -> T,
    ) -> T {
        let now = Instant::now();
        // A poisoned lock only means another thread panicked mid-update; the counts are
        // still usable.
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            let window = self.window;
            map.retain(|_, hits| hits.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let hits = map.entry(key.to_string()).or_default();
        while hits.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            hits.pop_front();
        }
        f(hits, now, self.window, self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.hit("1.2.3.4").is_ok());
        }
        let wait = limiter.hit("1.2.3.4").unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait >= Duration::from_secs(1));
        // Another key has its own allowance.
        assert!(limiter.hit("5.6.7.8").is_ok());
    }

    #[test]
    fn window_expiry_frees_the_allowance() {
        let limiter = RateLimiter::new(1, Duration::from_millis(50));
        limiter.record("k");
        assert!(limiter.check("k").is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.check("k").is_ok());
    }

    #[test]
    fn reset_forgets_a_key() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        limiter.record("k");
        limiter.reset("k");
        assert!(limiter.check("k").is_ok());
    }
}
