//! A facture's number: one gap-free series per kind of document and calendar year in
//! Europe/Paris (CGI annexe II art. 242 nonies A: « une numérotation unique basée sur une
//! séquence chronologique et continue »), written « FA-2026-000001 ». The next number is
//! assigned inside the payment's transaction (`db::factures`); these are its rules.

use chrono::{Datelike, NaiveDate};

/// The kinds of documents, each numbered in its own series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// A facture (type 380).
    Facture,
    /// An avoir, a credit note (type 381).
    Avoir,
}

impl Series {
    pub fn prefix(self) -> &'static str {
        match self {
            Series::Facture => "FA",
            Series::Avoir => "AV",
        }
    }
}

/// « FA-2026-000001 ».
pub fn number(series: Series, year: i64, seq: i64) -> String {
    format!("{}-{year}-{seq:06}", series.prefix())
}

/// « FA-2026-000001 » back into (year, seq), for that series only.
pub fn parse_number(series: Series, text: &str) -> Option<(i64, i64)> {
    let (year, seq) = text
        .strip_prefix(series.prefix())?
        .strip_prefix('-')?
        .split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(year, 4) && digits(seq, 6))
        .then(|| (year.parse().unwrap_or(0), seq.parse().unwrap_or(0)))
}

/// The calendar year in Europe/Paris of a Unix time: the series turns at midnight in Paris.
pub fn paris_year(ts: i64) -> i64 {
    i64::from(paris_date(ts).year())
}

/// The date in Europe/Paris: UTC+1, or UTC+2 from the last Sunday of March to the last Sunday
/// of October (01:00 UTC both), as the EU's summer-time rule has it.
pub fn paris_date(ts: i64) -> NaiveDate {
    paris_time(ts).date()
}

/// The wall-clock time in Europe/Paris, by the same rule as [`paris_date`].
pub fn paris_time(ts: i64) -> chrono::NaiveDateTime {
    let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    let year = utc.year();
    let last_sunday_1am = |month: u32| {
        let last =
            NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
        let back = last.weekday().num_days_from_sunday();
        (last - chrono::Days::new(u64::from(back)))
            .and_hms_opt(1, 0, 0)
            .expect("valid time")
            .and_utc()
            .timestamp()
    };
    let summer = (last_sunday_1am(3)..last_sunday_1am(10)).contains(&ts);
    (utc + chrono::Duration::hours(if summer { 2 } else { 1 })).naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_turns_at_midnight_in_paris() {
        let new_year_utc = 1_798_761_600; // 2027-01-01T00:00:00Z
        assert_eq!(paris_year(new_year_utc - 3601), 2026);
        assert_eq!(paris_year(new_year_utc - 3600), 2027, "midnight in Paris");
    }

    #[test]
    fn each_series_writes_and_reads_its_own_numbers() {
        assert_eq!(number(Series::Facture, 2026, 1), "FA-2026-000001");
        assert_eq!(number(Series::Avoir, 2027, 42), "AV-2027-000042");
        assert_eq!(
            parse_number(Series::Facture, "FA-2026-000001"),
            Some((2026, 1))
        );
        assert_eq!(
            parse_number(Series::Avoir, "AV-2027-000042"),
            Some((2027, 42))
        );
        assert_eq!(parse_number(Series::Avoir, "FA-2026-000001"), None);
        for bad in [
            "FA-2026-1",
            "FA-20x6-000001",
            "2026-000001",
            "FA-2026-000001/pdf",
            "FA--000001",
            "FA2026-000001",
        ] {
            assert_eq!(parse_number(Series::Facture, bad), None, "{bad}");
        }
    }
}
