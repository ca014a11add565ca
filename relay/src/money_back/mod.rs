//! Money going back, read and applied: [`facts`] reads Stripe's refunds, [`apply`] applies them
//! inside the writer's transaction. Its rules are in [`crate::core::reversal`].

pub mod apply;
pub mod facts;
