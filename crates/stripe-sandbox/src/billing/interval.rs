//! A recurring price's interval, and the dates its periods end on (Stripe's billing cycle anchor).

use chrono::{DateTime, Months};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }
    /// `periods` intervals after `anchor`, on the anchor's day of the month when it exists
    /// (Stripe's billing cycle anchor: 31 January → 28 February → 31 March).
    pub fn after(self, anchor: i64, periods: u32) -> i64 {
        let months = match self {
            Self::Month => periods,
            Self::Year => 12 * periods,
        };
        DateTime::from_timestamp(anchor, 0)
            .and_then(|d| d.checked_add_months(Months::new(months)))
            .map_or(anchor, |d| d.timestamp())
    }
}
