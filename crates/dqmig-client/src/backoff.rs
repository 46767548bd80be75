//! `Backoff`: the one pause schedule every retry loop of dqmig uses (busy statements, leader
//! discovery, transaction replays, the migration runner, joining a node, waiting for a data
//! dir). A pause starts at `initial`, is multiplied by `factor` after each use up to `max`,
//! is optionally jittered, and is never taken when it would end after the deadline: then
//! [`Backoff::next_delay`] and [`Backoff::wait`] return `None` and the caller gives up with
//! its last error. What is worth retrying at all is decided by [`crate::Error::retry_kind`].

use std::time::{Duration, Instant};

/// Default [`Backoff::initial`]: 10 ms.
pub const DEFAULT_BACKOFF_INITIAL: Duration = Duration::from_millis(10);
/// Default [`Backoff::max`]: 1 s.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Default [`Backoff::factor`]: 2 (the pause doubles).
pub const DEFAULT_BACKOFF_FACTOR: u32 = 2;
/// Default budget: the deadline of a new [`Backoff`] is 30 s after its creation.
pub const DEFAULT_BACKOFF_BUDGET: Duration = Duration::from_secs(30);

/// A bounded exponential pause schedule with optional jitter.
///
/// `Backoff::default()` (and [`Backoff::new`] with its two durations) gives: first pause
/// [`DEFAULT_BACKOFF_INITIAL`] (10 ms), multiplied by [`DEFAULT_BACKOFF_FACTOR`] (2) after
/// each pause up to [`DEFAULT_BACKOFF_MAX`] (1 s), jitter on (each pause drawn between half
/// the nominal pause and all of it, so that waiting clients do not retry in lockstep), and a
/// deadline [`DEFAULT_BACKOFF_BUDGET`] (30 s) after creation. The fields may be changed
/// after construction; the builder methods do the same.
///
/// ```
/// use std::time::Duration;
/// use dqmig_client::Backoff;
///
/// let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(4))
///     .with_jitter(false)
///     .with_budget(Duration::from_secs(1));
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(1)));
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(2)));
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(4)));
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(4)));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Backoff {
    /// The first pause.
    pub initial: Duration,
    /// The longest pause.
    pub max: Duration,
    /// What each pause is multiplied by for the next one (1: a fixed poll interval).
    pub factor: u32,
    /// Draw each pause between half the nominal pause and all of it.
    pub jitter: bool,
    /// No pause ends after this instant; `None`: no time bound (the caller must bound the
    /// loop some other way, e.g. by counting attempts).
    pub deadline: Option<Instant>,
    /// The nominal pause the next call returns (before jitter).
    next: Duration,
    started: Instant,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(DEFAULT_BACKOFF_INITIAL, DEFAULT_BACKOFF_MAX)
    }
}

impl Backoff {
    /// A schedule from `initial` doubling to `max`, jittered, with the default 30 s budget
    /// counted from now.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let started = Instant::now();
        Backoff {
            initial,
            max,
            factor: DEFAULT_BACKOFF_FACTOR,
            jitter: true,
            deadline: Some(started + DEFAULT_BACKOFF_BUDGET),
            next: initial,
            started,
        }
    }

    /// A fixed poll interval: every pause is `every`, no jitter, default budget.
    pub fn fixed(every: Duration) -> Backoff {
        Backoff::new(every, every).with_factor(1).with_jitter(false)
    }

    /// Sets [`Backoff::factor`].
    pub fn with_factor(mut self, factor: u32) -> Backoff {
        self.factor = factor;
        self
    }

    /// Sets [`Backoff::jitter`].
    pub fn with_jitter(mut self, jitter: bool) -> Backoff {
        self.jitter = jitter;
        self
    }

    /// Sets the deadline `budget` after this call.
    pub fn with_budget(mut self, budget: Duration) -> Backoff {
        self.deadline = Instant::now().checked_add(budget);
        self
    }

    /// Sets [`Backoff::deadline`].
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Backoff {
        self.deadline = deadline;
        self
    }

    /// Time since the schedule was created.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time left before the deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The next pause, and advances the schedule; `None` when that pause would end after
    /// the deadline (give up now rather than sleep and then give up).
    pub fn next_delay(&mut self) -> Option<Duration> {
        let nominal = self.next;
        let pause = if self.jitter {
            jitter(nominal)
        } else {
            nominal
        };
        if let Some(deadline) = self.deadline {
            if Instant::now() + pause > deadline {
                return None;
            }
        }
        self.next = nominal
            .checked_mul(self.factor.max(1))
            .unwrap_or(self.max)
            .min(self.max);
        Some(pause)
    }

    /// Sleeps for [`Backoff::next_delay`] and returns it; `None` (without sleeping) when the
    /// deadline does not leave room for it.
    pub fn wait(&mut self) -> Option<Duration> {
        let pause = self.next_delay()?;
        std::thread::sleep(pause);
        Some(pause)
    }
}

/// A delay between half of `d` and `d`, so that waiting writers do not retry in lockstep.
/// The random part comes from the operating system (`getrandom`); should it fail, the pause
/// is half of `d`.
fn jitter(d: Duration) -> Duration {
    let half = d / 2;
    let extra = getrandom::u64().unwrap_or(0) % (half.as_nanos() as u64 + 1);
    half + Duration::from_nanos(extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn defaults_are_documented_ones() {
        let b = Backoff::default();
        assert_eq!(b.initial, DEFAULT_BACKOFF_INITIAL);
        assert_eq!(b.max, DEFAULT_BACKOFF_MAX);
        assert_eq!(b.factor, 2);
        assert!(b.jitter);
        let left = b.remaining().unwrap_or_default();
        assert!(left <= DEFAULT_BACKOFF_BUDGET && left > DEFAULT_BACKOFF_BUDGET - MS * 1000);
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let mut b = Backoff::new(MS, MS * 5).with_jitter(false);
        let pauses: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_eq!(
            pauses,
            vec![
                Some(MS),
                Some(MS * 2),
                Some(MS * 4),
                Some(MS * 5),
                Some(MS * 5)
            ]
        );
    }

    #[test]
    fn factor_one_is_a_fixed_interval_and_factor_zero_does_not_shrink() {
        let mut b = Backoff::fixed(MS * 3);
        assert!((0..4).all(|_| b.next_delay() == Some(MS * 3)));
        let mut b = Backoff::new(MS, MS * 8).with_factor(0).with_jitter(false);
        assert_eq!(b.next_delay(), Some(MS));
        assert_eq!(b.next_delay(), Some(MS));
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        let mut b = Backoff::new(MS * 8, MS * 8).with_deadline(None);
        for _ in 0..100 {
            let p = b.next_delay().unwrap_or_default();
            assert!(p >= MS * 4 && p <= MS * 8, "{p:?}");
        }
    }

    #[test]
    fn gives_up_when_the_pause_would_pass_the_deadline() {
        let mut b = Backoff::new(MS * 50, MS * 50)
            .with_jitter(false)
            .with_budget(MS * 20);
        assert_eq!(b.next_delay(), None);
        assert!(!b.expired());
        let mut b = Backoff::new(MS, MS).with_budget(Duration::ZERO);
        assert_eq!(b.wait(), None);
        assert!(b.expired());
        assert_eq!(b.remaining(), Some(Duration::ZERO));
    }

    #[test]
    fn no_deadline_never_gives_up() {
        let mut b =
            Backoff::new(Duration::from_secs(3600), Duration::from_secs(3600)).with_deadline(None);
        assert!(b.next_delay().is_some());
        assert!(!b.expired());
        assert_eq!(b.remaining(), None);
    }

    #[test]
    fn huge_factor_saturates_at_max() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(10))
            .with_factor(u32::MAX)
            .with_jitter(false)
            .with_deadline(None);
        assert_eq!(b.next_delay(), Some(Duration::from_secs(1)));
        assert_eq!(b.next_delay(), Some(Duration::from_secs(10)));
    }
}
