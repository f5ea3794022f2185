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
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test can hold one
/// clone while the server holds another.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.lock();
        *t += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding this lock cannot leave the time half-written, so a poisoned
        // lock is still safe to use.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
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
