//! Renewing: Stripe Checkout in the system browser, then waiting for the relay.

use erp_btp_protocol::RenewalChoice;
use tauri::State;

use crate::desktop::{Desktop, RenewalStarted, WaitOutcome};
use crate::error::DesktopError;

#[tauri::command]
pub async fn start_renewal(
    desktop: State<'_, Desktop>,
    plan: String,
    renewal: Option<RenewalChoice>,
) -> Result<RenewalStarted, DesktopError> {
    desktop
        .start_renewal(&plan, renewal.unwrap_or_default())
        .await
}

#[tauri::command]
pub async fn wait_for_payment(
    desktop: State<'_, Desktop>,
    since_version: i64,
) -> Result<WaitOutcome, DesktopError> {
    desktop.wait_for_payment(since_version).await
}

#[tauri::command]
pub fn cancel_wait(desktop: State<'_, Desktop>) {
    desktop.cancel_wait();
}

#[tauri::command]
pub async fn open_billing_portal(desktop: State<'_, Desktop>) -> Result<(), DesktopError> {
    desktop.open_billing_portal().await
}

#[tauri::command]
pub async fn open_web_renewal(desktop: State<'_, Desktop>) -> Result<(), DesktopError> {
    desktop.open_web_renewal().await
}
