//! Who must earn how many JP in a year, and how a cap limits what counts. Pure.
//!
//! Amounts are hundredths of a JP (`2000` is 20 JP), so sums and comparisons are exact.

use serde::Serialize;

/// The requirement of one employment type from `from_year` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub employment_type: String,
    pub from_year: i32,
    pub target: i64,
    /// The most that counts in a year, if any (PPPK: 24 JP per contract year, PP 49/2018).
    pub cap: Option<i64>,
    /// Whether credits beyond the cap are still written to the ledger (they never count).
    pub record_above_cap: bool,
    /// False for the built-in default, true for a row an administrator wrote.
    pub configured: bool,
}

/// The built-in requirement of `employment_type`: 20 JP for a PNS (PP 17/2020), 24 JP for a
/// PPPK, capped at 24 (PP 49/2018). Other people (staff accounts) have none.
pub fn default_for(employment_type: &str) -> Option<Requirement> {
    let (target, cap) = match employment_type {
        "PNS" => (2000, None),
        "PPPK" => (2400, Some(2400)),
        _ => return None,
    };
    Some(Requirement {
        employment_type: employment_type.to_string(),
        from_year: 2000,
        target,
        cap,
        record_above_cap: true,
        configured: false,
    })
}

/// The requirement in force for `year`: the configured row with the latest `from_year` not
/// after it, else the default.
pub fn effective(configured: &[Requirement], employment_type: &str, year: i32) -> Option<Requirement> {
    configured
        .iter()
        .filter(|r| r.employment_type == employment_type && r.from_year <= year)
        .max_by_key(|r| r.from_year)
        .cloned()
        .or_else(|| default_for(employment_type))
}

impl Requirement {
    /// What a ledger total counts towards the target: never more than the cap.
    pub fn counted(&self, total: i64) -> i64 {
        self.cap.map_or(total, |cap| total.min(cap))
    }

    pub fn met(&self, total: i64) -> bool {
        self.counted(total) >= self.target
    }

    /// How much of a credit of `amount` is written when `recorded` is already in the ledger
    /// this year: all of it, unless the cap is reached and credits above it are not recorded.
    pub fn recordable(&self, recorded: i64, amount: i64) -> i64 {
        match self.cap {
            Some(cap) if !self.record_above_cap => amount.min((cap - recorded).max(0)),
            _ => amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn defaults_and_overrides() {
        let pns = default_for("PNS").unwrap();
        assert!(pns.met(2000) && !pns.met(1999));
        let pppk = default_for("PPPK").unwrap();
        assert!(!pppk.met(2000) && pppk.met(2400));
        assert_eq!(pppk.counted(3000), 2400);
        assert!(default_for("").is_none());
        let strict = Requirement { from_year: 2027, target: 3000, configured: true, ..pns.clone() };
        let rows = [strict.clone()];
        assert_eq!(effective(&rows, "PNS", 2026).unwrap(), pns);
        assert_eq!(effective(&rows, "PNS", 2027).unwrap(), strict);
        assert_eq!(effective(&rows, "PNS", 2030).unwrap(), strict);
    }

    proptest! {
        #[test]
        fn recording_never_passes_a_cap_that_stops_recording(recorded in 0i64..5000, amount in 0i64..3000) {
            let r = Requirement { record_above_cap: false, ..default_for("PPPK").unwrap() };
            let written = r.recordable(recorded, amount);
            prop_assert!(written >= 0 && written <= amount);
            prop_assert!(recorded + written <= recorded.max(2400));
            let open = Requirement { record_above_cap: true, ..r };
            prop_assert_eq!(open.recordable(recorded, amount), amount);
        }
    }
}
