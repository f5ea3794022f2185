//! Time. The server clock is the only clock: nothing a client sends is taken as a time or a
//! duration. Code asks a [`Clock`] for the time instead of calling `Utc::now()`, so tests can
//! move time forward deterministically with a [`ManualClock`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Tz;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// `t` without its fraction of a second: for times written both into a row and into a signed
/// or compared text, which must agree after the database stored them.
pub fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap_or(t)
}

/// The real clock of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(clippy::disallowed_methods, reason = "the one place that reads the system's time")]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A simulated clock: it moves when told to and, if started with a speed, also runs on its own
/// at that many times real time. Clones share the same time, so a test can hold one clone while
/// the server holds another.
///
/// A running clock exists for demonstrations and browser tests: a study page beats on a real
/// timer, so for a two-hour course to be finished in a minute, server time must pass faster than
/// real time, steadily, rather than in jumps an administrator makes. Speed 0 (the default) is a
/// clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Simulated>>);

#[derive(Debug)]
struct Simulated {
    /// The time at `since`.
    at: DateTime<Utc>,
    since: std::time::Instant,
    speed: u32,
}

impl Simulated {
    fn now(&self) -> DateTime<Utc> {
        if self.speed == 0 {
            return self.at;
        }
        let real = self.since.elapsed();
        let scaled = real.saturating_mul(self.speed);
        Duration::from_std(scaled)
            .ok()
            .and_then(|d| self.at.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl ManualClock {
    /// A clock that only moves when told to.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self::running(start, 0)
    }

    /// A clock that runs at `speed` times real time from `start` (0: only when told to).
    pub fn running(start: DateTime<Utc>, speed: u32) -> Self {
        Self(Arc::new(Mutex::new(Simulated { at: start, since: std::time::Instant::now(), speed })))
    }

    /// How many times faster than real time this clock runs on its own (0: it does not).
    pub fn speed(&self) -> u32 {
        self.lock().speed
    }

    pub fn set(&self, to: DateTime<Utc>) {
        let mut s = self.lock();
        s.at = to;
        s.since = std::time::Instant::now();
    }

    pub fn advance(&self, by: Duration) {
        let mut s = self.lock();
        s.at = s.now() + by;
        s.since = std::time::Instant::now();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Simulated> {
        // A panic while holding this lock cannot leave the time half-written, so a poisoned
        // lock is still safe to use.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }
}

/// The local time zone of the agency (default `Asia/Makassar`, WITA), in which days and years
/// are counted: a course completed at 23:30 WITA on 31 December counts for that year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalZone(pub Tz);

impl Default for LocalZone {
    fn default() -> Self {
        Self(chrono_tz::Asia::Makassar)
    }
}

impl LocalZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        name.trim()
            .parse::<Tz>()
            .map(Self)
            .map_err(|_| format!("unknown time zone {name:?} (expected an IANA name such as Asia/Makassar)"))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn to_local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        self.0.from_utc_datetime(&t.naive_utc())
    }

    /// The calendar year of `t` in this zone.
    pub fn year_of(&self, t: DateTime<Utc>) -> i32 {
        self.to_local(t).year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let a = ManualClock::new(start);
        let b = a.clone();
        a.advance(Duration::seconds(90));
        assert_eq!(b.now(), start + Duration::seconds(90));
        assert_eq!(a.speed(), 0);
    }

    #[test]
    fn a_running_clock_moves_faster_than_real_time_and_still_jumps() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = ManualClock::running(start, 1000);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let moved = c.now() - start;
        assert!(moved >= Duration::seconds(20), "{moved}");
        c.advance(Duration::hours(1));
        assert!(c.now() - start >= Duration::hours(1) + Duration::seconds(20));
        c.set(start);
        assert!(c.now() - start < Duration::seconds(20));
    }

    #[test]
    fn late_december_evening_in_wita_is_still_that_year() {
        let zone = LocalZone::default();
        // 23:30 WITA on 31 December 2025 is 15:30 UTC.
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 15, 30, 0).unwrap();
        assert_eq!(zone.year_of(t), 2025);
        // 00:30 WITA on 1 January 2026 is 16:30 UTC on 31 December.
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 16, 30, 0).unwrap();
        assert_eq!(zone.year_of(t), 2026);
        assert!(LocalZone::parse("Mars/Olympus").is_err());
        assert_eq!(LocalZone::parse("Asia/Jakarta").unwrap().name(), "Asia/Jakarta");
    }
}
