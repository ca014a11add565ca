//! HTTP routes, grouped by feature.

pub mod api;
pub mod checkout;
pub mod ops;
pub mod pages;
pub mod subscription;
pub mod webhook;
