//! Automatic renewal at Stripe, read and applied: [`facts`] reads Stripe's invoices and
//! subscriptions, [`apply`] applies them inside the writer's transaction. Its rules are in
//! [`crate::core::renewal`].

pub mod apply;
pub mod facts;
