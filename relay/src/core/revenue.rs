//! Revenue per month as the operator console shows it: the factures issued in each calendar
//! month in Europe/Paris (the month their number's year turns with), less the avoirs issued in
//! that month, in TTC and in HT. Each document's HT is its own split
//! ([`super::amounts::split_ttc`]), summed, so that a month's HT is what the documents say.

use chrono::Datelike;

use super::amounts::split_ttc;
use super::numbering::paris_date;

/// One issued document, as revenue counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    pub issued_at: i64,
    pub total_cents: i64,
    pub avoir: bool,
}

/// A month's revenue, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
    pub factures_ttc: i64,
    pub avoirs_ttc: i64,
    pub net_ttc: i64,
    pub net_ht: i64,
}

/// The months in which documents were issued, oldest first.
pub fn per_month(documents: &[Issued]) -> Vec<Month> {
    let mut months: std::collections::BTreeMap<(i32, u32), Month> = Default::default();
    for d in documents {
        let date = paris_date(d.issued_at);
        let m = months.entry((date.year(), date.month())).or_insert(Month {
            year: date.year(),
            month: date.month(),
            ..Month::default()
        });
        let (ht, _) = split_ttc(d.total_cents);
        let sign = if d.avoir { -1 } else { 1 };
        if d.avoir {
            m.avoirs_ttc += d.total_cents;
        } else {
            m.factures_ttc += d.total_cents;
        }
        m.net_ttc += sign * d.total_cents;
        m.net_ht += sign * ht;
    }
    months.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-31 23:30 UTC is already February in Paris.
    const END_OF_JANUARY_UTC: i64 = 1_769_902_200;

    #[test]
    fn a_month_is_its_factures_less_its_avoirs_in_paris_time() {
        let doc = |issued_at, total_cents, avoir| Issued {
            issued_at,
            total_cents,
            avoir,
        };
        let months = per_month(&[
            doc(END_OF_JANUARY_UTC - 86_400, 4900, false),
            doc(END_OF_JANUARY_UTC - 3600, 49900, false),
            doc(END_OF_JANUARY_UTC - 7200, 1000, true),
            doc(END_OF_JANUARY_UTC, 4900, false),
        ]);
        assert_eq!(months.len(), 2);
        let january = months[0];
        assert_eq!((january.year, january.month), (2026, 1));
        assert_eq!((january.factures_ttc, january.avoirs_ttc), (54800, 1000));
        assert_eq!(january.net_ttc, 53800);
        // 40,83 + 415,83 − 8,33: each document's own HT.
        assert_eq!(january.net_ht, 4083 + 41583 - 833);
        let february = months[1];
        assert_eq!(
            (february.month, february.net_ttc, february.net_ht),
            (2, 4900, 4083)
        );
        assert!(per_month(&[]).is_empty());
    }
}
