//! The platform's memory: every flow, sent (`Out`) or received (`In`), with its acknowledgement,
//! its file and, for an invoice, its lifecycle. `updatedAt` strictly increases from one change to
//! the next, so that a client paging with `updatedAfter` (strictly after) misses nothing.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::check::Invoice;
use crate::lifecycle::Status;

#[derive(Default)]
pub struct Store {
    pub flows: Vec<Flow>,
    last_change: Option<DateTime<Utc>>,
    /// A platform outage: the services answer 503 while it lasts.
    pub down: bool,
}

/// One flow, as the Flow Service describes it (`Flow`), with what it carried.
pub struct Flow {
    pub id: String,
    pub tracking_id: Option<String>,
    pub name: Option<String>,
    pub flow_type: &'static str,
    pub direction: &'static str,
    pub syntax: String,
    pub profile: Option<String>,
    pub processing_rule: Option<String>,
    pub processing_rule_source: &'static str,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ack: Ack,
    pub file: Vec<u8>,
    /// The invoice an outgoing Factur-X carried, with the statuses the platform gave it.
    pub invoice: Option<(Invoice, Vec<Status>)>,
}

pub struct Ack {
    pub status: &'static str,
    pub details: Vec<AckDetail>,
}

pub struct AckDetail {
    pub reason_code: &'static str,
    pub reason_message: String,
}

impl Store {
    /// A new instant for a change, later than every earlier one (at least 1 ms).
    pub fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let next = match self.last_change {
            Some(last) if now <= last => last + Duration::milliseconds(1),
            _ => now,
        };
        self.last_change = Some(next);
        next
    }

    pub fn find(&self, id: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.id == id)
    }

    pub fn views(&self) -> Vec<FlowView> {
        self.flows.iter().map(Flow::view).collect()
    }
}

/// A flow as the French page and the tests see it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowView {
    pub flow_id: String,
    pub tracking_id: Option<String>,
    pub flow_type: String,
    pub direction: String,
    pub syntax: String,
    pub ack_status: String,
    pub ack_reasons: Vec<String>,
    /// For an invoice: its number (BT-1) and the statuses it went through, oldest first.
    pub invoice_number: Option<String>,
    pub statuses: Vec<(u16, Option<String>)>,
    pub updated_at: String,
}

impl Flow {
    /// The `Flow` object of XP Z12-013.
    pub fn json(&self) -> Value {
        let mut flow = json!({
            "flowId": self.id,
            "submittedAt": stamp(self.submitted_at),
            "updatedAt": stamp(self.updated_at),
            "flowType": self.flow_type,
            "flowDirection": self.direction,
            "flowSyntax": self.syntax,
            "processingRuleSource": self.processing_rule_source,
            "acknowledgement": {
                "status": self.ack.status,
                "details": self.ack.details.iter().map(|d| json!({
                    "level": "Error",
                    "item": "file",
                    "reasonCode": d.reason_code,
                    "reasonMessage": d.reason_message,
                })).collect::<Vec<_>>(),
            },
        });
        let object = flow.as_object_mut().expect("an object");
        for (key, value) in [
            ("trackingId", &self.tracking_id),
            ("processingRule", &self.processing_rule),
            ("flowProfile", &self.profile),
        ] {
            if let Some(v) = value {
                object.insert(key.into(), json!(v));
            }
        }
        flow
    }

    pub fn view(&self) -> FlowView {
        FlowView {
            flow_id: self.id.clone(),
            tracking_id: self.tracking_id.clone(),
            flow_type: self.flow_type.into(),
            direction: self.direction.into(),
            syntax: self.syntax.clone(),
            ack_status: self.ack.status.into(),
            ack_reasons: self
                .ack
                .details
                .iter()
                .map(|d| d.reason_code.to_owned())
                .collect(),
            invoice_number: self.invoice.as_ref().map(|(i, _)| i.number.clone()),
            statuses: self
                .invoice
                .iter()
                .flat_map(|(_, s)| s.iter().map(|s| (s.code, s.reason.map(str::to_owned))))
                .collect(),
            updated_at: stamp(self.updated_at),
        }
    }
}

/// XP Z12-013's date-time: RFC 3339 in UTC with milliseconds.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A flow id: a UUID's shape (36 characters at most, as `NotOnlyUuid` allows).
pub fn new_flow_id() -> String {
    let h = crate::random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
