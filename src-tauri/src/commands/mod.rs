//! Tauri commands, thin wrappers over [`crate::desktop::Desktop`], grouped by feature.

pub mod company;
pub mod invoices;
pub mod renew;
pub mod session;
pub mod status;
