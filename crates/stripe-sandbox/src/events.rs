//! The events the sandbox emits and their way to the webhook endpoint: each is recorded (for
//! `GET /v1/events`), then sent, held until a flush, dropped or duplicated as the delivery
//! options say; `idle` tells tests when nothing is in flight any more.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::{
    DeliveryOptions, DeliveryRecord, Event, FlushOrder, Sandbox, Session, fixtures, now, random_id,
    webhook,
};

impl Sandbox {
    /// Builds the event for `session` and sends it (or holds it, per the delivery options).
    pub fn emit(&self, event_type: &str, session: &Session) -> Event {
        self.emit_object(event_type, session.to_json(), now(), None)
    }

    /// Builds the event for `object`, happened at `created` on its clock, and sends it (or holds
    /// or drops it, per the delivery options).
    pub fn emit_object(
        &self,
        event_type: &str,
        object: serde_json::Value,
        created: i64,
        previous: Option<serde_json::Value>,
    ) -> Event {
        let id = format!("evt_{}", random_id(24));
        let mut event = fixtures::event_json(&id, event_type, object, created, previous);
        crate::shape::complete(&mut event);
        let body = event.to_string();
        let event = Event {
            id,
            event_type: event_type.to_owned(),
            body,
            created,
        };
        self.inner.events.lock().unwrap().push(event.clone());
        let options = self.delivery_options();
        if options.drop {
            return event;
        }
        if options.hold {
            self.inner.held.lock().unwrap().push(event.clone());
        } else {
            for _ in 0..=options.duplicates {
                self.spawn_delivery(event.clone(), Duration::from_millis(options.delay_ms));
            }
        }
        event
    }

    fn spawn_delivery(&self, event: Event, delay: Duration) {
        let Some(target) = self.inner.config.webhook.clone() else {
            return;
        };
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        let sandbox = self.clone();
        tokio::spawn(async move {
            webhook::deliver(sandbox.clone(), target, event, delay).await;
            if sandbox.inner.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
                sandbox.inner.idle.notify_waiters();
            }
        });
    }

    pub fn delivery_options(&self) -> DeliveryOptions {
        self.inner.options.lock().unwrap().clone()
    }

    pub fn set_delivery_options(&self, options: DeliveryOptions) {
        *self.inner.options.lock().unwrap() = options;
    }

    /// Sends the held events one after the other, each acknowledged (or given up) before the
    /// next, in creation order or reversed; duplicates apply as when they were emitted.
    pub async fn flush(&self, order: FlushOrder) -> usize {
        let mut held = std::mem::take(&mut *self.inner.held.lock().unwrap());
        if order == FlushOrder::Reverse {
            held.reverse();
        }
        let count = held.len();
        let duplicates = self.delivery_options().duplicates;
        for event in held {
            for _ in 0..=duplicates {
                self.spawn_delivery(event.clone(), Duration::ZERO);
            }
            self.idle().await;
        }
        count
    }

    /// Runs `then` once every delivery in flight has ended (the bank disputes a payment after
    /// its merchant heard of it); [`Self::idle`] waits for it too.
    pub(crate) fn after_deliveries(&self, then: impl FnOnce(&Sandbox) + Send + 'static) {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        self.inner.waiting.fetch_add(1, Ordering::SeqCst);
        let sandbox = self.clone();
        tokio::spawn(async move {
            let inner = &sandbox.inner;
            while inner.in_flight.load(Ordering::SeqCst) > inner.waiting.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            inner.waiting.fetch_sub(1, Ordering::SeqCst);
            then(&sandbox);
            if inner.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
                inner.idle.notify_waiters();
            }
        });
    }

    /// Waits until no delivery is in flight.
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            if self.inner.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    pub fn events(&self) -> Vec<Event> {
        self.inner.events.lock().unwrap().clone()
    }

    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.inner.deliveries.lock().unwrap().clone()
    }

    pub(crate) fn record(&self, record: DeliveryRecord) {
        self.inner.deliveries.lock().unwrap().push(record);
    }
}
