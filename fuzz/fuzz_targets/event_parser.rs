//! Fuzzes the tolerant webhook event parser: any bytes give an event or an error, never a panic,
//! and a parsed checkout session always has a `cs_` id.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = relay::stripe::parse_event(data) {
        assert!(!event.id.is_empty() && !event.event_type.is_empty());
        if let Some(session) = event.session {
            assert!(session.id.as_str().starts_with("cs_"));
        }
    }
});
