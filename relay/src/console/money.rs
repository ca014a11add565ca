//! The console's money page: revenue per month over the last twelve (factures less avoirs, TTC
//! and HT, with a bar chart drawn on the server in SVG: no script, no style attribute), and the
//! open disputes with their amount, reason and evidence deadline.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use erp_btp_protocol::fr;

use super::error::ConsoleError;
use super::session::SignedIn;
use crate::core::DAY;
use crate::core::refund::euros;
use crate::core::revenue::{Month, per_month};
use crate::db::console::DisputeRow;
use crate::routes::pages::page;
use crate::state::AppState;

const MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

pub struct MonthLine {
    pub label: String,
    pub factures: String,
    pub avoirs: String,
    pub net_ttc: String,
    pub net_ht: String,
}

/// One bar of the chart, in the SVG's units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub label: String,
    pub title: String,
}

pub struct DisputeLine {
    pub row: DisputeRow,
    pub amount: String,
    pub due: String,
    pub opened: String,
}

#[derive(Template)]
#[template(path = "console/money.html")]
struct MoneyPage {
    me: SignedIn,
    section: &'static str,
    months: Vec<MonthLine>,
    bars: Vec<Bar>,
    disputes: Vec<DisputeLine>,
    /// The export form's period: the month in progress.
    default_period: String,
}

/// The chart's height for the largest month, in the SVG's units (twelve slots of 60 wide, a fixed
/// 740 × 160 box, so that a bar keeps its size whatever the number of months).
const CHART_HEIGHT: i64 = 120;

/// The bars of the months' net TTC (a month with more avoirs than factures draws none).
fn bars(months: &[Month]) -> Vec<Bar> {
    let top = months.iter().map(|m| m.net_ttc).max().unwrap_or(0).max(1);
    months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let height = m.net_ttc.max(0) * CHART_HEIGHT / top;
            Bar {
                x: 10 + i as i64 * 60,
                y: 10 + CHART_HEIGHT - height,
                height,
                label: format!("{} {}", MONTHS[m.month as usize - 1], m.year % 100),
                title: euros(m.net_ttc),
            }
        })
        .collect()
}

pub async fn show(State(state): State<AppState>, me: SignedIn) -> Result<Response, ConsoleError> {
    let now = state.clock.now();
    let issued = state.db.issued_since(now - 366 * DAY).await?;
    let mut months = per_month(&issued);
    // Twelve months at most: the first, partial, month of the window is left out when there are
    // thirteen.
    if months.len() > 12 {
        months.remove(0);
    }
    let disputes = state
        .db
        .open_disputes()
        .await?
        .into_iter()
        .map(|row| DisputeLine {
            amount: euros(row.amount_cents),
            due: row
                .evidence_due_by
                .map(fr::date)
                .unwrap_or_else(|| "—".into()),
            opened: fr::date(row.created_at),
            row,
        })
        .collect();
    Ok(page(
        MoneyPage {
            me,
            section: "money",
            bars: bars(&months),
            months: months
                .iter()
                .rev()
                .map(|m| MonthLine {
                    label: format!("{} {}", MONTHS[m.month as usize - 1], m.year),
                    factures: euros(m.factures_ttc),
                    avoirs: euros(m.avoirs_ttc),
                    net_ttc: euros(m.net_ttc),
                    net_ht: euros(m.net_ht),
                })
                .collect(),
            disputes,
            default_period: crate::core::numbering::paris_date(now)
                .format("%Y-%m")
                .to_string(),
        },
        StatusCode::OK,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_largest_month_fills_the_chart_and_a_negative_one_draws_nothing() {
        let month = |month, net_ttc| crate::core::revenue::Month {
            year: 2026,
            month,
            net_ttc,
            ..Default::default()
        };
        let bars = super::bars(&[month(1, 4900), month(2, 9800), month(3, -1000)]);
        assert_eq!(
            bars.iter().map(|b| b.height).collect::<Vec<_>>(),
            [60, 120, 0]
        );
        assert_eq!(bars[1].y, 10);
        assert_eq!(bars[0].label, "janv. 26");
    }
}
