//! Money going back, asked, read and applied: [`ask`] asks Stripe for a refund, [`facts`] reads
//! Stripe's refunds and disputes, [`apply`] applies them inside the writer's transaction,
//! [`stops`] stops a disputed renewal at Stripe after the commit. Its rules are in [`crate::core::reversal`].

pub mod apply;
pub mod ask;
pub mod facts;
pub mod stops;
