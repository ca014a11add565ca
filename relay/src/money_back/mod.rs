//! Money going back, read and applied: [`facts`] reads Stripe's refunds and disputes, [`apply`]
//! applies them inside the writer's transaction, [`stops`] stops a disputed renewal at Stripe
//! after the commit. Its rules are in [`crate::core::reversal`].

pub mod apply;
pub mod facts;
pub mod stops;
